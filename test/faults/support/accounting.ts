/**
 * Full accounting of a fault case: every failure ends in exactly one place (redriven, skipped with a
 * reason, gave up with one alert, or the dead-letter queue), and no failure generation was redriven
 * twice. Reads the truth from DescribeExecution, the ledger, the alerts and the DLQ.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { LocalStack } from '../../../local/stack';

export type FinalPlace = 'redriven' | 'skipped' | 'gave-up' | 'dlq';

export interface Audit {
  places: Record<FinalPlace, number>;
  /** Per execution: where its last failure ended. */
  placeOf: Map<string, FinalPlace>;
  /** Everything that breaks the accounting, one line each; empty when all is well. */
  violations: string[];
  /** The DLQ's message bodies (read out by the audit). */
  deadLetters: string[];
}

const REDRIVE_OUTCOMES = new Set(['REDRIVEN', 'ALREADY_REDRIVEN']);

/** Call once the stack is quiet and faults are off (it calls DescribeExecution per execution). */
export async function auditFailures(stack: LocalStack, executionArns: readonly string[]): Promise<Audit> {
  const deadLetters = drainDeadLetters(stack);
  const audit: Audit = { places: { redriven: 0, skipped: 0, 'gave-up': 0, dlq: 0 }, placeOf: new Map(), violations: [], deadLetters };
  for (const executionArn of executionArns) {
    const place = await auditOne(stack, executionArn, deadLetters, audit.violations);
    if (!place) continue;
    audit.places[place]++;
    audit.placeOf.set(executionArn, place);
  }
  return audit;
}

async function auditOne(stack: LocalStack, executionArn: string, deadLetters: string[], violations: string[]): Promise<FinalPlace | undefined> {
  const name = executionArn.split(':').pop();
  const fail = (problem: string) => {
    violations.push(`${name}: ${problem}`);
    return undefined;
  };
  const execution = await stack.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const redriveCount = execution.redriveCount ?? 0;
  const record = await stack.ledger.get(executionArn);
  const redrivenGenerations = (record?.attempts ?? []).filter((a) => REDRIVE_OUTCOMES.has(a.outcome)).map((a) => a.generation).sort((a, b) => a - b);
  const expected = Array.from({ length: redriveCount }, (_, generation) => generation);
  if (JSON.stringify(redrivenGenerations) !== JSON.stringify(expected)) {
    fail(`redriveCount ${redriveCount} but the ledger recorded redrives of generations [${redrivenGenerations.join(', ')}]`);
  }
  // Quoted, so `…:transient-1` does not match a parked `…:transient-10`.
  const inDeadLetters = deadLetters.some((body) => body.includes(JSON.stringify(executionArn)));
  // A claim whose call never went through (the message then went to the DLQ) used an attempt too.
  if (!inDeadLetters && (record?.attemptsUsed ?? 0) !== redriveCount) fail(`redriveCount ${redriveCount} but the ledger used ${record?.attemptsUsed ?? 0} attempts`);
  const gaveUpAlerts = stack.alerts.filter((a) => a.kind === 'GAVE_UP' && a.executionArn === executionArn).length;

  switch (execution.status) {
    case 'SUCCEEDED':
      if (redriveCount === 0) return fail('succeeded without ever failing');
      if (record?.phase !== 'REDRIVEN' || record.generation !== redriveCount - 1) return fail(`succeeded after a redrive, but the ledger says ${record?.phase} at generation ${record?.generation}`);
      if (gaveUpAlerts > 0) return fail('succeeded but a GAVE_UP alert was sent');
      return 'redriven';
    case 'FAILED':
    case 'TIMED_OUT':
    case 'ABORTED':
      if (record?.generation === redriveCount && record.phase === 'SKIPPED') {
        if (!record.reason) return fail('skipped without a reason');
        return 'skipped';
      }
      if (record?.generation === redriveCount && record.phase === 'GAVE_UP') {
        if (gaveUpAlerts !== 1) return fail(`gave up with ${gaveUpAlerts} GAVE_UP alerts, expected exactly 1`);
        return 'gave-up';
      }
      if (inDeadLetters) return 'dlq';
      return fail(`failure generation ${redriveCount} is unaccounted for: ledger says ${record?.phase ?? 'nothing'} at generation ${record?.generation}`);
    default:
      return fail(`still ${execution.status}`);
  }
}

/** Reads every message out of the intake DLQ. */
function drainDeadLetters(stack: LocalStack): string[] {
  const bodies: string[] = [];
  for (;;) {
    const received = stack.intakeDlq.receiveNow({ maxNumberOfMessages: 10, visibilityTimeoutSeconds: 43_200 });
    if (received.length === 0) return bodies;
    bodies.push(...received.map((message) => message.body));
  }
}

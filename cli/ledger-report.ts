/**
 * `ledger`: what the pipeline and operators did, per state machine and time range, read from the
 * ledger's byStateMachine index (a Query per state machine, never a scan).
 */
import { Command } from 'commander';
import type { LedgerRecord } from '../core/ledger-record';
import { AwsContext, loadConfig, type CliIo, type CommandEnv, type CommonOptions } from './context';
import { CliError, EXIT, type ExitCode } from './errors';
import { increment, isoOrDash, json, renderFields, renderTable, sortedCounts } from './output';
import { positiveInt } from './parsers';
import { resolveStateMachines, validateStateMachineArns } from './selection';
import { parseTimeRange } from './time-range';

export interface LedgerOptions extends CommonOptions {
  stateMachine?: string[];
  namePrefix?: string[];
  since?: string;
  until?: string;
  maxListed: number;
  executions?: boolean;
}

/** One execution's ledger item and its latest attempt: who acted, why, and what they lifted. */
export interface ExecutionRow {
  executionArn: string;
  generation: number;
  phase: string;
  reason: string;
  attemptsUsed: number;
  /** Of the latest attempt. */
  outcome?: string;
  /** `worker`, `sweep`, or `operator <identity>`. */
  actor?: string;
  /** The operator's --reason. */
  operatorReason?: string;
  /** Policy rules the operator lifted (--override-…). */
  overrides?: string[];
  updatedAt: string;
}

export interface StateMachineReport {
  stateMachineArn: string;
  executions: number;
  /** Redrives made (attemptsUsed summed). */
  attempts: number;
  byPhase: Record<string, number>;
  byReason: Record<string, number>;
  /** Attempt-log outcomes in the range (REDRIVEN, NOT_REDRIVABLE, …). */
  outcomes: Record<string, number>;
  operatorActions: number;
  gaveUp: Array<{ executionArn: string; reason: string; attemptsUsed: number; updatedAt: string }>;
  gaveUpNotListed: number;
  /** With --executions: one row per execution, newest update first. */
  executionRows?: ExecutionRow[];
  executionRowsNotListed?: number;
}

export function ledgerCommand(env: CommandEnv): Command {
  return new Command('ledger')
    .description('Report the ledger per state machine and time range: attempts, outcomes, reasons, gave-up list')
    .option('--state-machine <arn...>', 'state machine ARN(s)')
    .option('--name-prefix <prefix...>', 'state machines whose name starts with this')
    .option('--since <time>', 'ledger items updated at or after (ISO 8601 or 2h, 3d ago) (default: 1d)')
    .option('--until <time>', 'updated at or before (default: now)')
    .option('--executions', 'also list each execution: phase, reason, and the latest attempt\'s actor, --reason and overrides')
    .option('--max-listed <n>', 'executions listed per state machine (gave up, and with --executions each)', positiveInt('--max-listed'), 50)
    .addHelpText(
      'after',
      `
Examples:
  $ sfn-autoredrive ledger --name-prefix orders- --since 1d
  $ sfn-autoredrive ledger --name-prefix orders- --since 6h --executions
  $ sfn-autoredrive ledger --state-machine arn:aws:states:us-east-1:123456789012:stateMachine:orders-flow --since 2026-11-20 --output json

Exit codes: 0 done, 2 usage error (bad time range, unknown state machine, no table, missing permission).`,
    )
    .action(async (options: Omit<LedgerOptions, keyof CommonOptions>) => {
      env.exit(await runLedgerReport({ ...env.common(), ...options }, env.io));
    });
}

const DAY_MS = 86_400_000;

export async function runLedgerReport(options: LedgerOptions, io: CliIo): Promise<ExitCode> {
  if (!options.stateMachine?.length && !options.namePrefix?.length) throw new CliError('Select state machines with --state-machine ARN or --name-prefix PREFIX');
  validateStateMachineArns(options.stateMachine ?? []);
  const nowMs = io.clock.nowMs();
  const { sinceMs, untilMs } = parseTimeRange(options.since, options.until, nowMs, nowMs - DAY_MS);
  const config = loadConfig(options, io);
  const ctx = await AwsContext.create(options, io);
  const ledger = ctx.ledger(config);
  const { arns } = await resolveStateMachines(ctx.clients.sfn, options.stateMachine ?? [], options.namePrefix ?? []);
  const reports: StateMachineReport[] = [];
  for (const stateMachineArn of arns) {
    const report: StateMachineReport = {
      stateMachineArn,
      executions: 0,
      attempts: 0,
      byPhase: {},
      byReason: {},
      outcomes: {},
      operatorActions: 0,
      gaveUp: [],
      gaveUpNotListed: 0,
      ...(options.executions && { executionRows: [], executionRowsNotListed: 0 }),
    };
    for await (const record of ledger.byStateMachine(stateMachineArn, sinceMs, untilMs)) add(report, record, sinceMs, options.maxListed);
    reports.push(report);
  }
  if (options.output === 'json') {
    io.stdout(`${json({ since: isoOrDash(sinceMs), until: isoOrDash(untilMs), stateMachines: reports })}\n`);
    return EXIT.ok;
  }
  const lines = [`Ledger, updated ${isoOrDash(sinceMs)} .. ${isoOrDash(untilMs)}`];
  for (const r of reports) {
    lines.push(
      r.stateMachineArn,
      renderFields([
        ['executions', r.executions],
        ['redrive attempts', r.attempts],
        ['operator actions', r.operatorActions],
        ['by phase', formatCounts(r.byPhase)],
        ['by reason', formatCounts(r.byReason)],
        ['attempt outcomes', formatCounts(r.outcomes)],
      ]),
    );
    if (r.gaveUp.length > 0) {
      lines.push(`Gave up (${r.gaveUp.length + r.gaveUpNotListed}):`, renderTable(['execution', 'reason', 'attempts', 'updated'], r.gaveUp.map((g) => [g.executionArn, g.reason, g.attemptsUsed, g.updatedAt])));
      if (r.gaveUpNotListed > 0) lines.push(`… and ${r.gaveUpNotListed} more (--max-listed)`);
    }
    if (r.executionRows && r.executionRows.length > 0) {
      lines.push(
        `Executions (${r.executionRows.length + (r.executionRowsNotListed ?? 0)}, newest update first):`,
        renderTable(
          ['execution', 'generation', 'phase (reason)', 'attempts', 'latest outcome', 'actor', 'operator reason', 'overrides', 'updated'],
          r.executionRows.map((row) => [row.executionArn.split(':').slice(-2).join(':'), row.generation, `${row.phase} (${row.reason})`, row.attemptsUsed, row.outcome ?? '-', row.actor ?? '-', row.operatorReason ?? '-', row.overrides?.join(', ') || '-', row.updatedAt]),
        ),
      );
      if (r.executionRowsNotListed) lines.push(`… and ${r.executionRowsNotListed} more (--max-listed)`);
    }
  }
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

function add(report: StateMachineReport, record: LedgerRecord, sinceMs: number, maxListed: number): void {
  report.executions++;
  report.attempts += record.attemptsUsed ?? 0;
  if (record.phase) increment(report.byPhase, record.phase);
  if (record.reason) increment(report.byReason, record.reason);
  for (const attempt of record.attempts ?? []) {
    if ((attempt.outcomeAtMs ?? attempt.decidedAtMs) < sinceMs) continue;
    increment(report.outcomes, attempt.outcome);
    if (attempt.actor.startsWith('operator ')) report.operatorActions++;
  }
  if (report.executionRows) {
    if (report.executionRows.length < maxListed) report.executionRows.push(executionRow(record));
    else report.executionRowsNotListed = (report.executionRowsNotListed ?? 0) + 1;
  }
  if (record.phase === 'GAVE_UP') {
    if (report.gaveUp.length < maxListed) report.gaveUp.push({ executionArn: record.executionArn, reason: record.reason, attemptsUsed: record.attemptsUsed, updatedAt: isoOrDash(record.updatedAtMs) });
    else report.gaveUpNotListed++;
  }
}

/** `operator <identity>: <reason>` (identities are ARNs or `local:<user>`, with no ": " in them). */
export function splitActor(actor: string): { actor: string; operatorReason?: string } {
  const at = actor.startsWith('operator ') ? actor.indexOf(': ') : -1;
  return at === -1 ? { actor } : { actor: actor.slice(0, at), operatorReason: actor.slice(at + 2) };
}

function executionRow(record: LedgerRecord): ExecutionRow {
  const latest = record.attempts.at(-1);
  return {
    executionArn: record.executionArn,
    generation: record.generation,
    phase: record.phase,
    reason: record.reason,
    attemptsUsed: record.attemptsUsed,
    ...(latest && { outcome: latest.outcome, ...splitActor(latest.actor) }),
    ...(latest?.overrides && { overrides: latest.overrides.map((o) => `${o.rule} (${o.detail})`) }),
    updatedAt: isoOrDash(record.updatedAtMs),
  };
}

function formatCounts(counts: Record<string, number>): string {
  return sortedCounts(counts).map(([key, n]) => `${key} ${n}`).join(', ') || '-';
}

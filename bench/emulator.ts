/**
 * The emulator benchmark, on the Step Functions emulator alone (virtual clock, official SDK client over
 * HTTP), not through the pipeline: N executions of a state machine whose Task fails on its first
 * invocation and succeeds on its second (the mock config's "Throw on 0, Return on 1", the fault the tests
 * use), started with bounded concurrency and run until all N are FAILED; then RedriveExecution of each of
 * the N, with the same bound, until all N are SUCCEEDED. The emulator's throttling is off: on a virtual
 * clock its buckets refill only when the clock moves, and this measures the emulator, not the quota.
 * Counts are checked exactly (ListExecutions by status and redrive filter, every redriveCount 1); any
 * difference or API error throws, so the bench fails loudly.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import {
  CreateStateMachineCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  type ExecutionListItem,
  type ExecutionStatus,
} from '@aws-sdk/client-sfn';
import { VirtualClock } from '../local/clock';
import { SfnEmulator } from '../local/sfn';

export interface EmulatorFigures {
  executions: number;
  /** SDK calls in flight at once, for the starts and for the redrives. */
  concurrency: number;
  throttling: false;
  /** First StartExecution to all N FAILED (the emulator idle). */
  startAndFailSeconds: number;
  /** First RedriveExecution to all N SUCCEEDED. */
  redriveAndSucceedSeconds: number;
  startCallsPerSecond: number;
  redriveCallsPerSecond: number;
  /** Every call the emulator answered, the verification listings included. */
  apiCalls: Record<string, number>;
  failedAfterStart: number;
  succeededAfterRedrive: number;
  /** Of the SUCCEEDED ones: listed as REDRIVEN with redriveCount exactly 1. */
  redrivenOnce: number;
  taskInvocations: number;
  /** process.resourceUsage().maxRSS: the process's peak so far (in a full run, earlier sections' too). */
  peakRssMb: number;
  /** `uptime` before the starts and after the redrives: other jobs share the machine. */
  loadBefore: string;
  loadAfter: string;
}

const ROLE_ARN = 'arn:aws:iam::123456789012:role/bench';
const MACHINE = 'bench-emulator';
const CONCURRENCY = 32;

/** Runs `work(i)` for i in [0, n), at most `limit` at once; the first failure rejects. */
async function pooled(n: number, limit: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${os.loadavg().map((load) => load.toFixed(2)).join(', ')}`;
  }
}

export async function runEmulatorBench(executions: number): Promise<EmulatorFigures> {
  const emulator = new SfnEmulator({
    clock: new VirtualClock({ startMs: Date.UTC(2026, 0, 1) }),
    throttling: { enabled: false },
    mockConfig: {
      StateMachines: { [MACHINE]: { TestCases: { FailOnce: { Charge: 'ChargeFailsOnce' } } } },
      MockedResponses: {
        ChargeFailsOnce: {
          '0': { Throw: { Error: 'Payments.Unavailable', Cause: '503 from PSP' } },
          '1': { Return: { Payload: { charged: true } } },
        },
      },
    },
  });
  const sfn = new SFNClient({ endpoint: await emulator.start(0), region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, maxAttempts: 1 });
  try {
    const definition = {
      StartAt: 'Charge',
      States: { Charge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'charge', 'Payload.$': '$' }, End: true } },
    };
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: MACHINE, roleArn: ROLE_ARN, definition: JSON.stringify(definition) }));
    const listAll = async (filter: { statusFilter?: ExecutionStatus; redriveFilter?: 'REDRIVEN' }): Promise<ExecutionListItem[]> => {
      const listed: ExecutionListItem[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, nextToken, ...filter }));
        listed.push(...page.executions!);
        nextToken = page.nextToken;
      } while (nextToken);
      return listed;
    };
    const expectCount = (what: string, actual: number) => {
      if (actual !== executions) throw new Error(`emulator bench: expected ${executions} ${what}, got ${actual}`);
    };

    const loadBefore = uptime();
    const executionArns: string[] = new Array(executions);
    let startedAt = performance.now();
    await pooled(executions, CONCURRENCY, async (i) => {
      const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}#FailOnce`, name: `order-${i}`, input: JSON.stringify({ order: i }) }));
      executionArns[i] = started.executionArn!;
    });
    await emulator.waitForIdle();
    const startAndFailSeconds = (performance.now() - startedAt) / 1000;
    const failed = await listAll({ statusFilter: 'FAILED' });
    expectCount('FAILED executions after the starts', failed.length);
    expectCount('executions in all', (await listAll({})).length);

    startedAt = performance.now();
    await pooled(executions, CONCURRENCY, (i) => sfn.send(new RedriveExecutionCommand({ executionArn: executionArns[i] })));
    await emulator.waitForIdle();
    const redriveAndSucceedSeconds = (performance.now() - startedAt) / 1000;
    const succeeded = await listAll({ statusFilter: 'SUCCEEDED' });
    expectCount('SUCCEEDED executions after the redrives', succeeded.length);
    const redriven = await listAll({ redriveFilter: 'REDRIVEN' });
    const redrivenOnce = redriven.filter((execution) => execution.redriveCount === 1 && execution.status === 'SUCCEEDED').length;
    expectCount('SUCCEEDED executions redriven exactly once', redrivenOnce);
    const taskInvocations = executionArns.reduce((sum, arn) => sum + emulator.mockInvocations(arn, 'Charge'), 0);
    if (taskInvocations !== 2 * executions) throw new Error(`emulator bench: expected ${2 * executions} task invocations, got ${taskInvocations}`);

    const apis = emulator.stats().apis;
    for (const [api, stats] of Object.entries(apis)) {
      if (stats.errors + stats.throttled + stats.faulted > 0) throw new Error(`emulator bench: ${api} answered ${stats.errors} errors, ${stats.throttled} throttled, ${stats.faulted} faulted`);
    }
    return {
      executions,
      concurrency: CONCURRENCY,
      throttling: false,
      startAndFailSeconds,
      redriveAndSucceedSeconds,
      startCallsPerSecond: executions / startAndFailSeconds,
      redriveCallsPerSecond: executions / redriveAndSucceedSeconds,
      apiCalls: Object.fromEntries(Object.entries(apis).map(([api, stats]) => [api, stats.calls])),
      failedAfterStart: failed.length,
      succeededAfterRedrive: succeeded.length,
      redrivenOnce,
      taskInvocations,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      loadBefore,
      loadAfter: uptime(),
    };
  } finally {
    sfn.destroy();
    await emulator.stop();
  }
}

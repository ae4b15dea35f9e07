/**
 * What a bulk redrive costs, counted by the emulator: no evidence call when nothing needs the error text,
 * one per execution at most in the whole command when something does; and the plan file, applied as
 * reviewed: without listing again, once however often it is applied, and resumed after an interrupt.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../local/clock';
import type { ApiStats } from '../../local/sfn';
import { cli, createStateMachine, localFlags, useLocalStack } from './harness';

const START_MS = Date.UTC(2026, 10, 24, 9, 0, 0);
const HOUR_MS = 3_600_000;

describe('redrive: calls per execution', () => {
  const clock = new VirtualClock({ startMs: START_MS });
  const stack = useLocalStack({ clock });
  const dir = mkdtempSync(join(tmpdir(), 'redrive-cost-'));
  let snapshot: Record<string, ApiStats> = {};
  const mark = () => void (snapshot = stack().sfn.stats().apis);
  /** Calls of one API that got through since `mark()`. */
  const callsSince = (api: string) => {
    const now = stack().sfn.stats().apis[api] ?? { calls: 0, throttled: 0 };
    const was = snapshot[api] ?? { calls: 0, throttled: 0 };
    return now.calls - now.throttled - (was.calls - was.throttled);
  };
  const seedFailures = (stateMachineArn: string, count: number, error: (i: number) => string, redriveCount = (i: number) => i % 3) =>
    Array.from({ length: count }, (_, i) =>
      stack().sfn.seedExecution({ stateMachineArn, name: `f-${i}`, status: 'FAILED', startDateMs: clock.nowMs() - 3 * HOUR_MS, stopDateMs: clock.nowMs() - 2 * HOUR_MS + i, error: error(i), cause: `cause ${i}`, redriveCount: redriveCount(i) }),
    );

  it('makes no DescribeExecution or history call when no filter and no error policy needs the error text', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'cost-no-policy');
    const arns = seedFailures(stateMachineArn, 60, () => 'PaymentGatewayTimeout');
    const config = join(dir, 'no-error-policy.json');
    writeFileSync(config, JSON.stringify({ watch: { stateMachineNamePrefixes: ['orders-'] }, errorPolicy: { neverRetry: [] } }));
    mark();
    const out = await cli(['redrive', ...localFlags(stack()), '--config', config, '--state-machine', stateMachineArn, '--reason', 'INC-20', '--yes', '--output', 'json'], { clock });

    expect(out.code).toBe(0);
    const { plan, run } = JSON.parse(out.stdout);
    expect(plan).toMatchObject({ matched: 60, eligible: 60, redrivenBefore: 40, evidenceCalls: { DescribeExecution: 0, GetExecutionHistory: 0 } });
    expect(run).toMatchObject({ redriven: 60, errors: 0 });
    expect(callsSince('DescribeExecution')).toBe(0);
    expect(callsSince('GetExecutionHistory')).toBe(0);
    expect(callsSince('RedriveExecution')).toBe(60);
    // One page per status (FAILED, TIMED_OUT).
    expect(callsSince('ListExecutions')).toBe(2);
    expect(arns.every((arn) => stack().sfn.execution(arn)!.status === 'SUCCEEDED')).toBe(true);

    // The default config's never-retry list, lifted for the run: no call either.
    const lifted = await createStateMachine(stack(), 'cost-lifted');
    seedFailures(lifted, 20, () => 'PaymentGatewayTimeout');
    mark();
    const liftedRun = await cli(['redrive', ...localFlags(stack()), '--state-machine', lifted, '--override-error-policy', '--reason', 'INC-20', '--yes', '--output', 'json'], { clock });
    expect(JSON.parse(liftedRun.stdout).run).toMatchObject({ redriven: 20 });
    expect(callsSince('DescribeExecution') + callsSince('GetExecutionHistory')).toBe(0);
  });

  it('with the default never-retry list or --error, costs one evidence call per execution in plan and run together, and none where the ledger has the error', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'cost-policy');
    const arns = seedFailures(stateMachineArn, 40, (i) => (i % 4 === 0 ? 'States.Permissions' : 'PaymentGatewayTimeout'), () => 0);
    // The pipeline recorded ten of these failures (same generation) with their error: no call for those.
    for (const arn of arns.slice(0, 10)) {
      const execution = stack().sfn.execution(arn)!;
      await stack().ledger.transition({
        evidence: { executionArn: arn, stateMachineArn, executionName: execution.name, status: 'FAILED', startDateMs: execution.startDateMs, stopDateMs: execution.stopDateMs, redriveCount: 0, error: execution.error, cause: execution.cause, sources: ['event'] },
        generation: 0, expect: { newGeneration: true }, phase: 'WAITING', reason: 'BACKOFF', nowMs: clock.nowMs(), dueAtMs: clock.nowMs() + HOUR_MS, recheckEnqueued: true,
      });
    }
    mark();
    const out = await cli(['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--reason', 'INC-21', '--yes', '--output', 'json'], { clock });
    expect(out.code).toBe(0);
    const { plan, run } = JSON.parse(out.stdout);
    expect(plan).toMatchObject({ matched: 40, eligible: 30, ineligible: { NON_RETRYABLE_ERROR: 10 } });
    expect(run).toMatchObject({ redriven: 30, errors: 0 });
    const evidence = callsSince('DescribeExecution') + callsSince('GetExecutionHistory');
    expect(evidence).toBe(30);
    expect(plan.evidenceCalls.DescribeExecution + plan.evidenceCalls.GetExecutionHistory).toBe(30);
    expect(callsSince('RedriveExecution')).toBe(30);

    const filtered = await createStateMachine(stack(), 'cost-filter');
    seedFailures(filtered, 30, (i) => (i % 3 === 0 ? 'CarrierDown' : 'PaymentGatewayTimeout'));
    mark();
    const byError = await cli(['redrive', ...localFlags(stack()), '--state-machine', filtered, '--error', 'Payment*', '--reason', 'INC-22', '--yes', '--output', 'json'], { clock });
    expect(JSON.parse(byError.stdout)).toMatchObject({ plan: { matched: 20, eligible: 20 }, run: { redriven: 20 } });
    // Every listed execution's error was read once, to match the filter; the run read none again.
    expect(callsSince('DescribeExecution') + callsSince('GetExecutionHistory')).toBe(30);
    const perExecution = { DescribeExecution: callsSince('DescribeExecution') / 30, GetExecutionHistory: callsSince('GetExecutionHistory') / 30, RedriveExecution: callsSince('RedriveExecution') / 30 };
    console.log(`--error over 30 executions (20 match), calls per execution: ${JSON.stringify(perExecution)}`);
  });
});

describe('redrive: the plan file', () => {
  const clock = new VirtualClock({ startMs: START_MS });
  const stack = useLocalStack({ clock });
  const dir = mkdtempSync(join(tmpdir(), 'redrive-plan-file-'));
  const calls = (api: string) => stack().sfn.stats().apis[api]?.calls ?? 0;

  it('applies a reviewed plan without listing or reading again, and a plan applied twice redrives each execution once', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'plan-twice');
    const arns = Array.from({ length: 30 }, (_, i) =>
      stack().sfn.seedExecution({ stateMachineArn, name: `p-${i}`, status: 'FAILED', startDateMs: clock.nowMs() - 3 * HOUR_MS, stopDateMs: clock.nowMs() - 2 * HOUR_MS + i, error: 'PaymentGatewayTimeout', redriveCount: i % 2 }),
    );
    const planPath = join(dir, 'twice.jsonl');
    const made = await cli(['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--dry-run', '--plan-out', planPath], { clock });
    expect(made.code).toBe(0);
    expect(made.stdout).toContain(`Plan file: ${planPath}`);
    const lines = readFileSync(planPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ kind: 'sfn-autoredrive/redrive-plan', version: 1, region: 'us-east-1', stateMachines: [stateMachineArn] });
    expect(lines.slice(1, -1)).toHaveLength(30);
    expect(lines[1]).toEqual(expect.objectContaining({ executionArn: expect.any(String), generation: expect.any(Number), verdict: 'REDRIVE' }));
    expect(lines.at(-1)).toMatchObject({ kind: 'end', entries: 30, complete: true });
    expect(calls('RedriveExecution')).toBe(0);

    const before = { list: calls('ListExecutions'), describe: calls('DescribeExecution'), history: calls('GetExecutionHistory') };
    const apply = ['redrive', ...localFlags(stack()), '--plan', planPath, '--reason', 'INC-23', '--yes', '--output', 'json'];
    const first = await cli(apply, { clock });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ plan: { matched: 30, eligible: 30 }, run: { redriven: 30, errors: 0 } });
    const second = await cli(apply, { clock });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).run).toMatchObject({ processed: 30, redriven: 0, skipped: { ALREADY_HANDLED: 30 }, errors: 0 });

    expect(calls('RedriveExecution')).toBe(30);
    expect(arns.map((arn, i) => stack().sfn.execution(arn)!.redriveCount - (i % 2))).toEqual(arns.map(() => 1));
    expect({ list: calls('ListExecutions'), describe: calls('DescribeExecution'), history: calls('GetExecutionHistory') }).toEqual(before);
  });

  it('resumes an interrupted apply from the ledger: the rest is redriven, nothing twice', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'plan-interrupted');
    const arns = Array.from({ length: 120 }, (_, i) =>
      stack().sfn.seedExecution({ stateMachineArn, name: `i-${i}`, status: 'FAILED', startDateMs: clock.nowMs() - 3 * HOUR_MS, stopDateMs: clock.nowMs() - 2 * HOUR_MS + i, error: 'PaymentGatewayTimeout' }),
    );
    const planPath = join(dir, 'interrupted.jsonl');
    expect((await cli(['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--dry-run', '--plan-out', planPath], { clock })).code).toBe(0);
    const redrivesBefore = calls('RedriveExecution');
    const apply = ['redrive', ...localFlags(stack()), '--plan', planPath, '--reason', 'INC-24', '--yes', '--rate', '40', '--output', 'json'];

    let timer: NodeJS.Timeout | undefined;
    const cut = await cli(apply, {
      clock,
      interrupt: (trigger) => {
        timer = setInterval(() => {
          if (calls('RedriveExecution') - redrivesBefore < 30) return;
          clearInterval(timer);
          trigger();
        }, 5);
      },
    });
    clearInterval(timer);
    expect(cut.code).toBe(1);
    const partial = JSON.parse(cut.stdout).run;
    expect(partial).toMatchObject({ interrupted: true, errors: 0 });
    expect(partial.redriven).toBeGreaterThanOrEqual(30);
    expect(partial.redriven).toBeLessThan(120);

    const resumed = await cli(apply, { clock });
    expect(resumed.code).toBe(0);
    const rest = JSON.parse(resumed.stdout).run;
    expect(rest).toMatchObject({ processed: 120, redriven: 120 - partial.redriven, skipped: { ALREADY_HANDLED: partial.redriven }, errors: 0 });
    expect(calls('RedriveExecution') - redrivesBefore).toBe(120);
    expect(arns.filter((arn) => stack().sfn.execution(arn)!.redriveCount !== 1)).toEqual([]);
  });

  it('refuses a plan that is cut short, mixed with selection flags, or made in another region', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'plan-refusals');
    stack().sfn.seedExecution({ stateMachineArn, name: 'r-1', status: 'FAILED', startDateMs: clock.nowMs() - 3 * HOUR_MS, stopDateMs: clock.nowMs() - 2 * HOUR_MS, error: 'PaymentGatewayTimeout' });
    const planPath = join(dir, 'refusals.jsonl');
    const redrivesBefore = calls('RedriveExecution');
    expect((await cli(['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--dry-run', '--plan-out', planPath], { clock })).code).toBe(0);
    const apply = (path: string, extra: string[] = [], region = 'us-east-1') =>
      cli(['redrive', ...localFlags(stack()).map((flag) => (flag === 'us-east-1' ? region : flag)), '--plan', path, '--reason', 'INC-25', '--yes', ...extra], { clock });

    const lines = readFileSync(planPath, 'utf8').trim().split('\n');
    const cutShort = join(dir, 'cut-short.jsonl');
    writeFileSync(cutShort, `${lines.slice(0, -1).join('\n')}\n`);
    expect(await apply(cutShort)).toMatchObject({ code: 2, stderr: expect.stringContaining('is incomplete (1 entries, no end line): make the plan again') });
    expect(await apply(planPath, ['--state-machine', stateMachineArn])).toMatchObject({ code: 2, stderr: expect.stringContaining('--plan applies a plan as it was made: --state-machine cannot be given with it') });
    expect(await apply(planPath, [], 'eu-west-1')).toMatchObject({ code: 2, stderr: expect.stringContaining('was made in us-east-1; this command runs in eu-west-1') });
    expect(calls('RedriveExecution')).toBe(redrivesBefore);
  });
});

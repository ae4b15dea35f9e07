/**
 * The plan counts what the run then does, for a mix of eligible and ineligible executions; the
 * selection filters; confirmation; and the rate limiter against the emulator's throttling buckets.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { VirtualClock } from '../../local/clock';
import type { SeedExecutionOptions } from '../../local/sfn';
import { cli, createStateMachine, localFlags, useLocalStack } from './harness';

const START_MS = Date.UTC(2026, 10, 24, 9, 0, 0);
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

describe('redrive plan and selection', () => {
  const clock = new VirtualClock({ startMs: START_MS });
  const stack = useLocalStack({ clock });
  const redriveCount = async (executionArn: string) => (await stack().clients.sfn.send(new DescribeExecutionCommand({ executionArn }))).redriveCount;

  it('counts eligible and ineligible executions by reason exactly as the run then treats them', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'billing-mix');
    const seed = (name: string, extra: Partial<SeedExecutionOptions> = {}) =>
      stack().sfn.seedExecution({ stateMachineArn, name, status: 'FAILED', startDateMs: START_MS - 3 * DAY_MS, stopDateMs: START_MS - 2 * DAY_MS, error: 'PaymentGatewayTimeout', ...extra });
    const eligible = [seed('ok-1'), seed('ok-2'), seed('ok-3', { status: 'TIMED_OUT' })];
    // Stopped 13 days ago: expired once the clock moves 2 days on.
    const expired = seed('expired', { startDateMs: START_MS - 13 * DAY_MS - HOUR_MS, stopDateMs: START_MS - 13 * DAY_MS });
    const overHistory = seed('over-history', { historyEventCount: 24_999 });
    const express = seed('express', { type: 'EXPRESS' });
    const mapChild = seed('map-child', { mapRunArn: 'arn:aws:states:us-east-1:123456789012:mapRun:billing-mix/Map1:3f1c' });
    const succeeded = seed('succeeded', { status: 'SUCCEEDED', error: undefined });
    const handled = seed('handled');
    await stack().ledger.transition({
      evidence: { executionArn: handled, stateMachineArn, executionName: 'handled', status: 'FAILED', startDateMs: START_MS - 3 * DAY_MS, stopDateMs: START_MS - 2 * DAY_MS, redriveCount: 0, sources: ['list'] },
      generation: 0, expect: { newGeneration: true }, phase: 'REDRIVEN', reason: 'ELIGIBLE', nowMs: START_MS,
    });
    await clock.advance(2 * DAY_MS);
    const args = ['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--since', '20d', '--reason', 'INC-2', '--rate', '1000', '--output', 'json'];

    const dry = await cli([...args, '--dry-run'], { clock });
    expect(dry.code).toBe(0);
    const { plan } = JSON.parse(dry.stdout);
    expect(plan).toMatchObject({
      matched: 8,
      eligible: 3,
      ineligible: { REDRIVE_WINDOW_EXPIRED: 1, NOT_REDRIVABLE_PER_AWS: 1, EXPRESS_STATE_MACHINE: 1, MAP_RUN_CHILD: 1, ALREADY_HANDLED: 1 },
    });
    expect(plan.preview.map((row: { executionArn: string }) => row.executionArn)).not.toContain(succeeded);
    expect(stack().sfn.stats().apis.RedriveExecution).toBeUndefined();

    const run = await cli([...args, '--yes'], { clock });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout).run;
    expect(summary).toMatchObject({ processed: 8, redriven: 3, errors: 0, skipped: plan.ineligible });
    for (const arn of eligible) expect(await redriveCount(arn)).toBe(1);
    for (const arn of [expired, overHistory, succeeded, handled]) expect(await redriveCount(arn)).toBe(0);
    expect(stack().sfn.execution(express)!.redriveCount).toBe(0);
    expect(stack().sfn.execution(mapChild)!.redriveCount).toBe(0);
    expect(stack().sfn.stats().apis.RedriveExecution.calls).toBe(3);
  });

  it('selects by error pattern, failed state and limit, and prints the plan as a table', async () => {
    const definition = {
      StartAt: 'Route',
      States: {
        Route: { Type: 'Choice', Choices: [{ Variable: '$.fail', StringEquals: 'charge', Next: 'Charge' }], Default: 'Ship' },
        Charge: { Type: 'Fail', Error: 'PaymentGatewayTimeout', Cause: 'psp down' },
        Ship: { Type: 'Fail', Error: 'CarrierDown', Cause: 'carrier api 503' },
      },
    };
    const stateMachineArn = await createStateMachine(stack(), 'billing-steps', definition);
    for (let i = 0; i < 6; i++) {
      await stack().clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name: `run-${i}`, input: JSON.stringify({ fail: i % 2 === 0 ? 'charge' : 'ship' }) }));
    }
    await stack().settle();
    const base = ['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--dry-run', '--output', 'json'];
    const planOf = async (extra: string[]) => {
      const out = await cli([...base, ...extra], { clock });
      expect(out.code).toBe(0);
      return JSON.parse(out.stdout).plan;
    };

    expect(await planOf([])).toMatchObject({ matched: 6, eligible: 6 });
    expect(await planOf(['--error', 'Payment*'])).toMatchObject({ matched: 3, eligible: 3 });
    expect(await planOf(['--error', '/carrier api 5\\d\\d/'])).toMatchObject({ matched: 3 });
    const byState = await planOf(['--failed-state', 'Ship']);
    expect(byState).toMatchObject({ matched: 3, eligible: 3 });
    expect(byState.preview.every((row: { error: string }) => row.error === 'CarrierDown')).toBe(true);
    expect(await planOf(['--limit', '2'])).toMatchObject({ matched: 2, eligible: 2 });

    const table = await cli(['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--dry-run', '--error', 'CarrierDown'], { clock });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/matched\s*│\s*3/);
    expect(table.stdout).toMatch(/eligible \(will be redriven\)\s*│\s*3/);
    expect(table.stdout).toContain('billing-steps:run-1');
  });

  it('asks before redriving: no answer on a terminal redrives nothing, no terminal needs --yes', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'billing-confirm');
    const arn = stack().sfn.seedExecution({ stateMachineArn, name: 'one', status: 'FAILED', startDateMs: clock.nowMs() - 2 * HOUR_MS, stopDateMs: clock.nowMs() - HOUR_MS });
    const args = ['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--reason', 'INC-3'];

    const declined = await cli(args, { clock, confirm: false });
    expect(declined).toMatchObject({ code: 0 });
    expect(declined.stderr).toContain('Cancelled: nothing was redriven');
    const listedBefore = stack().sfn.stats().apis.ListExecutions.calls;
    const noTerminal = await cli(args, { clock });
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain('Refusing to redrive without confirmation: stdin is not a terminal. Pass --yes');
    // Refused up front: nothing was listed in vain.
    expect(stack().sfn.stats().apis.ListExecutions.calls).toBe(listedBefore);
    expect(await redriveCount(arn)).toBe(0);

    const accepted = await cli(args, { clock, confirm: true });
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/redriven\s*│\s*1/);
    expect(await redriveCount(arn)).toBe(1);
  });
});

describe('redrive against the throttling buckets', () => {
  // 4x real time: the emulator's DescribeExecution (300, +15/s) and GetExecutionHistory (400, +20/s) buckets
  // refill at 60 and 80 per real second. Whether the CLI outpaces them depends on how fast this machine is,
  // so the test forces a few ThrottlingExceptions and asserts nothing about the buckets' own rejections but
  // their count and share. test/cli/rate-limit.test.ts pits the limiter against a bucket on a virtual clock.
  const clock = new VirtualClock({ startMs: START_MS, speed: 4 });
  const stack = useLocalStack({ clock, throttling: true });
  const FORCED = 3;

  it('adapts to throttling: every rejection counted, few of them, one evidence call per execution, none lost, each redriven once', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'billing-throttled');
    const arns = Array.from({ length: 200 }, (_, i) =>
      stack().sfn.seedExecution({ stateMachineArn, name: `t-${i}`, status: 'FAILED', startDateMs: clock.nowMs() - 2 * HOUR_MS, stopDateMs: clock.nowMs() - HOUR_MS, error: 'PaymentGatewayTimeout' }),
    );
    // Others in the account (the worker, dashboards) have already spent both bursts.
    await Promise.all(Array.from({ length: 300 }, () => stack().clients.sfn.send(new DescribeExecutionCommand({ executionArn: arns[0] }))));
    await Promise.all(Array.from({ length: 400 }, () => stack().clients.sfn.send(new GetExecutionHistoryCommand({ executionArn: arns[0], maxResults: 1 }))));
    stack().sfn.setFaults({ forcedErrors: { DescribeExecution: { code: 'ThrottlingException', message: 'Rate exceeded', count: FORCED } } });
    const before = stack().sfn.stats().apis;
    // Asking for far more than the buckets allow: the limiter must find the real rates itself.
    const out = await cli(['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--reason', 'INC-4', '--yes', '--rate', '1000', '--concurrency', '16', '--output', 'json'], { clock });

    expect(out.code).toBe(0);
    const { plan, run } = JSON.parse(out.stdout);
    expect(plan.eligible).toBe(200);
    expect(run).toMatchObject({ redriven: 200, errors: 0 });
    const after = stack().sfn.stats().apis;
    const delta = (api: string) => ({
      calls: after[api].calls - (before[api]?.calls ?? 0),
      throttled: after[api].throttled - (before[api]?.throttled ?? 0),
      forced: after[api].faulted - (before[api]?.faulted ?? 0),
    });
    const describe = delta('DescribeExecution');
    const history = delta('GetExecutionHistory');
    // One evidence call got through per execution, in the whole command, spread over both buckets.
    const rejected = describe.throttled + describe.forced + history.throttled + history.forced;
    expect(describe.calls + history.calls - rejected).toBe(200);
    expect(plan.evidenceCalls.DescribeExecution + plan.evidenceCalls.GetExecutionHistory).toBe(200);
    // Forced throttles count as faulted, the buckets' own as throttled; the CLI saw both as ThrottlingException.
    expect(describe.forced).toBe(FORCED);
    expect((run.throttled.DescribeExecution ?? 0) + (run.throttled.GetExecutionHistory ?? 0)).toBe(rejected);
    expect(rejected / (describe.calls + history.calls)).toBeLessThan(0.25);
    expect(arns.filter((arn) => stack().sfn.execution(arn)!.redriveCount !== 1)).toEqual([]);
    console.log(`throttling: DescribeExecution ${describe.throttled} throttled by the bucket and ${describe.forced} forced of ${describe.calls} calls, GetExecutionHistory ${history.throttled} of ${history.calls}`);
  });
});

/**
 * What on-call needs after an outage: executions the pipeline gave up on are selected by default.
 */
import { VirtualClock } from '../../local/clock';
import type { LedgerAttempt } from '../../core/ledger-record';
import type { LocalStack } from '../../local/stack';
import { cli, createStateMachine, localFlags, useLocalStack } from './harness';

const START_MS = Date.UTC(2026, 10, 24, 9, 0, 0);
const HOUR_MS = 3_600_000;

/** A failure the pipeline redrove `attempts` times and then gave up on, as its worker leaves it in the ledger. */
async function seedGaveUp(stack: LocalStack, stateMachineArn: string, name: string, clock: VirtualClock, attempts = 3, error = 'PaymentGatewayTimeout', failed: Partial<LedgerAttempt> = {}): Promise<string> {
  const startDateMs = clock.nowMs() - 3 * HOUR_MS;
  const stopDateMs = clock.nowMs() - HOUR_MS;
  const arn = stack.sfn.seedExecution({ stateMachineArn, name, status: 'FAILED', startDateMs, stopDateMs, error, cause: 'gateway is down', redriveCount: attempts });
  await stack.ledger.transition({
    evidence: { executionArn: arn, stateMachineArn, executionName: name, status: 'FAILED', startDateMs, stopDateMs, redriveCount: attempts, error, cause: 'gateway is down', sources: ['event'] },
    generation: attempts,
    expect: { newGeneration: true },
    phase: 'GAVE_UP',
    reason: 'MAX_ATTEMPTS_REACHED',
    nowMs: clock.nowMs(),
    attemptsIncrement: attempts,
    attempt: { generation: attempts, decision: 'GIVE_UP', reason: 'MAX_ATTEMPTS_REACHED', decidedAtMs: clock.nowMs(), outcome: 'GAVE_UP', actor: 'worker', ...failed },
  });
  return arn;
}

describe('redrive selects executions redriven before', () => {
  const clock = new VirtualClock({ startMs: START_MS });
  const stack = useLocalStack({ clock });

  it('includes failures the pipeline gave up on by default, and leaves them out with --not-redriven-only', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'incident-gave-up');
    const gaveUp: string[] = [];
    for (let i = 0; i < 3; i++) gaveUp.push(await seedGaveUp(stack(), stateMachineArn, `gave-up-${i}`, clock));
    const fresh = stack().sfn.seedExecution({ stateMachineArn, name: 'first-backoff', status: 'FAILED', startDateMs: clock.nowMs() - 2 * HOUR_MS, stopDateMs: clock.nowMs() - HOUR_MS, error: 'PaymentGatewayTimeout' });
    const args = ['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--dry-run', '--output', 'json'];

    const byDefault = JSON.parse((await cli(args, { clock })).stdout).plan;
    expect(byDefault).toMatchObject({ matched: 4, redrivenBefore: 3, gaveUp: 3 });
    const previewed = byDefault.preview.map((row: { executionArn: string }) => row.executionArn);
    expect(previewed).toEqual(expect.arrayContaining([...gaveUp, fresh]));

    const notRedrivenOnly = JSON.parse((await cli([...args, '--not-redriven-only'], { clock })).stdout).plan;
    expect(notRedrivenOnly).toMatchObject({ matched: 1, redrivenBefore: 0, gaveUp: 0 });
    // The old flag is accepted and changes nothing.
    expect(JSON.parse((await cli([...args, '--include-redriven'], { clock })).stdout).plan).toMatchObject({ matched: 4 });
    // Our attempt cap binds the operator too, and the plan says which flag lifts it.
    expect(byDefault).toMatchObject({ eligible: 1, ineligible: { MAX_ATTEMPTS_REACHED: 3 } });
    const row = byDefault.preview.find((r: { executionArn: string }) => r.executionArn === gaveUp[0]);
    expect(row).toMatchObject({ verdict: 'MAX_ATTEMPTS_REACHED', lift: expect.stringContaining('--override-max-attempts') });
  });
});

describe('redrive and failures in a Fail state', () => {
  const clock = new VirtualClock({ startMs: START_MS });
  const stack = useLocalStack({ clock });

  it('the plan counts and marks the redrives that will fail again in a Fail state, as the ledger recorded them on giving up', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'incident-fail-state');
    const caught = await seedGaveUp(stack(), stateMachineArn, 'caught', clock, 3, 'PaymentGatewayTimeout', { failedState: 'PaymentFailed', failedInFailState: true });
    const task = await seedGaveUp(stack(), stateMachineArn, 'task', clock, 3, 'PaymentGatewayTimeout', { failedState: 'Charge' });
    const args = ['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--override-max-attempts', '--reason', 'INC-7', '--dry-run'];

    const plan = JSON.parse((await cli([...args, '--output', 'json'], { clock })).stdout).plan;
    expect(plan).toMatchObject({ matched: 2, eligible: 2, gaveUp: 2, failStateRedrives: 1, evidenceCalls: { DescribeExecution: 0, GetExecutionHistory: 0 } });
    const rows = new Map(plan.preview.map((row: { executionArn: string; failedState: string }) => [row.executionArn, row.failedState]));
    expect(rows).toEqual(new Map([[caught, 'PaymentFailed (Fail state)'], [task, 'Charge']]));

    const table = (await cli(args, { clock })).stdout;
    expect(table).toMatch(/failed in a Fail state: will fail there again \(restart them instead\)\s*│\s*1/);
    expect(table).toContain('PaymentFailed (Fail state)');
  });
});

describe('redrive with an audited override', () => {
  const clock = new VirtualClock({ startMs: START_MS });
  const stack = useLocalStack({ clock });

  it('lifts the attempt cap and the error policy only with --reason, and records each override with identity and reason', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'incident-override');
    const gaveUp = await seedGaveUp(stack(), stateMachineArn, 'gave-up', clock);
    const permissions = stack().sfn.seedExecution({ stateMachineArn, name: 'iam-fixed', status: 'FAILED', startDateMs: clock.nowMs() - 2 * HOUR_MS, stopDateMs: clock.nowMs() - HOUR_MS, error: 'States.Permissions', cause: 'not authorized to perform lambda:InvokeFunction' });
    const expired = stack().sfn.seedExecution({ stateMachineArn, name: 'too-old', status: 'FAILED', startDateMs: clock.nowMs() - 16 * 24 * HOUR_MS, stopDateMs: clock.nowMs() - 15 * 24 * HOUR_MS, error: 'States.Permissions' });
    const base = ['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--since', '20d', '--output', 'json'];
    const overrides = ['--override-max-attempts', '--override-error-policy'];

    const noReason = await cli([...base, ...overrides, '--dry-run'], { clock });
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--override-error-policy and --override-max-attempts lift our policy for this run: give --reason');

    const plan = JSON.parse((await cli([...base, ...overrides, '--dry-run', '--reason', 'INC-7 IAM fixed'], { clock })).stdout).plan;
    expect(plan).toMatchObject({ matched: 3, eligible: 2, ineligible: { REDRIVE_WINDOW_EXPIRED: 1 }, overrides: ['--override-error-policy', '--override-max-attempts'] });
    // AWS's rules are not lifted, and the plan says so for the execution.
    expect(plan.preview.find((r: { executionArn: string }) => r.executionArn === expired)).toMatchObject({ verdict: 'REDRIVE_WINDOW_EXPIRED', lift: 'AWS rule: cannot be lifted' });

    // IAM is fixed: the permission failures, read by --error, go back with the error policy lifted.
    const iam = await cli([...base, '--error', 'States.Permissions', '--override-error-policy', '--reason', 'INC-7 IAM fixed', '--yes'], { clock });
    expect(iam.code).toBe(0);
    expect(JSON.parse(iam.stdout)).toMatchObject({ plan: { matched: 2, eligible: 1 }, run: { redriven: 1, errors: 0 } });
    // And the failures the pipeline gave up on, with the attempt cap lifted.
    const cap = await cli([...base, '--override-max-attempts', '--reason', 'INC-7 PSP back', '--yes'], { clock });
    expect(cap.code).toBe(0);
    // The IAM failure, redriven, succeeded: no longer listed.
    expect(JSON.parse(cap.stdout).run).toMatchObject({ processed: 2, redriven: 1, errors: 0, skipped: { REDRIVE_WINDOW_EXPIRED: 1 } });
    expect(stack().sfn.execution(gaveUp)!.redriveCount).toBe(4);
    expect(stack().sfn.execution(permissions)!.redriveCount).toBe(1);
    expect(stack().sfn.execution(expired)!.redriveCount).toBe(0);

    const actor = (reason: string) => expect.stringMatching(new RegExp(`^operator local:[^:]+: ${reason}$`));
    const lastAttempt = async (arn: string) => (await stack().ledger.get(arn))!.attempts.at(-1);
    expect(await lastAttempt(permissions)).toMatchObject({
      outcome: 'REDRIVEN',
      actor: actor('INC-7 IAM fixed'),
      overrides: [{ rule: 'errorPolicy', detail: 'States.Permissions: matches never-retry pattern States.Permissions' }],
    });
    expect(await lastAttempt(gaveUp)).toMatchObject({ outcome: 'REDRIVEN', generation: 3, actor: actor('INC-7 PSP back'), overrides: [{ rule: 'maxAttempts', detail: '3 of 3 attempts used' }] });

    // The ledger report lists each execution with who acted, their reason and what they lifted.
    const report = await cli(['ledger', ...localFlags(stack()), '--state-machine', stateMachineArn, '--since', '1d', '--executions', '--output', 'json'], { clock });
    expect(report.code).toBe(0);
    const rows = JSON.parse(report.stdout).stateMachines[0].executionRows;
    expect(rows.find((row: { executionArn: string }) => row.executionArn === gaveUp)).toMatchObject({
      generation: 3,
      phase: 'REDRIVEN',
      outcome: 'REDRIVEN',
      actor: expect.stringMatching(/^operator local:[^:]+$/),
      operatorReason: 'INC-7 PSP back',
      overrides: ['maxAttempts (3 of 3 attempts used)'],
    });
    expect(rows.find((row: { executionArn: string }) => row.executionArn === permissions)).toMatchObject({ operatorReason: 'INC-7 IAM fixed', overrides: [expect.stringContaining('errorPolicy (States.Permissions')] });
    const table = await cli(['ledger', ...localFlags(stack()), '--state-machine', stateMachineArn, '--since', '1d', '--executions'], { clock });
    expect(table.stdout).toMatch(/incident-override:gave-up.*INC-7 PSP back/s);
  });
});

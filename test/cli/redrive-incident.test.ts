/**
 * What on-call needs after an outage: executions the pipeline gave up on are selected by default.
 */
import { VirtualClock } from '../../local/clock';
import type { LocalStack } from '../../local/stack';
import { cli, createStateMachine, localFlags, useLocalStack } from './harness';

const START_MS = Date.UTC(2026, 10, 24, 9, 0, 0);
const HOUR_MS = 3_600_000;

/** A failure the pipeline redrove `attempts` times and then gave up on, as its worker leaves it in the ledger. */
async function seedGaveUp(stack: LocalStack, stateMachineArn: string, name: string, clock: VirtualClock, attempts = 3, error = 'PaymentGatewayTimeout'): Promise<string> {
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
    attempt: { generation: attempts, decision: 'GIVE_UP', reason: 'MAX_ATTEMPTS_REACHED', decidedAtMs: clock.nowMs(), outcome: 'GAVE_UP', actor: 'worker' },
  });
  return arn;
}

describe('redrive selects executions redriven before', () => {
  const clock = new VirtualClock({ startMs: START_MS });
  const stack = useLocalStack({ clock });

  it('includes failures the pipeline gave up on by default, and leaves them out with --not-redriven-only', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'incident-gave-up');
    const gaveUp = [];
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
  });
});

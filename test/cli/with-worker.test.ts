/**
 * A bulk redrive while the automatic pipeline handles the same failures (status events through the
 * local stack to the real worker, delayed so they arrive during the run): every failure is redriven
 * exactly once, by one of them.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { VirtualClock } from '../../local/clock';
import { cli, createStateMachine, localFlags, useLocalStack } from './harness';

const MOCKS = {
  StateMachines: { 'orders-race': { TestCases: { Transient: { Charge: 'FailsOnceThenPays' } } } },
  MockedResponses: {
    FailsOnceThenPays: { '0': { Throw: { Error: 'PaymentGatewayTimeout', Cause: 'gateway took 30 s' } }, '1': { Return: { paid: true } } },
  },
};
const FLOW = { StartAt: 'Charge', States: { Charge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } };

describe('redrive alongside the worker', () => {
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 10, 24, 9, 0, 0) });
  // No backoff: the worker redrives as soon as the event arrives, racing the CLI.
  const stack = useLocalStack({ clock, mockConfig: MOCKS, config: { backoff: { initialDelaySeconds: 0, multiplier: 1, maxDelaySeconds: 1, jitter: 'none' } } });

  it('never redrives one failure twice', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'orders-race', FLOW);
    stack().bus.setFaults({ maxDeliveryDelayMs: 30_000 });
    const arns = await Promise.all(
      Array.from({ length: 150 }, async (_, i) => (await stack().clients.sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}#Transient`, name: `order-${i}` }))).executionArn!),
    );
    await stack().sfn.waitForIdle();
    // Status events reach the worker spread over 30 virtual seconds, which pass while the CLI runs.
    let cliRunning = true;
    const trickle = (async () => {
      while (cliRunning) {
        await clock.advance(100);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const run = await cli(['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--reason', 'INC-9', '--yes', '--rate', '1000', '--concurrency', '16', '--output', 'json'], { clock });
    cliRunning = false;
    await trickle;
    await clock.advance(30_000);
    await stack().settle();

    expect(run.code).toBe(0);
    expect(stack().bus.pendingDeliveries()).toBe(0);
    expect(arns.map((arn) => stack().sfn.execution(arn)!.redriveCount)).toEqual(arns.map(() => 1));
    expect(arns.map((arn) => stack().sfn.execution(arn)!.status)).toEqual(arns.map(() => 'SUCCEEDED'));
    expect(stack().sfn.stats().apis.RedriveExecution.calls).toBe(150);
    const records = await Promise.all(arns.map((arn) => stack().ledger.get(arn)));
    const redrivenBy = records.map((record) => {
      const redriven = record!.attempts.filter((a) => a.outcome === 'REDRIVEN');
      expect(redriven).toHaveLength(1);
      return redriven[0].actor.startsWith('operator ') ? 'operator' : redriven[0].actor;
    });
    const byOperator = redrivenBy.filter((actor) => actor === 'operator').length;
    expect(byOperator).toBeGreaterThan(0);
    expect(byOperator).toBeLessThan(150);
    expect(JSON.parse(run.stdout).run.redriven).toBe(byOperator);
    expect(redrivenBy.filter((actor) => actor === 'worker')).toHaveLength(150 - byOperator);
    console.log(`with the worker: operator redrove ${byOperator}, worker ${150 - byOperator}`);
  });
});

/**
 * Bulk redrive of 1,000 failed executions through the CLI: two runs at once redrive each failure exactly
 * once between them, and a later run redrives none.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { clientTokenFor } from '../../core/client-token';
import { VirtualClock } from '../../local/clock';
import { cli, createStateMachine, localFlags, useLocalStack } from './harness';

const START_MS = Date.UTC(2026, 10, 24, 9, 0, 0);
const HOUR_MS = 3_600_000;

describe('redrive (bulk)', () => {
  const clock = new VirtualClock({ startMs: START_MS });
  const stack = useLocalStack({ clock });

  it('redrives each of 1,000 failed executions exactly once across two concurrent runs, and a rerun redrives none', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'orders-bulk');
    const arns = Array.from({ length: 1000 }, (_, i) =>
      stack().sfn.seedExecution({ stateMachineArn, name: `order-${i}`, status: i % 10 === 0 ? 'TIMED_OUT' : 'FAILED', startDateMs: START_MS - 2 * HOUR_MS, stopDateMs: START_MS - HOUR_MS + i, error: 'PaymentGatewayTimeout' }),
    );
    const args = ['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--reason', 'INC-1 PSP outage', '--yes', '--rate', '5000', '--concurrency', '16', '--output', 'json'];

    const started = Date.now();
    const [first, second] = await Promise.all([cli(args, { clock }), cli(args, { clock })]);
    const elapsedMs = Date.now() - started;
    for (const run of [first, second]) {
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).plan).toMatchObject({ matched: 1000, eligible: 1000, ineligible: {} });
    }
    const runs = [first, second].map((r) => JSON.parse(r.stdout).run);
    expect(runs.map((r) => r.errors)).toEqual([0, 0]);
    // Between them every failure was redriven once; the run that lost a claim says so.
    expect(runs[0].redriven + runs[1].redriven).toBe(1000);
    for (const run of runs) expect(run.redriven + (run.skipped.ALREADY_HANDLED ?? 0) + (run.skipped.NOT_FAILED ?? 0)).toBe(run.processed);
    await stack().settle();

    expect(stack().sfn.stats().apis.RedriveExecution.calls).toBe(1000);
    expect(arns.filter((arn) => stack().sfn.execution(arn)!.redriveCount !== 1)).toEqual([]);
    for (const arn of [arns[0], arns[1], arns[500], arns[999]]) {
      expect(await stack().clients.sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).toMatchObject({ redriveCount: 1, status: 'SUCCEEDED' });
      const record = await stack().ledger.get(arn);
      expect(record).toMatchObject({ generation: 0, phase: 'REDRIVEN', attemptsUsed: 1 });
      expect(record!.attempts).toEqual([expect.objectContaining({ outcome: 'REDRIVEN', clientToken: clientTokenFor(arn, 0), actor: expect.stringMatching(/^operator local:.+: INC-1 PSP outage$/) })]);
    }
    console.log(`two concurrent bulk runs over 1,000 executions: ${elapsedMs} ms`);

    // Rerun, including already-redriven executions: every one recovered, so nothing is left to select or redrive.
    const again = await cli([...args, '--include-redriven', '--status', 'FAILED,TIMED_OUT'], { clock });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).plan).toMatchObject({ matched: 0, eligible: 0 });
    expect(stack().sfn.stats().apis.RedriveExecution.calls).toBe(1000);
  });
});

/**
 * The 14-day redrive window closes while a backoff waits. The backoff itself is clamped to the window's
 * safe end (14 days less the 15-minute margin), so this only happens when the recheck comes late: here
 * the worker is down until ten minutes before the window closes. The late recheck must skip with a
 * reason and an alert, with no API call and no retry loop.
 */
import { auditFailures } from './support/accounting';
import { startFaultStack, type FaultStack } from './support/fault-stack';

const DAY_MS = 86_400_000;
let fault: FaultStack;

beforeAll(async () => {
  fault = await startFaultStack({ config: { backoff: { initialDelaySeconds: 43_200, multiplier: 1, maxDelaySeconds: 43_200, jitter: 'none' } } });
});

afterAll(async () => {
  await fault?.stack.stop();
});

it('skips with REDRIVE_WINDOW_EXPIRED and one alert each, and calls nothing', async () => {
  const { stack, clock, startExecutions } = fault;
  const executions = await startExecutions('Transient', 4);
  await stack.settle();
  for (const arn of executions) expect(await stack.ledger.get(arn)).toMatchObject({ phase: 'WAITING', recheckEnqueued: true });

  await stack.worker.stop();
  await clock.advance(14 * DAY_MS - 10 * 60_000);
  stack.worker.start();
  await stack.runUntilQuiet();

  const apis = stack.sfn.stats().apis;
  expect(apis.RedriveExecution).toBeUndefined();
  expect(apis.DescribeExecution).toBeUndefined();
  expect(stack.worker.counters.messagesFailed).toBe(0);
  for (const arn of executions) {
    expect(stack.sfn.execution(arn)).toMatchObject({ status: 'FAILED', redriveCount: 0 });
    expect(await stack.ledger.get(arn)).toMatchObject({ phase: 'SKIPPED', reason: 'REDRIVE_WINDOW_EXPIRED' });
  }
  const audit = await auditFailures(stack, executions);
  expect(audit.violations).toEqual([]);
  expect(audit.places).toEqual({ redriven: 0, skipped: 4, 'gave-up': 0, dlq: 0 });
  const alerts = stack.alerts.filter((a) => a.reason === 'REDRIVE_WINDOW_EXPIRED');
  expect(alerts.map((a) => a.executionArn).sort()).toEqual([...executions].sort());
  expect(alerts.every((a) => a.kind === 'NOT_REDRIVABLE')).toBe(true);
});

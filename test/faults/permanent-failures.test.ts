/**
 * Executions that fail on every run: the attempt cap holds however many times each event is delivered,
 * and the GAVE_UP alert goes out once per execution, also when a later sweep looks at them again.
 */
import { auditFailures } from './support/accounting';
import { startFaultStack, type FaultStack } from './support/fault-stack';

let fault: FaultStack;

beforeAll(async () => {
  fault = await startFaultStack({ config: { maxAttempts: 3 } });
  fault.stack.bus.setFaults({ deliveriesPerEvent: 2 });
});

afterAll(async () => {
  await fault?.stack.stop();
});

it('stops at maxAttempts and alerts once per execution, not once per event', async () => {
  const { stack, startExecutions } = fault;
  const executions = await startExecutions('Permanent', 6);
  await stack.runUntilQuiet();
  // A later sweep sees all six still failed, and must find nothing its events missed.
  const sweep = await stack.runSweep();
  expect(sweep.listed).toBeGreaterThanOrEqual(6);
  expect(sweep.missed).toEqual([]);
  await stack.runUntilQuiet();

  for (const arn of executions) expect(stack.sfn.execution(arn)).toMatchObject({ status: 'FAILED', redriveCount: 3 });
  expect(stack.sfn.stats().apis.RedriveExecution.calls).toBe(6 * 3);
  const audit = await auditFailures(stack, executions);
  expect(audit.violations).toEqual([]);
  expect(audit.places).toEqual({ redriven: 0, skipped: 0, 'gave-up': 6, dlq: 0 });
  const gaveUp = stack.alerts.filter((a) => a.kind === 'GAVE_UP');
  expect(gaveUp.map((a) => a.executionArn).sort()).toEqual([...executions].sort());
  expect(gaveUp.every((a) => a.attemptsUsed === 3 && a.attemptsLeft === 0)).toBe(true);
  // Six alerts in one notifier batch exceed the digest threshold (5): one Slack post, not six.
  expect(stack.slack!.posts.length).toBeGreaterThan(0);
  expect(stack.slack!.posts.length).toBeLessThan(6);
  const posted = JSON.stringify(stack.slack!.posts.map((p) => p.payload));
  expect(posted).toContain('6× GAVE_UP');
});

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
  // Each execution reaches Slack in exactly one post. (Six alerts in one notifier batch would exceed the
  // digest threshold and make one digest; the notifier's two instances may split them into two batches
  // of three, each posted alert by alert.)
  const posts = stack.slack!.posts.map((p) => JSON.stringify(p.payload));
  for (const arn of executions) {
    const name = arn.split(':').pop()!;
    expect(posts.filter((post) => post.includes(`Gave up redriving: ${name}"`) || post.includes(`\`${name}\``))).toHaveLength(1);
  }
  expect(posts.length).toBeLessThanOrEqual(6);
});

/**
 * AWS pushing back everywhere at once: a burst of forced ThrottlingException on RedriveExecution (the
 * us-east-1 buckets are on, but this few calls never empty them), 10% of all Step Functions calls answered 5xx, and Slack
 * answering 429 with Retry-After. The SDK and SQS retries absorb it: every failure is accounted for and
 * every alert reaches Slack.
 */
import { auditFailures } from './support/accounting';
import { startFaultStack, type FaultStack } from './support/fault-stack';

let fault: FaultStack;

beforeAll(async () => {
  fault = await startFaultStack({ throttling: true });
});

afterAll(async () => {
  await fault?.stack.stop();
});

it('redrives through throttling and 5xx, and posts every alert despite 429s', async () => {
  const { stack, startExecutions } = fault;
  const transient = await startExecutions('Transient', 20);
  const permanent = await startExecutions('Permanent', 3);
  stack.sfn.setFaults({ serverErrorRate: 0.1, forcedErrors: { RedriveExecution: { code: 'ThrottlingException', message: 'Rate exceeded', count: 12 } } });
  stack.slack!.rejectNext(2, 3);

  await stack.runUntilQuiet();
  stack.sfn.setFaults({ serverErrorRate: 0, forcedErrors: {} });

  const redrive = stack.sfn.stats().apis.RedriveExecution;
  // Forced ThrottlingException and injected 5xx are both counted as faulted.
  expect(redrive.faulted).toBeGreaterThanOrEqual(12);
  const audit = await auditFailures(stack, [...transient, ...permanent]);
  expect(audit.violations).toEqual([]);
  expect(audit.places).toEqual({ redriven: 20, skipped: 0, 'gave-up': 3, dlq: 0 });

  expect(stack.slack!.counters.rateLimited).toBe(2);
  const posted = stack.slack!.posts.map((post) => JSON.stringify(post.payload)).join('\n');
  for (const arn of permanent) expect(posted).toContain(arn.split(':').pop());
});

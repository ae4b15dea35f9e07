/**
 * Malformed and hostile intake messages, fuzzed with fast-check: 1,000 batches straight into the
 * production worker handler (against the stack's SQS, DynamoDB and emulator), then a smaller sample
 * end to end through the intake queue and the Lambda runner. Each message is parked in the DLQ with a
 * logged error or skipped with a logged reason; no batch fails and nothing is ever redriven.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { SERVICE_NAME } from '../../adapters/runtime-env';
import type { ReasonCode } from '../../core/reasons';
import { createWorkerHandler } from '../../lambda/worker';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/fabric/aws-names';
import { captureLogs, type CapturedLogs } from './support/log-capture';
import { FAULT_START_MS, startFaultStack, STATE_MACHINE_NAME, type FaultStack } from './support/fault-stack';
import { EXPECTED_END, failureEvent, hostileMessage, type HostileMessage } from './support/hostile-input';

let fault: FaultStack;
let victimArn: string;
let logs: CapturedLogs;

beforeAll(async () => {
  // No backoff: a well-formed event for an execution that does not exist meets ExecutionDoesNotExist at once.
  fault = await startFaultStack({ logLevel: 'INFO', config: { backoff: { initialDelaySeconds: 0, maxDelaySeconds: 1 } } });
  // A real failed execution that every hostile message imitates: redriving it would be a bug.
  victimArn = fault.stack.sfn.seedExecution({
    stateMachineArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`,
    name: 'victim',
    status: 'FAILED',
    startDateMs: FAULT_START_MS - 120_000,
    stopDateMs: FAULT_START_MS - 60_000,
    error: 'PaymentGatewayTimeout',
  });
});

beforeEach(() => {
  logs = captureLogs();
});

afterEach(() => logs.restore());

afterAll(async () => {
  await fault?.stack.stop();
});

const CONTEXT = {
  functionName: 'sfn-autoredrive-worker',
  invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:sfn-autoredrive-worker`,
  awsRequestId: 'fuzz',
  getRemainingTimeInMillis: () => 60_000,
} as Context;

function sqsRecord(message: HostileMessage, index: number): SQSRecord {
  return {
    messageId: `fuzz-${index}`,
    receiptHandle: `fuzz-${index}`,
    body: message.body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(FAULT_START_MS), SenderId: 'fuzz', ApproximateFirstReceiveTimestamp: String(FAULT_START_MS) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:sfn-autoredrive-intake`,
    awsRegion: LOCAL_REGION,
  };
}

/** How each logged message ended: 'PARKED', or the reason of a SKIPPED decision. */
function endings(records: Array<Record<string, unknown>>): string[] {
  return records.flatMap((record) => {
    if (record.message === 'Malformed intake message parked in the dead-letter queue') return ['PARKED'];
    if (record.message === 'Decision') return [record.place === 'SKIPPED' ? String(record.reason) : `UNEXPECTED ${String(record.place)}`];
    return [];
  });
}

function expectEndedAsPoisonSays(messages: HostileMessage[], ended: string[]): void {
  expect(ended).toHaveLength(messages.length);
  // Batches run their records concurrently, so match as multisets: each poison's own ending first, then
  // ALREADY_HANDLED (a repeated ARN), which several poisons share.
  const unmatched = [...ended];
  const take = (accepts: (end: string) => boolean) => {
    const at = unmatched.findIndex(accepts);
    if (at >= 0) unmatched.splice(at, 1);
    return at >= 0;
  };
  for (const message of messages) {
    const expected = EXPECTED_END[message.poison];
    const found = expected === 'PARKED' ? take((end) => end === 'PARKED') : take((end) => end !== 'ALREADY_HANDLED' && expected.has(end as ReasonCode)) || (expected.has('ALREADY_HANDLED') && take((end) => end === 'ALREADY_HANDLED'));
    expect({ poison: message.poison, body: message.body.slice(0, 300), ended, found }).toMatchObject({ found: true });
  }
}

it('the worker handler parks or skips every hostile message, never fails a batch and never redrives', async () => {
  const { stack } = fault;
  await stack.worker.stop();
  const handler = createWorkerHandler({ clock: fault.clock, clients: stack.lambdaClients.worker, env: stack.env, logger: new Logger({ serviceName: SERVICE_NAME, logLevel: 'INFO' }) });
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(hostileMessage(victimArn, FAULT_START_MS), { minLength: 1, maxLength: 3 }), async (messages) => {
      cases++;
      const logsBefore = logs.mark();
      const parkedBefore = stack.intakeDlq.depth().visible;
      const response = await handler({ Records: messages.map(sqsRecord) }, CONTEXT);
      expect(response.batchItemFailures).toEqual([]);
      const ended = endings(logs.records(logsBefore));
      expectEndedAsPoisonSays(messages, ended);
      expect(stack.intakeDlq.depth().visible - parkedBefore).toBe(ended.filter((end) => end === 'PARKED').length);
    }),
    // endOnFailure: shrinking 100 KB strings takes minutes; the seed reproduces the failing case.
    { numRuns: 1000, seed: 20261124, endOnFailure: true },
  );
  expect(cases).toBeGreaterThanOrEqual(1000);
  expect(stack.sfn.execution(victimArn)?.redriveCount).toBe(0);
  const redrive = stack.sfn.stats().apis.RedriveExecution ?? { calls: 0, errors: 0 };
  expect(redrive.calls - redrive.errors).toBe(0);
  // Every logged error is a clear one: it names what was wrong.
  const errors = logs.records().filter((record) => record.level === 'ERROR');
  expect(errors.length).toBeGreaterThan(0);
  for (const error of errors) expect(error).toMatchObject({ problems: expect.arrayContaining([expect.any(String)]) });
});

describe('found by the fuzzer', () => {
  const handler = () => createWorkerHandler({ clock: fault.clock, clients: fault.stack.lambdaClients.worker, env: fault.stack.env, logger: new Logger({ serviceName: SERVICE_NAME, logLevel: 'INFO' }) });
  const body = (detail: Record<string, unknown>) => {
    const event = failureEvent(victimArn, FAULT_START_MS);
    Object.assign(event.detail as Record<string, unknown>, detail);
    return JSON.stringify(event);
  };

  it('an oversized stateMachineArn is parked at once, not retried until DynamoDB rejects it five times', async () => {
    const parkedBefore = fault.stack.intakeDlq.depth().visible;
    const response = await handler()({ Records: [sqsRecord({ poison: 'oversizedArn', body: body({ stateMachineArn: `arn:aws:states:us-east-1:123456789012:stateMachine:${'x'.repeat(3000)}` }) }, 0)] }, CONTEXT);
    expect(response.batchItemFailures).toEqual([]);
    expect(fault.stack.intakeDlq.depth().visible - parkedBefore).toBe(1);
    expect(logs.records()).toContainEqual(expect.objectContaining({ problems: [expect.stringContaining('detail.stateMachineArn')] }));
  });

  it('an event from another account without redriveCount is skipped by its ARN, with no DescribeExecution', async () => {
    const describesBefore = fault.stack.sfn.stats().apis.DescribeExecution?.calls ?? 0;
    const foreign = 'arn:aws:states:us-east-1:210987654321:execution:orders-fulfil:theirs';
    const response = await handler()({ Records: [sqsRecord({ poison: 'foreignArn', body: body({ executionArn: foreign, name: 'theirs', redriveCount: undefined }) }, 0)] }, CONTEXT);
    expect(response.batchItemFailures).toEqual([]);
    expect(endings(logs.records())).toEqual(['OUT_OF_SCOPE']);
    expect(fault.stack.sfn.stats().apis.DescribeExecution?.calls ?? 0).toBe(describesBefore);
    expect(await fault.stack.ledger.get(foreign)).toBeUndefined();
  });
});

it('end to end through the intake queue: parked or skipped, no failed delivery, no redrive', async () => {
  const { stack } = fault;
  stack.worker.start();
  const messages = fc.sample(hostileMessage(victimArn, FAULT_START_MS), { numRuns: 60, seed: 7 });
  const parkedBefore = stack.intakeDlq.depth().visible;
  for (const message of messages) stack.intakeQueue.send({ body: message.body });
  await stack.runUntilQuiet();

  expect(stack.worker.counters.messagesFailed).toBe(0);
  expectEndedAsPoisonSays(messages, endings(logs.records()));
  const parked = messages.filter((message) => EXPECTED_END[message.poison] === 'PARKED').length;
  expect(stack.intakeDlq.depth().visible - parkedBefore).toBe(parked);
  expect(stack.sfn.execution(victimArn)?.redriveCount).toBe(0);
});

import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { VirtualClock } from '../../../local/clock';
import { LambdaRunner, type LambdaRunnerOptions, type SqsBatchHandler } from '../../../local/fabric/lambda-runner';
import { LocalQueue } from '../../../local/fabric/queue';

/** Lets pending promise chains and immediates run, without any wall-clock waiting. */
async function until(condition: () => boolean): Promise<void> {
  for (let tick = 0; tick < 1000 && !condition(); tick++) await new Promise((resolve) => setImmediate(resolve));
  if (!condition()) throw new Error('condition not reached');
}

function setup(handler: SqsBatchHandler, options: Partial<LambdaRunnerOptions> = {}) {
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 1) });
  const queue = new LocalQueue({ name: 'intake', clock, visibilityTimeoutSeconds: 30 });
  const runner = new LambdaRunner({ queue, handler, functionName: 'worker', ...options });
  runner.start();
  return { clock, queue, runner };
}

describe('LambdaRunner', () => {
  const runners: LambdaRunner[] = [];
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
  });
  const started = <T extends { runner: LambdaRunner }>(value: T) => {
    runners.push(value.runner);
    return value;
  };

  it('deletes successes, keeps reported failures in flight until the visibility timeout, then redelivers them', async () => {
    const seen: Array<{ body: string; receiveCount: string }> = [];
    const { clock, queue, runner } = started(
      setup(async (event) => {
        seen.push(...event.Records.map((r) => ({ body: r.body, receiveCount: r.attributes.ApproximateReceiveCount })));
        const failures = event.Records.filter((r) => r.body === 'bad' && r.attributes.ApproximateReceiveCount === '1');
        return { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.messageId })) };
      }),
    );
    for (const body of ['a', 'bad', 'c']) queue.send({ body });

    expect(await runner.idle()).toEqual({ delayedMessages: 0, inFlightMessages: 1 });
    expect(queue.counters.deleted).toBe(2);
    expect(runner.counters).toMatchObject({ invocations: 1, batchesPartiallyFailed: 1, messagesFailed: 1, messagesSucceeded: 2 });

    await clock.advance(30_000);
    expect(await runner.idle({ untilEmpty: true })).toEqual({ delayedMessages: 0, inFlightMessages: 0 });
    expect(seen.filter((s) => s.body === 'bad').map((s) => s.receiveCount)).toEqual(['1', '2']);
  });

  it('fails the whole batch when the handler throws', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const { clock, queue, runner } = started(
      setup(
        async () => {
          calls++;
          if (calls === 1) throw new Error('boom');
        },
        { onHandlerError: (error) => errors.push(error) },
      ),
    );
    queue.send({ body: 'a' });
    queue.send({ body: 'b' });
    expect(await runner.idle()).toEqual({ delayedMessages: 0, inFlightMessages: 2 });
    expect(runner.counters).toMatchObject({ crashes: 1, batchesFailed: 1, messagesFailed: 2 });
    expect(errors).toEqual([new Error('boom')]);
    await clock.advance(30_000);
    await runner.idle({ untilEmpty: true });
    expect(calls).toBe(2);
    expect(queue.counters.deleted).toBe(2);
  });

  const responses: Array<[string, 'all-failed' | 'all-succeeded', (event: SQSEvent) => unknown]> = [
    ['undefined', 'all-succeeded', () => undefined],
    ['null', 'all-succeeded', () => null],
    ['an empty object', 'all-succeeded', () => ({})],
    ['an empty list', 'all-succeeded', () => ({ batchItemFailures: [] })],
    ['batchItemFailures: null', 'all-succeeded', () => ({ batchItemFailures: null })],
    ['an id not in the batch', 'all-failed', () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] })],
    ['an empty itemIdentifier', 'all-failed', () => ({ batchItemFailures: [{ itemIdentifier: '' }] })],
    ['a null itemIdentifier', 'all-failed', () => ({ batchItemFailures: [{ itemIdentifier: null }] })],
    ['a bad key name', 'all-failed', (e) => ({ batchItemFailures: [{ itemId: e.Records[0].messageId }] })],
    ['a string', 'all-failed', () => 'ok'],
    ['batchItemFailures not a list', 'all-failed', () => ({ batchItemFailures: 'x' })],
  ];

  it.each(responses)('treats a response of %s as %s', async (_label, outcome, respond) => {
    const { queue, runner } = started(setup(async (event) => respond(event) as SQSBatchResponse));
    queue.send({ body: 'a' });
    queue.send({ body: 'b' });
    const state = await runner.idle();
    if (outcome === 'all-failed') {
      expect(state.inFlightMessages).toBe(2);
      expect(runner.counters).toMatchObject({ batchesFailed: 1, invalidResponses: 1 });
    } else {
      expect(state.inFlightMessages).toBe(0);
      expect(queue.counters.deleted).toBe(2);
    }
  });

  it('ignores the response without ReportBatchItemFailures', async () => {
    const { queue, runner } = started(
      setup(async (event) => ({ batchItemFailures: [{ itemIdentifier: event.Records[0].messageId }] }), {
        reportBatchItemFailures: false,
      }),
    );
    queue.send({ body: 'a' });
    expect(await runner.idle()).toEqual({ delayedMessages: 0, inFlightMessages: 0 });
  });

  it('never runs more than maxConcurrency batches at once', async () => {
    let active = 0;
    let maxActive = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { queue, runner } = started(
      setup(
        async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          await gate;
          active--;
        },
        { maxConcurrency: 3, batchSize: 1 },
      ),
    );
    for (let i = 0; i < 10; i++) queue.send({ body: String(i) });
    await until(() => active === 3);
    for (let tick = 0; tick < 50; tick++) await new Promise((resolve) => setImmediate(resolve));
    expect(active).toBe(3);
    release();
    await runner.idle({ untilEmpty: true });
    expect(maxActive).toBe(3);
    expect(runner.counters.invocations).toBe(10);
  });

  it('builds real SQS records and a Lambda context on the stack clock', async () => {
    let captured: { event: SQSEvent; context: Context; remainingAfter5sMs?: number } | undefined;
    let clockRef!: VirtualClock;
    const { clock, queue, runner } = started(
      setup(
        async (event, context) => {
          captured = { event, context };
          await clockRef.sleepUntil(clockRef.nowMs() + 5000);
          captured.remainingAfter5sMs = context.getRemainingTimeInMillis();
        },
        { timeoutSeconds: 60 },
      ),
    );
    clockRef = clock;
    const sent = queue.send({ body: '{"x":1}', messageAttributes: { kind: { DataType: 'String', StringValue: 'recheck' } } });
    await until(() => captured !== undefined);
    const [record] = captured!.event.Records;
    expect(record).toMatchObject({
      messageId: sent.messageId,
      body: '{"x":1}',
      md5OfBody: sent.md5OfBody,
      md5OfMessageAttributes: sent.md5OfMessageAttributes,
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:intake',
      awsRegion: 'us-east-1',
      messageAttributes: { kind: { stringValue: 'recheck', dataType: 'String', stringListValues: [], binaryListValues: [] } },
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.UTC(2026, 0, 1)) },
    });
    expect(captured!.context).toMatchObject({
      functionName: 'worker',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:worker',
    });
    expect(captured!.context.getRemainingTimeInMillis()).toBe(60_000);
    await clock.advance(5000);
    await runner.idle();
    expect(captured!.remainingAfter5sMs).toBe(55_000);
  });

  it('gathers up to batchSize during the batching window', async () => {
    const batchSizes: number[] = [];
    const { clock, queue, runner } = started(
      setup(async (event) => void batchSizes.push(event.Records.length), {
        batchSize: 20,
        maximumBatchingWindowSeconds: 5,
        maxConcurrency: 1,
      }),
    );
    for (let i = 0; i < 12; i++) queue.send({ body: String(i) });
    await until(() => queue.depth().inFlight === 12);
    expect(batchSizes).toEqual([]);
    await clock.advance(5000);
    await runner.idle();
    expect(batchSizes).toEqual([12]);
  });

  it('idle() tells delayed messages apart and stop() waits for the running batch', async () => {
    let finished = false;
    let clockRef!: VirtualClock;
    const { clock, queue, runner } = started(
      setup(async () => {
        await clockRef.sleepUntil(clockRef.nowMs() + 1000);
        finished = true;
      }),
    );
    clockRef = clock;
    queue.send({ body: 'later', delaySeconds: 60 });
    expect(await runner.idle()).toEqual({ delayedMessages: 1, inFlightMessages: 0 });
    await clock.advance(60_000);
    await until(() => runner.counters.invocations === 1);
    const stopped = runner.stop();
    await clock.advance(1000);
    await stopped;
    expect(finished).toBe(true);
    expect(queue.counters.deleted).toBe(1);
  });
});

describe('LambdaRunner on an empty queue', () => {
  it('holds no clock timers while waiting, so a long clock jump stays cheap', async () => {
    const clock = new VirtualClock();
    const queue = new LocalQueue({ name: 'empty', clock });
    const runner = new LambdaRunner({ queue, handler: async () => undefined, functionName: 'idle', maxConcurrency: 4 });
    runner.start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(15 * 24 * 3600 * 1000);
    queue.send({ body: 'after the jump' });
    await runner.idle({ untilEmpty: true });
    expect(runner.counters.invocations).toBe(1);
    await runner.stop();
  });
});

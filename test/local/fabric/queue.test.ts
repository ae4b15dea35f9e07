import { VirtualClock } from '../../../local/clock';
import { md5OfMessageAttributes } from '../../../local/fabric/message-md5';
import { LocalQueue } from '../../../local/fabric/queue';

const START_MS = Date.UTC(2026, 0, 1);

function setup(options: Partial<ConstructorParameters<typeof LocalQueue>[0]> = {}) {
  const clock = new VirtualClock({ startMs: START_MS });
  const dlq = new LocalQueue({ name: 'intake-dlq', clock });
  const queue = new LocalQueue({ name: 'intake', clock, deadLetter: { queue: dlq, maxReceiveCount: 3 }, ...options });
  return { clock, queue, dlq };
}

describe('LocalQueue', () => {
  it('hides a received message for the visibility timeout, then redelivers it with a higher receive count', async () => {
    const { clock, queue } = setup({ visibilityTimeoutSeconds: 30 });
    const sent = queue.send({ body: 'hello' });
    const [first] = queue.receiveNow();
    expect(first.messageId).toBe(sent.messageId);
    expect(first.attributes.ApproximateReceiveCount).toBe('1');
    expect(first.attributes.SentTimestamp).toBe(String(START_MS));
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    await clock.advance(29_999);
    expect(queue.receiveNow()).toEqual([]);
    await clock.advance(1);
    const [second] = queue.receiveNow();
    expect(second.attributes.ApproximateReceiveCount).toBe('2');
    expect(second.attributes.ApproximateFirstReceiveTimestamp).toBe(String(START_MS));
    expect(second.receiptHandle).not.toBe(first.receiptHandle);
  });

  it('deletes only with the latest receipt handle', async () => {
    const { clock, queue } = setup({ visibilityTimeoutSeconds: 1 });
    queue.send({ body: 'x' });
    const [first] = queue.receiveNow();
    await clock.advance(1000);
    const [second] = queue.receiveNow();
    queue.delete(first.receiptHandle);
    expect(queue.counters.deleted).toBe(0);
    queue.delete(second.receiptHandle);
    expect(queue.counters.deleted).toBe(1);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(() => queue.delete('garbage')).toThrow(expect.objectContaining({ name: 'ReceiptHandleIsInvalid' }));
  });

  it('delays per message (overriding the queue delay) and rejects delays over 900 s', async () => {
    const { clock, queue } = setup({ delaySeconds: 5, visibilityTimeoutSeconds: 300 });
    queue.send({ body: 'queue-delay' });
    queue.send({ body: 'message-delay', delaySeconds: 60 });
    queue.send({ body: 'no-delay', delaySeconds: 0 });
    expect(queue.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 2 });
    await clock.advance(5000);
    expect(queue.receiveNow({ maxNumberOfMessages: 10 }).map((m) => m.body)).toEqual(['queue-delay', 'no-delay']);
    await clock.advance(55_000);
    expect(queue.receiveNow({ maxNumberOfMessages: 10 }).map((m) => m.body)).toEqual(['message-delay']);
    expect(() => queue.send({ body: 'too late', delaySeconds: 901 })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValue', message: expect.stringContaining('DelaySeconds') }),
    );
  });

  it('moves a message to the DLQ on the receive after maxReceiveCount, keeping id and body', async () => {
    const { clock, queue, dlq } = setup({ visibilityTimeoutSeconds: 10 });
    const { messageId } = queue.send({ body: 'poison', messageAttributes: { kind: { DataType: 'String', StringValue: 'p' } } });
    for (let receive = 1; receive <= 3; receive++) {
      expect(queue.receiveNow()).toHaveLength(1);
      await clock.advance(10_000);
    }
    expect(queue.receiveNow()).toEqual([]);
    expect(queue.counters.movedToDeadLetterQueue).toBe(1);
    const [dead] = dlq.receiveNow();
    expect(dead).toMatchObject({ messageId, body: 'poison', messageAttributes: { kind: { StringValue: 'p' } } });
    expect(dead.attributes.DeadLetterQueueSourceArn).toBe('arn:aws:sqs:us-east-1:123456789012:intake');
  });

  it('rejects a message over 1 MiB counting body and attributes', () => {
    const { queue } = setup();
    const body = 'a'.repeat(1_048_576 - 10);
    expect(() => queue.send({ body })).not.toThrow();
    expect(() =>
      queue.send({ body, messageAttributes: { attributeName: { DataType: 'String', StringValue: 'value' } } }),
    ).toThrow(expect.objectContaining({ name: 'InvalidParameterValue', message: expect.stringContaining('1048576 bytes') }));
  });

  it('returns at most maxNumberOfMessages and rejects more than 10', () => {
    const { queue } = setup();
    for (let i = 0; i < 15; i++) queue.send({ body: String(i) });
    expect(queue.receiveNow({ maxNumberOfMessages: 10 })).toHaveLength(10);
    expect(() => queue.receiveNow({ maxNumberOfMessages: 11 })).toThrow(expect.objectContaining({ name: 'InvalidParameterValue' }));
  });

  it('drops messages past the retention period', async () => {
    const { clock, queue } = setup({ messageRetentionSeconds: 60 });
    queue.send({ body: 'old' });
    await clock.advance(60_000);
    expect(queue.receiveNow()).toEqual([]);
    expect(queue.counters.expired).toBe(1);
  });

  it('long-polls on the stack clock: wakes when a delayed message becomes visible', async () => {
    const { clock, queue } = setup();
    queue.send({ body: 'later', delaySeconds: 7 });
    let result: string[] | undefined;
    void queue.receive({ waitTimeSeconds: 20 }).then((messages) => (result = messages.map((m) => m.body)));
    await clock.advance(6999);
    expect(result).toBeUndefined();
    await clock.advance(1);
    expect(result).toEqual(['later']);
  });

  it('long-poll returns empty at the wait deadline', async () => {
    const { clock, queue } = setup();
    let result: unknown[] | undefined;
    void queue.receive({ waitTimeSeconds: 3 }).then((messages) => (result = messages));
    await clock.advance(2999);
    expect(result).toBeUndefined();
    await clock.advance(1);
    expect(result).toEqual([]);
  });

  it('changeVisibility 0 makes an in-flight message visible; a visible one is not in flight', () => {
    const { queue } = setup();
    queue.send({ body: 'x' });
    const [message] = queue.receiveNow();
    queue.changeVisibility(message.receiptHandle, 0);
    const [again] = queue.receiveNow();
    expect(again.attributes.ApproximateReceiveCount).toBe('2');
    queue.changeVisibility(again.receiptHandle, 0);
    expect(() => queue.changeVisibility(again.receiptHandle, 10)).toThrow(expect.objectContaining({ name: 'MessageNotInflight' }));
  });

  it('purge empties the queue and refuses a second purge within 60 s', async () => {
    const { clock, queue } = setup();
    queue.send({ body: 'x' });
    queue.purge();
    expect(queue.depth().visible).toBe(0);
    expect(() => queue.purge()).toThrow(expect.objectContaining({ name: 'PurgeQueueInProgress' }));
    await clock.advance(60_000);
    expect(() => queue.purge()).not.toThrow();
  });

  it('computes MD5OfMessageAttributes with the AWS encoding (digests published by other SQS implementations)', () => {
    expect(md5OfMessageAttributes({})).toBeUndefined();
    expect(md5OfMessageAttributes({ timestamp: { DataType: 'Number', StringValue: '1493147359900' } })).toBe(
      '235c5c510d26fb653d073faed50ae77c',
    );
    expect(
      md5OfMessageAttributes({
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      }),
    ).toBe('d21ae90c49061e927f57df5f5d72be1f');
  });
});

/**
 * A local Lambda SQS event source mapping: polls a LocalQueue, invokes an in-process handler with
 * real SQSEvent records and applies partial batch failure semantics as AWS documents them
 * (ReportBatchItemFailures): successes are deleted, failures stay in flight until the visibility
 * timeout expires, and a thrown error or an invalid response fails the whole batch.
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { lambdaFunctionArn } from './aws-names';
import type { LocalQueue, ReceivedMessage } from './queue';

export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface LambdaRunnerOptions {
  queue: LocalQueue;
  handler: SqsBatchHandler;
  functionName: string;
  /** Records per invocation. @default 10 */
  batchSize?: number;
  /** Keep gathering up to batchSize for this long (stack clock). @default 0 */
  maximumBatchingWindowSeconds?: number;
  /** Concurrent batches at most (ScalingConfig.MaximumConcurrency). @default 5 */
  maxConcurrency?: number;
  /** FunctionResponseTypes includes ReportBatchItemFailures. @default true */
  reportBatchItemFailures?: boolean;
  /** Function timeout, for context.getRemainingTimeInMillis(). Not enforced. @default 30 */
  timeoutSeconds?: number;
  /** @default 128 */
  memoryLimitInMB?: number;
  /** Called with each error a handler throws (the batch is failed either way). */
  onHandlerError?: (error: unknown) => void;
}

export interface LambdaRunnerCounters {
  invocations: number;
  /** Batches failed whole: by a thrown error or an invalid response. */
  batchesFailed: number;
  /** Batches with some, not all, records reported as failed. */
  batchesPartiallyFailed: number;
  /** Handler threw (a subset of batchesFailed). */
  crashes: number;
  /** Response not a valid SQSBatchResponse (a subset of batchesFailed). */
  invalidResponses: number;
  messagesSucceeded: number;
  messagesFailed: number;
}

/** What still waits on the clock when the runner is idle. */
export interface IdleState {
  /** Sent with a delay, not yet visible. */
  delayedMessages: number;
  /** Received and not deleted (failed, or waiting out a visibility timeout). */
  inFlightMessages: number;
}

export interface IdleOptions {
  /**
   * false (default): resolve once nothing is visible and no batch is running, even if messages wait
   * on a delay or visibility timeout. true: also wait until the queue is empty.
   */
  untilEmpty?: boolean;
}

type FailedRecords = ReadonlySet<string> | 'all';

export class LambdaRunner {
  readonly counters: LambdaRunnerCounters = {
    invocations: 0,
    batchesFailed: 0,
    batchesPartiallyFailed: 0,
    crashes: 0,
    invalidResponses: 0,
    messagesSucceeded: 0,
    messagesFailed: 0,
  };
  private readonly queue: LocalQueue;
  private readonly batchSize: number;
  private readonly batchingWindowMs: number;
  private readonly maxConcurrency: number;
  private readonly invokedFunctionArn: string;
  private pollers: Promise<void>[] = [];
  private abort?: AbortController;
  /** Batches received and not yet finished: counted from the receive, so idle() cannot slip in between. */
  private activeBatches = 0;
  private readonly idleListeners = new Set<() => void>();

  constructor(private readonly options: LambdaRunnerOptions) {
    this.queue = options.queue;
    this.batchSize = options.batchSize ?? 10;
    this.batchingWindowMs = (options.maximumBatchingWindowSeconds ?? 0) * 1000;
    this.maxConcurrency = options.maxConcurrency ?? 5;
    if (this.batchSize < 1 || this.batchSize > 10_000) throw new RangeError('batchSize must be 1-10000');
    if (this.batchSize > 10 && this.batchingWindowMs < 1000) {
      throw new RangeError('batchSize over 10 needs maximumBatchingWindowSeconds >= 1, as in Lambda');
    }
    this.invokedFunctionArn = lambdaFunctionArn(options.functionName);
  }

  start(): void {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    this.pollers = Array.from({ length: this.maxConcurrency }, () => this.poll(abort.signal));
  }

  /** Stops polling and waits for the batches already received to finish. */
  async stop(): Promise<void> {
    this.abort?.abort();
    this.abort = undefined;
    await Promise.all(this.pollers);
    this.pollers = [];
  }

  /** Resolves when nothing is visible and no batch runs (see IdleOptions). */
  idle(options: IdleOptions = {}): Promise<IdleState> {
    return new Promise((resolve) => {
      const check = () => {
        const state = this.idleState(options);
        if (!state) return;
        unsubscribe();
        this.idleListeners.delete(deferredCheck);
        resolve(state);
      };
      // Deferred so a poller's receive continuation runs first and counts its batch as active.
      const deferredCheck = () => setImmediate(check);
      const unsubscribe = this.queue.onChange(deferredCheck);
      this.idleListeners.add(deferredCheck);
      deferredCheck();
    });
  }

  private idleState({ untilEmpty = false }: IdleOptions): IdleState | undefined {
    if (this.activeBatches > 0) return undefined;
    const depth = this.queue.depth();
    if (depth.visible > 0) return undefined;
    if (untilEmpty && depth.inFlight + depth.delayed > 0) return undefined;
    return { delayedMessages: depth.delayed, inFlightMessages: depth.inFlight };
  }

  private async poll(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const batch = await this.gatherBatch(signal);
      if (batch.length === 0) continue;
      try {
        await this.invoke(batch);
      } finally {
        this.activeBatches--;
        for (const listener of [...this.idleListeners]) listener();
      }
    }
  }

  private async gatherBatch(signal: AbortSignal): Promise<ReceivedMessage[]> {
    const receiveUpTo = () => Math.min(10, this.batchSize - batch.length);
    const batch: ReceivedMessage[] = [];
    // Lambda's pollers long-poll 20 s at a time; waiting without end is equivalent here and leaves no
    // timers pending on the clock while the queue is empty.
    batch.push(...(await this.queue.receiveUntil(Number.POSITIVE_INFINITY, { maxNumberOfMessages: receiveUpTo(), signal })));
    if (batch.length === 0) return batch;
    this.activeBatches++;
    const windowEndsMs = this.queue.clock.nowMs() + this.batchingWindowMs;
    while (batch.length < this.batchSize && this.queue.clock.nowMs() < windowEndsMs && !signal.aborted) {
      batch.push(...(await this.queue.receiveUntil(windowEndsMs, { maxNumberOfMessages: receiveUpTo(), signal })));
    }
    return batch;
  }

  private async invoke(batch: ReceivedMessage[]): Promise<void> {
    const eventSourceARN = this.queue.arn;
    const event: SQSEvent = { Records: batch.map((message) => toSqsRecord(message, eventSourceARN)) };
    this.counters.invocations++;
    let failed: FailedRecords;
    try {
      const response = await this.options.handler(event, this.createContext());
      failed = this.failedRecordsOf(response, batch);
      if (failed === 'all') this.counters.invalidResponses++;
    } catch (error) {
      this.counters.crashes++;
      this.options.onHandlerError?.(error);
      failed = 'all';
    }
    if (failed === 'all') {
      this.counters.batchesFailed++;
      this.counters.messagesFailed += batch.length;
      return;
    }
    if (failed.size > 0) this.counters.batchesPartiallyFailed++;
    for (const message of batch) {
      if (failed.has(message.messageId)) continue;
      this.queue.delete(message.receiptHandle);
    }
    this.counters.messagesFailed += failed.size;
    this.counters.messagesSucceeded += batch.length - failed.size;
  }

  /**
   * The response as Lambda sees it: serialized to JSON first (so `undefined` fields vanish), then
   * checked. Null or no batchItemFailures (or an empty list) is full success; anything malformed or an
   * itemIdentifier not in the batch fails the whole batch.
   */
  private failedRecordsOf(response: unknown, batch: ReceivedMessage[]): FailedRecords {
    if (this.options.reportBatchItemFailures === false) return new Set();
    let wire: unknown;
    try {
      const json = JSON.stringify(response);
      wire = json === undefined ? null : JSON.parse(json);
    } catch {
      return 'all';
    }
    if (wire === null) return new Set();
    if (typeof wire !== 'object' || Array.isArray(wire)) return 'all';
    const failures = (wire as { batchItemFailures?: unknown }).batchItemFailures;
    if (failures === undefined || failures === null) return new Set();
    if (!Array.isArray(failures)) return 'all';
    const batchIds = new Set(batch.map((message) => message.messageId));
    const failed = new Set<string>();
    for (const failure of failures) {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      if (typeof id !== 'string' || !batchIds.has(id)) return 'all';
      failed.add(id);
    }
    return failed;
  }

  private createContext(): Context {
    const { clock } = this.queue;
    const timeoutMs = (this.options.timeoutSeconds ?? 30) * 1000;
    const deadlineMs = clock.nowMs() + timeoutMs;
    const unsupported = () => {
      throw new Error('callback-style context methods are not supported by the local runner');
    };
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: this.options.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.invokedFunctionArn,
      memoryLimitInMB: String(this.options.memoryLimitInMB ?? 128),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${this.options.functionName}`,
      logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadlineMs - clock.nowMs()),
      done: unsupported,
      fail: unsupported,
      succeed: unsupported,
    };
  }
}

function toSqsRecord(message: ReceivedMessage, eventSourceARN: string): SQSRecord {
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.messageAttributes)) {
    messageAttributes[name] = {
      stringValue: value.StringValue,
      binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType ?? 'String',
    };
  }
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: { ...message.attributes },
    messageAttributes,
    md5OfBody: message.md5OfBody,
    md5OfMessageAttributes: message.md5OfMessageAttributes,
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion: eventSourceARN.split(':')[3],
  };
}

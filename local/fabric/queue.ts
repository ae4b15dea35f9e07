/**
 * An in-memory SQS standard queue with the semantics the product depends on: at-least-once delivery,
 * delays, visibility timeouts, receive counts, redrive to a dead-letter queue, size limit and retention.
 * All timers run on the given StackClock, so a VirtualClock moves delays and timeouts in tests.
 *
 * A message's state is derived from the clock instead of being switched by timers: it is invisible
 * until `visibleAtMs` (delayed if never received, in flight otherwise) and visible after.
 */
import { randomUUID } from 'node:crypto';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { StackClock } from '../clock';
import { sqsQueueArn } from './aws-names';
import { md5Hex, md5OfMessageAttributes } from './message-md5';
import { messageSizeBytes } from './message-size';
import {
  messageNotInflight,
  messageTooLong,
  outOfRange,
  purgeQueueInProgress,
  receiptHandleIsInvalid,
} from './sqs-errors';

export const SQS_LIMITS = {
  maxDelaySeconds: 900,
  maxVisibilityTimeoutSeconds: 43_200,
  maxWaitTimeSeconds: 20,
  maxMessagesPerReceive: 10,
  maxMessageSizeBytes: 1_048_576,
  purgeCooldownMs: 60_000,
} as const;

export interface DeadLetterTarget {
  queue: LocalQueue;
  /** A message received this many times moves to the DLQ on its next receive, as SQS does. */
  maxReceiveCount: number;
}

export interface LocalQueueOptions {
  name: string;
  clock: StackClock;
  /** @default 30 */
  visibilityTimeoutSeconds?: number;
  /** Queue-level delay for new messages. @default 0 */
  delaySeconds?: number;
  /** @default 345600 (4 days) */
  messageRetentionSeconds?: number;
  /** @default 1048576 */
  maximumMessageSizeBytes?: number;
  /** Default long-poll wait of ReceiveMessage. @default 0 */
  receiveMessageWaitTimeSeconds?: number;
  deadLetter?: DeadLetterTarget;
}

export interface SendMessageInput {
  body: string;
  /** Overrides the queue's delay. 0-900. */
  delaySeconds?: number;
  messageAttributes?: Record<string, MessageAttributeValue>;
}

export interface SentMessage {
  messageId: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
}

export interface ReceiveOptions {
  /** 1-10. @default 1 */
  maxNumberOfMessages?: number;
  /** Overrides the queue's visibility timeout for these messages. */
  visibilityTimeoutSeconds?: number;
  /** Long poll on the stack clock, 0-20. @default the queue's receiveMessageWaitTimeSeconds */
  waitTimeSeconds?: number;
  /** Ends a long poll early (returns what is there, usually nothing). */
  signal?: AbortSignal;
}

/** System attribute names as SQS and Lambda's SQS records spell them. */
export interface ReceivedMessageAttributes {
  SenderId: string;
  SentTimestamp: string;
  ApproximateReceiveCount: string;
  ApproximateFirstReceiveTimestamp: string;
  DeadLetterQueueSourceArn?: string;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  attributes: ReceivedMessageAttributes;
}

export interface QueueCounters {
  sent: number;
  /** Receives, counting a message once per delivery. */
  received: number;
  deleted: number;
  movedToDeadLetterQueue: number;
  expired: number;
  purged: number;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  sentTimestampMs: number;
  firstReceiveMs?: number;
  receiveCount: number;
  visibleAtMs: number;
  /** The only handle that can delete the message: the one from the latest receive. */
  receiptHandle?: string;
  deadLetterQueueSourceArn?: string;
}

const SENDER_ID = 'AIDALOCALSTACKSENDER';

export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  readonly clock: StackClock;
  readonly visibilityTimeoutSeconds: number;
  readonly delaySeconds: number;
  readonly messageRetentionSeconds: number;
  readonly maximumMessageSizeBytes: number;
  readonly receiveMessageWaitTimeSeconds: number;
  readonly deadLetter?: DeadLetterTarget;
  readonly createdAtMs: number;
  readonly counters: QueueCounters = { sent: 0, received: 0, deleted: 0, movedToDeadLetterQueue: 0, expired: 0, purged: 0 };

  /** Insertion order approximates SQS's best-effort ordering. */
  private readonly messages = new Map<string, StoredMessage>();
  private readonly waiters = new Set<() => void>();
  private readonly changeListeners = new Set<() => void>();
  private readonly expiryListeners = new Set<(body: string) => void>();
  private receiveSequence = 0;
  private lastPurgeMs?: number;

  constructor(options: LocalQueueOptions) {
    this.name = options.name;
    this.clock = options.clock;
    this.arn = sqsQueueArn(options.name);
    this.visibilityTimeoutSeconds = checkRange('VisibilityTimeout', options.visibilityTimeoutSeconds ?? 30, 0, SQS_LIMITS.maxVisibilityTimeoutSeconds);
    this.delaySeconds = checkRange('DelaySeconds', options.delaySeconds ?? 0, 0, SQS_LIMITS.maxDelaySeconds);
    this.messageRetentionSeconds = checkRange('MessageRetentionPeriod', options.messageRetentionSeconds ?? 345_600, 60, 1_209_600);
    this.maximumMessageSizeBytes = checkRange('MaximumMessageSize', options.maximumMessageSizeBytes ?? SQS_LIMITS.maxMessageSizeBytes, 1024, SQS_LIMITS.maxMessageSizeBytes);
    this.receiveMessageWaitTimeSeconds = checkRange('ReceiveMessageWaitTimeSeconds', options.receiveMessageWaitTimeSeconds ?? 0, 0, SQS_LIMITS.maxWaitTimeSeconds);
    this.deadLetter = options.deadLetter;
    this.createdAtMs = this.clock.nowMs();
  }

  send(input: SendMessageInput): SentMessage {
    const delaySeconds = checkRange('DelaySeconds', input.delaySeconds ?? this.delaySeconds, 0, SQS_LIMITS.maxDelaySeconds);
    const messageAttributes = input.messageAttributes ?? {};
    if (messageSizeBytes(input.body, messageAttributes) > this.maximumMessageSizeBytes) {
      throw messageTooLong(this.maximumMessageSizeBytes);
    }
    const nowMs = this.clock.nowMs();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body: input.body,
      md5OfBody: md5Hex(input.body),
      md5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
      messageAttributes,
      sentTimestampMs: nowMs,
      receiveCount: 0,
      visibleAtMs: nowMs + delaySeconds * 1000,
    };
    this.messages.set(message.messageId, message);
    this.counters.sent++;
    this.changed();
    return { messageId: message.messageId, md5OfBody: message.md5OfBody, md5OfMessageAttributes: message.md5OfMessageAttributes };
  }

  /** ReceiveMessage, long-polling on the stack clock when nothing is visible. */
  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const waitTimeSeconds = checkRange('WaitTimeSeconds', options.waitTimeSeconds ?? this.receiveMessageWaitTimeSeconds, 0, SQS_LIMITS.maxWaitTimeSeconds);
    return this.receiveUntil(this.clock.nowMs() + waitTimeSeconds * 1000, options);
  }

  /** Receives as soon as something is visible, or returns empty at `deadlineMs` (stack clock; may be Infinity). */
  async receiveUntil(deadlineMs: number, options: Omit<ReceiveOptions, 'waitTimeSeconds'> = {}): Promise<ReceivedMessage[]> {
    for (;;) {
      const messages = this.receiveNow(options);
      if (messages.length > 0 || options.signal?.aborted || this.clock.nowMs() >= deadlineMs) return messages;
      await this.waitForVisibleMessage(deadlineMs, options.signal);
    }
  }

  /** ReceiveMessage without waiting. */
  receiveNow(options: Omit<ReceiveOptions, 'waitTimeSeconds' | 'signal'> = {}): ReceivedMessage[] {
    const max = checkRange('MaxNumberOfMessages', options.maxNumberOfMessages ?? 1, 1, SQS_LIMITS.maxMessagesPerReceive);
    const visibilityTimeoutSeconds = checkRange('VisibilityTimeout', options.visibilityTimeoutSeconds ?? this.visibilityTimeoutSeconds, 0, SQS_LIMITS.maxVisibilityTimeoutSeconds);
    const nowMs = this.clock.nowMs();
    this.dropExpired(nowMs);
    const received: ReceivedMessage[] = [];
    for (const message of this.messages.values()) {
      if (received.length >= max) break;
      if (message.visibleAtMs > nowMs) continue;
      if (this.deadLetter && message.receiveCount >= this.deadLetter.maxReceiveCount) {
        this.moveToDeadLetterQueue(message);
        continue;
      }
      message.receiveCount++;
      message.firstReceiveMs ??= nowMs;
      message.visibleAtMs = nowMs + visibilityTimeoutSeconds * 1000;
      message.receiptHandle = this.newReceiptHandle(message.messageId);
      received.push(toReceived(message, message.receiptHandle));
    }
    this.counters.received += received.length;
    if (received.length > 0) this.changed();
    return received;
  }

  /**
   * DeleteMessage. As in SQS, a handle from an earlier receive of a message received again since
   * succeeds without deleting, and deleting an already deleted message succeeds.
   */
  delete(receiptHandle: string): void {
    const message = this.messages.get(this.messageIdOf(receiptHandle));
    if (!message || message.receiptHandle !== receiptHandle) return;
    this.messages.delete(message.messageId);
    this.counters.deleted++;
    this.changed();
  }

  /** ChangeMessageVisibility: the new timeout counts from now; 0 makes the message visible at once. */
  changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): void {
    checkRange('VisibilityTimeout', visibilityTimeoutSeconds, 0, SQS_LIMITS.maxVisibilityTimeoutSeconds);
    const message = this.messages.get(this.messageIdOf(receiptHandle));
    if (!message || message.receiptHandle !== receiptHandle) throw receiptHandleIsInvalid(receiptHandle);
    const nowMs = this.clock.nowMs();
    if (message.visibleAtMs <= nowMs) throw messageNotInflight();
    message.visibleAtMs = nowMs + visibilityTimeoutSeconds * 1000;
    this.changed();
  }

  purge(): void {
    const nowMs = this.clock.nowMs();
    if (this.lastPurgeMs !== undefined && nowMs - this.lastPurgeMs < SQS_LIMITS.purgeCooldownMs) {
      throw purgeQueueInProgress(this.name);
    }
    this.lastPurgeMs = nowMs;
    this.counters.purged += this.messages.size;
    this.messages.clear();
    this.changed();
  }

  depth(): QueueDepth {
    const nowMs = this.clock.nowMs();
    this.dropExpired(nowMs);
    const depth: QueueDepth = { visible: 0, inFlight: 0, delayed: 0 };
    for (const message of this.messages.values()) {
      if (message.visibleAtMs <= nowMs) depth.visible++;
      else if (message.receiveCount > 0) depth.inFlight++;
      else depth.delayed++;
    }
    return depth;
  }

  /** Test hook: every message's body and state, without receiving (so no receive count or visibility changes). */
  peek(): Array<{ body: string; state: keyof QueueDepth; receiveCount: number }> {
    const nowMs = this.clock.nowMs();
    this.dropExpired(nowMs);
    return [...this.messages.values()].map((message) => ({
      body: message.body,
      state: message.visibleAtMs <= nowMs ? 'visible' : message.receiveCount > 0 ? 'inFlight' : 'delayed',
      receiveCount: message.receiveCount,
    }));
  }

  /** Due time of the next invisible message to become visible, if any. */
  nextVisibleAtMs(): number | undefined {
    const nowMs = this.clock.nowMs();
    let next: number | undefined;
    for (const message of this.messages.values()) {
      if (message.visibleAtMs > nowMs && (next === undefined || message.visibleAtMs < next)) next = message.visibleAtMs;
    }
    return next;
  }

  /** Called after every change of content or state (send, receive, delete, ...). Returns an unsubscribe. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Test hook: called with the body of each message dropped for outliving the retention period. */
  onExpired(listener: (body: string) => void): () => void {
    this.expiryListeners.add(listener);
    return () => this.expiryListeners.delete(listener);
  }

  /** Moves a message received too often, keeping its id, body, attributes and sent time. */
  private moveToDeadLetterQueue(message: StoredMessage): void {
    const target = this.deadLetter!.queue;
    this.messages.delete(message.messageId);
    target.accept({ ...message, visibleAtMs: target.clock.nowMs(), receiptHandle: undefined, deadLetterQueueSourceArn: this.arn });
    this.counters.movedToDeadLetterQueue++;
    this.changed();
  }

  private accept(message: StoredMessage): void {
    this.messages.set(message.messageId, message);
    this.changed();
  }

  /** Retention counts from the original send, also for messages moved to a DLQ (standard queues). */
  private dropExpired(nowMs: number): void {
    const retentionMs = this.messageRetentionSeconds * 1000;
    let dropped = 0;
    for (const message of this.messages.values()) {
      if (message.sentTimestampMs + retentionMs <= nowMs) {
        this.messages.delete(message.messageId);
        dropped++;
        for (const listener of this.expiryListeners) listener(message.body);
      }
    }
    if (dropped === 0) return;
    this.counters.expired += dropped;
    this.changed();
  }

  private waitForVisibleMessage(deadlineMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const wakeAtMs = Math.min(deadlineMs, this.nextVisibleAtMs() ?? deadlineMs);
      const wake = () => {
        cancelTimer?.();
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      // An endless wait (the local event source mapping) holds no timer until something is invisible.
      const cancelTimer = Number.isFinite(wakeAtMs) ? this.clock.setTimer(wakeAtMs, wake) : undefined;
      this.waiters.add(wake);
      signal?.addEventListener('abort', wake);
    });
  }

  private changed(): void {
    for (const wake of [...this.waiters]) wake();
    for (const listener of [...this.changeListeners]) listener();
  }

  private newReceiptHandle(messageId: string): string {
    return Buffer.from(`${this.name}|${messageId}|${++this.receiveSequence}`).toString('base64url');
  }

  private messageIdOf(receiptHandle: string): string {
    const parts = Buffer.from(receiptHandle, 'base64url').toString().split('|');
    if (parts.length !== 3 || parts[0] !== this.name) throw receiptHandleIsInvalid(receiptHandle);
    return parts[1];
  }
}

function toReceived(message: StoredMessage, receiptHandle: string): ReceivedMessage {
  const attributes: ReceivedMessageAttributes = {
    SenderId: SENDER_ID,
    SentTimestamp: String(message.sentTimestampMs),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveMs),
  };
  if (message.deadLetterQueueSourceArn) attributes.DeadLetterQueueSourceArn = message.deadLetterQueueSourceArn;
  return {
    messageId: message.messageId,
    receiptHandle,
    body: message.body,
    md5OfBody: message.md5OfBody,
    md5OfMessageAttributes: message.md5OfMessageAttributes,
    messageAttributes: message.messageAttributes,
    attributes,
  };
}

function checkRange(parameter: string, value: number, minimum: number, maximum: number): number {
  if (!Number.isInteger(value) || value < minimum || value > maximum) throw outOfRange(parameter, value, minimum, maximum);
  return value;
}

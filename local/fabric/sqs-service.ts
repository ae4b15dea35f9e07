/**
 * The SQS API (AWS JSON 1.0 operation names and shapes) over a registry of LocalQueues. The HTTP
 * layer decodes the request and calls `handle`; in-process code uses `createQueue`/`queue` directly.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { StackClock } from '../clock';
import { LOCAL_ACCOUNT, arnResourceName } from './aws-names';
import { LocalQueue, SQS_LIMITS, type LocalQueueOptions, type ReceivedMessage } from './queue';
import {
  SqsError,
  batchEntryIdsNotDistinct,
  emptyBatchRequest,
  queueDoesNotExist,
  queueNameExists,
  tooManyEntriesInBatchRequest,
  unsupportedOperation,
} from './sqs-errors';

export type QueueSettings = Omit<LocalQueueOptions, 'name' | 'clock'>;

type JsonObject = Record<string, unknown>;
/** Wire form of a message attribute: BinaryValue is base64 in JSON. */
type WireMessageAttributes = Record<string, { DataType?: string; StringValue?: string; BinaryValue?: string }>;

interface BatchEntryFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

export class SqsService {
  private readonly queues = new Map<string, LocalQueue>();
  /** Set once the HTTP server listens, e.g. http://127.0.0.1:4566 */
  baseUrl = 'http://127.0.0.1';

  constructor(private readonly clock: StackClock) {}

  createQueue(name: string, settings: QueueSettings = {}): LocalQueue {
    const existing = this.queues.get(name);
    if (existing) return existing;
    const queue = new LocalQueue({ name, clock: this.clock, ...settings });
    this.queues.set(name, queue);
    return queue;
  }

  queue(name: string): LocalQueue | undefined {
    return this.queues.get(name);
  }

  queueUrl(name: string): string {
    return `${this.baseUrl}/${LOCAL_ACCOUNT}/${name}`;
  }

  /** Runs one operation; throws SqsError for service errors. `signal` ends long polls on shutdown. */
  async handle(operation: string, input: JsonObject, signal?: AbortSignal): Promise<JsonObject> {
    switch (operation) {
      case 'SendMessage':
        return this.sendMessage(input);
      case 'SendMessageBatch':
        return this.sendMessageBatch(input);
      case 'ReceiveMessage':
        return this.receiveMessage(input, signal);
      case 'DeleteMessage':
        this.queueOf(input).delete(String(input.ReceiptHandle));
        return {};
      case 'DeleteMessageBatch':
        return this.deleteMessageBatch(input);
      case 'ChangeMessageVisibility':
        this.queueOf(input).changeVisibility(String(input.ReceiptHandle), Number(input.VisibilityTimeout));
        return {};
      case 'GetQueueUrl':
        return this.getQueueUrl(input);
      case 'GetQueueAttributes':
        return { Attributes: filterNames(queueAttributes(this.queueOf(input)), input.AttributeNames) };
      case 'PurgeQueue':
        this.queueOf(input).purge();
        return {};
      case 'CreateQueue':
        return this.createQueueOperation(input);
      case 'ListQueues': {
        const prefix = String(input.QueueNamePrefix ?? '');
        return { QueueUrls: [...this.queues.keys()].filter((n) => n.startsWith(prefix)).map((n) => this.queueUrl(n)) };
      }
      default:
        throw unsupportedOperation(operation);
    }
  }

  private queueOf(input: JsonObject): LocalQueue {
    const url = String(input.QueueUrl ?? '');
    const queue = this.queues.get(url.slice(url.lastIndexOf('/') + 1));
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  private sendMessage(input: JsonObject): JsonObject {
    const sent = this.queueOf(input).send({
      body: String(input.MessageBody ?? ''),
      delaySeconds: input.DelaySeconds === undefined ? undefined : Number(input.DelaySeconds),
      messageAttributes: fromWireAttributes(input.MessageAttributes as WireMessageAttributes | undefined),
    });
    return { MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfBody, MD5OfMessageAttributes: sent.md5OfMessageAttributes };
  }

  private sendMessageBatch(input: JsonObject): JsonObject {
    const queue = this.queueOf(input);
    const entries = checkBatch(input.Entries);
    const totalBytes = entries.reduce((sum, entry) => sum + Buffer.byteLength(String(entry.MessageBody ?? '')), 0);
    if (totalBytes > SQS_LIMITS.maxMessageSizeBytes) {
      throw new SqsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${SQS_LIMITS.maxMessageSizeBytes} bytes.`,
        'com.amazonaws.sqs#BatchRequestTooLong',
        'AWS.SimpleQueueService.BatchRequestTooLong',
      );
    }
    return runBatch(entries, (entry) => {
      const sent = queue.send({
        body: String(entry.MessageBody ?? ''),
        delaySeconds: entry.DelaySeconds === undefined ? undefined : Number(entry.DelaySeconds),
        messageAttributes: fromWireAttributes(entry.MessageAttributes as WireMessageAttributes | undefined),
      });
      return { MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfBody, MD5OfMessageAttributes: sent.md5OfMessageAttributes };
    });
  }

  private async receiveMessage(input: JsonObject, signal: AbortSignal | undefined): Promise<JsonObject> {
    const messages = await this.queueOf(input).receive({
      maxNumberOfMessages: input.MaxNumberOfMessages === undefined ? undefined : Number(input.MaxNumberOfMessages),
      visibilityTimeoutSeconds: input.VisibilityTimeout === undefined ? undefined : Number(input.VisibilityTimeout),
      waitTimeSeconds: input.WaitTimeSeconds === undefined ? undefined : Number(input.WaitTimeSeconds),
      signal,
    });
    if (messages.length === 0) return {};
    const systemNames = [...asList(input.AttributeNames), ...asList(input.MessageSystemAttributeNames)];
    return { Messages: messages.map((message) => toWireMessage(message, systemNames, asList(input.MessageAttributeNames))) };
  }

  private deleteMessageBatch(input: JsonObject): JsonObject {
    const queue = this.queueOf(input);
    return runBatch(checkBatch(input.Entries), (entry) => {
      queue.delete(String(entry.ReceiptHandle));
      return {};
    });
  }

  private getQueueUrl(input: JsonObject): JsonObject {
    const name = String(input.QueueName ?? '');
    if (!this.queues.has(name)) throw queueDoesNotExist();
    return { QueueUrl: this.queueUrl(name) };
  }

  private createQueueOperation(input: JsonObject): JsonObject {
    const name = String(input.QueueName ?? '');
    const settings = this.settingsFromAttributes((input.Attributes ?? {}) as Record<string, string>);
    const existing = this.queues.get(name);
    if (existing) {
      const current = queueAttributes(existing);
      const differs = Object.entries((input.Attributes ?? {}) as Record<string, string>).some(
        ([key, value]) => key in current && normalizeJson(current[key]) !== normalizeJson(value),
      );
      if (differs) throw queueNameExists(name);
    }
    this.createQueue(name, settings);
    return { QueueUrl: this.queueUrl(name) };
  }

  private settingsFromAttributes(attributes: Record<string, string>): QueueSettings {
    const numberOf = (key: string) => (attributes[key] === undefined ? undefined : Number(attributes[key]));
    const settings: QueueSettings = {
      visibilityTimeoutSeconds: numberOf('VisibilityTimeout'),
      delaySeconds: numberOf('DelaySeconds'),
      messageRetentionSeconds: numberOf('MessageRetentionPeriod'),
      maximumMessageSizeBytes: numberOf('MaximumMessageSize'),
      receiveMessageWaitTimeSeconds: numberOf('ReceiveMessageWaitTimeSeconds'),
    };
    if (attributes.RedrivePolicy) {
      const policy = JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
      const target = this.queues.get(arnResourceName(policy.deadLetterTargetArn));
      if (!target) throw queueDoesNotExist();
      settings.deadLetter = { queue: target, maxReceiveCount: Number(policy.maxReceiveCount) };
    }
    return settings;
  }
}

function checkBatch(entries: unknown): JsonObject[] {
  const list = Array.isArray(entries) ? (entries as JsonObject[]) : [];
  if (list.length === 0) throw emptyBatchRequest();
  if (list.length > 10) throw tooManyEntriesInBatchRequest(list.length);
  const ids = new Set<string>();
  for (const entry of list) {
    const id = String(entry.Id);
    if (ids.has(id)) throw batchEntryIdsNotDistinct(id);
    ids.add(id);
  }
  return list;
}

/** Runs each entry; an entry's service error lands in Failed, as in SQS batch APIs. */
function runBatch(entries: JsonObject[], run: (entry: JsonObject) => JsonObject): JsonObject {
  const successful: JsonObject[] = [];
  const failed: BatchEntryFailure[] = [];
  for (const entry of entries) {
    try {
      successful.push({ Id: entry.Id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      failed.push({ Id: String(entry.Id), SenderFault: true, Code: error.name, Message: error.message });
    }
  }
  return { Successful: successful, Failed: failed };
}

function fromWireAttributes(wire: WireMessageAttributes | undefined): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(wire ?? {})) {
    attributes[name] = {
      DataType: value.DataType,
      StringValue: value.StringValue,
      BinaryValue: value.BinaryValue === undefined ? undefined : Buffer.from(value.BinaryValue, 'base64'),
    };
  }
  return attributes;
}

function toWireMessage(message: ReceivedMessage, systemNames: string[], attributeNames: string[]): JsonObject {
  const wire: JsonObject = {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
  };
  const attributes = filterNames({ ...message.attributes } as Record<string, string>, systemNames);
  if (Object.keys(attributes).length > 0) wire.Attributes = attributes;
  const selected = Object.entries(message.messageAttributes).filter(([name]) => attributeSelected(name, attributeNames));
  if (selected.length > 0) {
    wire.MD5OfMessageAttributes = message.md5OfMessageAttributes;
    wire.MessageAttributes = Object.fromEntries(
      selected.map(([name, value]) => [
        name,
        {
          DataType: value.DataType,
          StringValue: value.StringValue,
          BinaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
        },
      ]),
    );
  }
  return wire;
}

/** MessageAttributeNames: exact names, `All`, `.*`, or `prefix.*`. */
function attributeSelected(name: string, requested: string[]): boolean {
  return requested.some((r) => r === 'All' || r === '.*' || r === name || (r.endsWith('.*') && name.startsWith(r.slice(0, -1))));
}

function filterNames(attributes: Record<string, string>, requested: unknown): Record<string, string> {
  const names = asList(requested);
  if (names.includes('All')) return attributes;
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => names.includes(name)));
}

function asList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function normalizeJson(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith('{')) return value;
  return JSON.stringify(JSON.parse(value), (_key, v: unknown) => (typeof v === 'number' ? String(v) : v));
}

function queueAttributes(queue: LocalQueue): Record<string, string> {
  const depth = queue.depth();
  const attributes: Record<string, string> = {
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(depth.visible),
    ApproximateNumberOfMessagesNotVisible: String(depth.inFlight),
    ApproximateNumberOfMessagesDelayed: String(depth.delayed),
    VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
    DelaySeconds: String(queue.delaySeconds),
    MessageRetentionPeriod: String(queue.messageRetentionSeconds),
    MaximumMessageSize: String(queue.maximumMessageSizeBytes),
    ReceiveMessageWaitTimeSeconds: String(queue.receiveMessageWaitTimeSeconds),
    CreatedTimestamp: String(Math.floor(queue.createdAtMs / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.createdAtMs / 1000)),
  };
  if (queue.deadLetter) {
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: queue.deadLetter.queue.arn,
      maxReceiveCount: queue.deadLetter.maxReceiveCount,
    });
  }
  return attributes;
}

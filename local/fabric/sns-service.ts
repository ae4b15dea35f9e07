/**
 * SNS topics whose subscribers are local queues (sent the notification envelope JSON, like an SNS→SQS
 * subscription without raw delivery) or in-process callbacks. `handle` serves the Query protocol.
 */
import { randomUUID } from 'node:crypto';
import type { StackClock } from '../clock';
import { arnResourceName, snsTopicArn } from './aws-names';
import { messageSizeBytes } from './message-size';
import type { LocalQueue } from './queue';
import { LocalApiError } from '../api-error';
import { queryList, type QueryParams, type XmlValue } from './query-protocol';

export const SNS_MAX_MESSAGE_BYTES = 262_144;
const MAX_BATCH_ENTRIES = 10;

/** Query error codes, e.g. NotFound; the SDK maps it to NotFoundException. */
export class SnsError extends LocalApiError {}

export interface SnsMessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

export interface PublishInput {
  topicArn: string;
  message: string;
  subject?: string;
  messageAttributes?: Record<string, SnsMessageAttribute>;
  /** `json`: `message` is a JSON object of per-protocol messages with a required `default`. */
  messageStructure?: string;
}

/** The JSON an SQS subscriber receives as its message body. */
export interface SnsNotification {
  Type: 'Notification';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

export type SnsCallback = (notification: SnsNotification) => void | Promise<void>;

type Subscriber = { queue: LocalQueue } | { callback: SnsCallback };

export interface SnsCounters {
  published: number;
  delivered: number;
  deliveryFailures: number;
}

export class SnsService {
  readonly counters: SnsCounters = { published: 0, delivered: 0, deliveryFailures: 0 };
  /** Every accepted notification, in order, for tests and the demo. */
  readonly published: SnsNotification[] = [];
  private readonly topics = new Map<string, Subscriber[]>();

  constructor(private readonly clock: StackClock) {}

  createTopic(name: string): string {
    const arn = snsTopicArn(name);
    if (!this.topics.has(arn)) this.topics.set(arn, []);
    return arn;
  }

  subscribeQueue(topicArn: string, queue: LocalQueue): void {
    this.subscribersOf(topicArn).push({ queue });
  }

  subscribeCallback(topicArn: string, callback: SnsCallback): void {
    this.subscribersOf(topicArn).push({ callback });
  }

  /** Publishes and fans out; delivery failures are counted, not thrown, as SNS retries on its own. */
  publish(input: PublishInput): string {
    const subscribers = this.subscribersOf(input.topicArn);
    if (messageSizeBytes(input.message, input.messageAttributes ?? {}) > SNS_MAX_MESSAGE_BYTES) {
      throw new SnsError('InvalidParameter', 'Invalid parameter: Message too long');
    }
    const perProtocol = perProtocolMessages(input);
    const notification = this.notificationOf({ ...input, message: perProtocol.default });
    this.counters.published++;
    this.published.push(notification);
    for (const subscriber of subscribers) {
      // Queue subscribers get the `sqs` entry, in-process callbacks stand in for `lambda`.
      const message = ('queue' in subscriber ? perProtocol.sqs : perProtocol.lambda) ?? perProtocol.default;
      void this.deliver(subscriber, { ...notification, Message: message });
    }
    return notification.MessageId;
  }

  /** Query protocol: returns the `<Action>Result` content. */
  handle(action: string, params: QueryParams): XmlValue {
    switch (action) {
      case 'Publish':
        return { MessageId: this.publish(publishInputOf(params, params.TopicArn)) };
      case 'PublishBatch':
        return this.publishBatch(params);
      case 'CreateTopic':
        return { TopicArn: this.createTopic(params.Name) };
      case 'ListTopics':
        return { Topics: [...this.topics.keys()].map((TopicArn) => ({ TopicArn })) };
      default:
        throw new SnsError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
    }
  }

  private publishBatch(params: QueryParams): XmlValue {
    const entries = queryList(params, 'PublishBatchRequestEntries.member');
    if (entries.length === 0) throw new SnsError('EmptyBatchRequest', 'The batch request does not contain any entries.');
    if (entries.length > MAX_BATCH_ENTRIES) {
      throw new SnsError('TooManyEntriesInBatchRequest', 'The batch request contains more entries than permissible.');
    }
    if (new Set(entries.map((e) => e.Id)).size !== entries.length) {
      throw new SnsError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
    }
    const inputs = entries.map((entry) => publishInputOf(entry, params.TopicArn));
    const batchBytes = inputs.reduce((sum, input) => sum + messageSizeBytes(input.message, input.messageAttributes ?? {}), 0);
    if (batchBytes > SNS_MAX_MESSAGE_BYTES) {
      throw new SnsError('BatchRequestTooLong', 'The length of all the messages put together is more than the limit.');
    }
    const successful: XmlValue[] = [];
    const failed: XmlValue[] = [];
    inputs.forEach((input, index) => {
      const Id = entries[index].Id;
      try {
        successful.push({ Id, MessageId: this.publish(input) });
      } catch (error) {
        if (!(error instanceof SnsError)) throw error;
        failed.push({ Id, Code: error.code, Message: error.message, SenderFault: true });
      }
    });
    return { Successful: successful, Failed: failed };
  }

  private subscribersOf(topicArn: string): Subscriber[] {
    const subscribers = this.topics.get(topicArn);
    if (!subscribers) throw new SnsError('NotFound', 'Topic does not exist', 404);
    return subscribers;
  }

  private notificationOf(input: PublishInput): SnsNotification {
    const messageId = randomUUID();
    const notification: SnsNotification = {
      Type: 'Notification',
      MessageId: messageId,
      TopicArn: input.topicArn,
      Subject: input.subject,
      Message: input.message,
      Timestamp: new Date(this.clock.nowMs()).toISOString(),
      SignatureVersion: '1',
      Signature: 'LOCAL',
      SigningCertURL: 'https://sns.local/SimpleNotificationService.pem',
      UnsubscribeURL: `https://sns.local/?Action=Unsubscribe&SubscriptionArn=${input.topicArn}:${arnResourceName(input.topicArn)}`,
    };
    const attributes = Object.entries(input.messageAttributes ?? {});
    if (attributes.length > 0) {
      notification.MessageAttributes = Object.fromEntries(
        attributes.map(([name, value]) => [
          name,
          {
            Type: value.DataType,
            Value: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : (value.StringValue ?? ''),
          },
        ]),
      );
    }
    return notification;
  }

  private async deliver(subscriber: Subscriber, notification: SnsNotification): Promise<void> {
    try {
      if ('queue' in subscriber) subscriber.queue.send({ body: JSON.stringify(notification) });
      else await subscriber.callback(notification);
      this.counters.delivered++;
    } catch {
      this.counters.deliveryFailures++;
    }
  }
}

function publishInputOf(params: QueryParams, topicArn: string): PublishInput {
  const messageAttributes: Record<string, SnsMessageAttribute> = {};
  for (const entry of queryList(params, 'MessageAttributes.entry')) {
    messageAttributes[entry.Name] = {
      DataType: entry['Value.DataType'],
      StringValue: entry['Value.StringValue'],
      BinaryValue: entry['Value.BinaryValue'] === undefined ? undefined : Buffer.from(entry['Value.BinaryValue'], 'base64'),
    };
  }
  return { topicArn, message: params.Message ?? '', subject: params.Subject, messageAttributes, messageStructure: params.MessageStructure };
}

/** With MessageStructure=json, each protocol gets its own entry, falling back to `default` (which is required). */
function perProtocolMessages(input: PublishInput): Record<string, string | undefined> & { default: string } {
  if (input.messageStructure !== 'json') return { default: input.message };
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.message);
  } catch {
    throw new SnsError('InvalidParameter', 'Invalid parameter: Message Structure - JSON message body failed to parse');
  }
  const entries = parsed as Record<string, unknown>;
  if (typeof entries?.default !== 'string') {
    throw new SnsError('InvalidParameter', 'Invalid parameter: Message Structure - No default entry in JSON message body');
  }
  return entries as Record<string, string | undefined> & { default: string };
}

import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  TooManyEntriesInBatchRequest,
  PurgeQueueInProgress,
} from '@aws-sdk/client-sqs';
import {
  CreateTopicCommand,
  InvalidParameterException,
  ListTopicsCommand,
  NotFoundException,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { VirtualClock } from '../../../local/clock';
import { LocalAwsEndpoints } from '../../../local/fabric/aws-endpoints';
import type { SnsNotification } from '../../../local/fabric/sns-service';

async function until(condition: () => boolean): Promise<void> {
  for (let tick = 0; tick < 2000 && !condition(); tick++) await new Promise((resolve) => setImmediate(resolve));
  if (!condition()) throw new Error('condition not reached');
}

describe('local AWS endpoints through the official SDK v3 clients', () => {
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 1) });
  let endpoints: LocalAwsEndpoints;
  let sqs: SQSClient;
  let sns: SNSClient;
  let secrets: SecretsManagerClient;
  let intakeUrl: string;

  beforeAll(async () => {
    endpoints = await LocalAwsEndpoints.start({ clock });
    const config = { ...endpoints.clientConfig(), maxAttempts: 1 };
    sqs = new SQSClient(config);
    sns = new SNSClient(config);
    secrets = new SecretsManagerClient(config);
    await sqs.send(new CreateQueueCommand({ QueueName: 'intake-dlq' }));
    ({ QueueUrl: intakeUrl = '' } = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'intake',
        Attributes: {
          VisibilityTimeout: '60',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:intake-dlq', maxReceiveCount: 5 }),
        },
      }),
    ));
  });

  afterAll(async () => {
    sqs.destroy();
    sns.destroy();
    secrets.destroy();
    await endpoints.stop();
  });

  describe('SQS (JSON 1.0)', () => {
    it('creates, finds and describes queues', async () => {
      expect(intakeUrl).toBe(`${endpoints.url}/123456789012/intake`);
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'intake' }));
      expect(QueueUrl).toBe(intakeUrl);
      const { QueueUrls } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'intake' }));
      expect(QueueUrls).toHaveLength(2);
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: intakeUrl, AttributeNames: ['All'] }));
      expect(Attributes).toMatchObject({
        QueueArn: 'arn:aws:sqs:us-east-1:123456789012:intake',
        VisibilityTimeout: '60',
        ApproximateNumberOfMessages: '0',
      });
      expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:intake-dlq',
        maxReceiveCount: 5,
      });
      await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'missing' }))).rejects.toBeInstanceOf(QueueDoesNotExist);
    });

    it('sends and receives with attributes; the SDK accepts the MD5s', async () => {
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: intakeUrl,
          MessageBody: '{"hello":"wörld"}',
          MessageAttributes: {
            kind: { DataType: 'String', StringValue: 'recheck' },
            blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
          },
        }),
      );
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: intakeUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      expect(Messages).toHaveLength(1);
      const [message] = Messages!;
      expect(message).toMatchObject({ MessageId: sent.MessageId, Body: '{"hello":"wörld"}', MD5OfBody: sent.MD5OfMessageBody });
      expect(message.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
      expect(message.MessageAttributes?.kind?.StringValue).toBe('recheck');
      expect(Buffer.from(message.MessageAttributes!.blob!.BinaryValue!)).toEqual(Buffer.from([1, 2, 3]));
      expect(message.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SentTimestamp: String(clock.nowMs()) });

      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: intakeUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
      const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: intakeUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
      expect(again.Messages?.[0].Attributes).toEqual({ ApproximateReceiveCount: '2' });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: intakeUrl, ReceiptHandle: again.Messages![0].ReceiptHandle }));
      expect(endpoints.sqs.queue('intake')!.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('returns SQS errors the SDK maps: delay over 900 s, message over 1 MiB, bad receipt handle', async () => {
      const tooLate = sqs.send(new SendMessageCommand({ QueueUrl: intakeUrl, MessageBody: 'x', DelaySeconds: 901 }));
      await expect(tooLate).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
      const tooBig = sqs.send(new SendMessageCommand({ QueueUrl: intakeUrl, MessageBody: 'x'.repeat(1_048_577) }));
      await expect(tooBig).rejects.toMatchObject({
        name: 'InvalidParameterValue',
        message: 'One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.',
      });
      const badHandle = sqs.send(new DeleteMessageCommand({ QueueUrl: intakeUrl, ReceiptHandle: 'nonsense' }));
      await expect(badHandle).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    });

    it('sends and deletes in batches, reporting per-entry failures', async () => {
      const result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: intakeUrl,
          Entries: [
            { Id: 'a', MessageBody: 'one' },
            { Id: 'b', MessageBody: 'two', DelaySeconds: 5 },
            { Id: 'c', MessageBody: 'bad', DelaySeconds: 1000 },
          ],
        }),
      );
      expect(result.Successful?.map((s) => s.Id)).toEqual(['a', 'b']);
      expect(result.Failed).toEqual([expect.objectContaining({ Id: 'c', Code: 'InvalidParameterValue', SenderFault: true })]);
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: intakeUrl, MaxNumberOfMessages: 10 }));
      expect(Messages.map((m) => m.Body)).toEqual(['one']);
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: intakeUrl, Entries: [{ Id: 'x', ReceiptHandle: Messages[0].ReceiptHandle }] }),
      );
      expect(deleted.Successful).toEqual([{ Id: 'x' }]);
      const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: String(i), MessageBody: 'm' }));
      await expect(sqs.send(new SendMessageBatchCommand({ QueueUrl: intakeUrl, Entries: eleven }))).rejects.toBeInstanceOf(
        TooManyEntriesInBatchRequest,
      );
      await sqs.send(new PurgeQueueCommand({ QueueUrl: intakeUrl }));
      await expect(sqs.send(new PurgeQueueCommand({ QueueUrl: intakeUrl }))).rejects.toBeInstanceOf(PurgeQueueInProgress);
    });

    it('long-polls on the stack clock: answers when a delayed message becomes visible', async () => {
      await sqs.send(new CreateQueueCommand({ QueueName: 'poll' }));
      const pollUrl = endpoints.sqs.queueUrl('poll');
      await sqs.send(new SendMessageCommand({ QueueUrl: pollUrl, MessageBody: 'soon', DelaySeconds: 10 }));
      const before = endpoints.requestCounts.sqs;
      const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl: pollUrl, WaitTimeSeconds: 20 }));
      let settled = false;
      void receiving.then(() => (settled = true));
      await until(() => endpoints.requestCounts.sqs > before && clock.pendingTimers() > 0);
      await clock.advance(9000);
      expect(settled).toBe(false);
      await clock.advance(1000);
      expect((await receiving).Messages?.map((m) => m.Body)).toEqual(['soon']);
    });
  });

  describe('SNS (Query)', () => {
    it('publishes to queue subscribers in the SNS envelope and to callbacks', async () => {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alerts' }));
      expect(TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:alerts');
      const alertsQueue = endpoints.sqs.createQueue('alerts-queue');
      endpoints.sns.subscribeQueue(TopicArn!, alertsQueue);
      const delivered: SnsNotification[] = [];
      endpoints.sns.subscribeCallback(TopicArn!, (n) => void delivered.push(n));

      const { MessageId } = await sns.send(
        new PublishCommand({
          TopicArn,
          Subject: 'Redrive failed',
          Message: 'execution <x> & "y"',
          MessageAttributes: { severity: { DataType: 'String', StringValue: 'high' } },
        }),
      );
      const [received] = alertsQueue.receiveNow();
      const envelope = JSON.parse(received.body) as SnsNotification;
      expect(envelope).toMatchObject({
        Type: 'Notification',
        MessageId,
        TopicArn,
        Subject: 'Redrive failed',
        Message: 'execution <x> & "y"',
        Timestamp: new Date(clock.nowMs()).toISOString(),
        MessageAttributes: { severity: { Type: 'String', Value: 'high' } },
      });
      await until(() => delivered.length === 1);
      expect(delivered[0].MessageId).toBe(MessageId);
      const { Topics } = await sns.send(new ListTopicsCommand({}));
      expect(Topics).toEqual([{ TopicArn }]);
    });

    it('with MessageStructure=json gives queues their sqs entry and needs a default', async () => {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'structured' }));
      const queue = endpoints.sqs.createQueue('structured-queue');
      endpoints.sns.subscribeQueue(TopicArn!, queue);
      await sns.send(new PublishCommand({ TopicArn, MessageStructure: 'json', Message: JSON.stringify({ default: 'plain', sqs: '{"for":"queues"}', email: 'for people' }) }));
      expect(JSON.parse(queue.receiveNow()[0].body).Message).toBe('{"for":"queues"}');
      expect(endpoints.sns.published.at(-1)?.Message).toBe('plain');
      const noDefault = sns.send(new PublishCommand({ TopicArn, MessageStructure: 'json', Message: JSON.stringify({ sqs: 'x' }) }));
      await expect(noDefault).rejects.toThrow(/No default entry/);
    });

    it('publishes in batches and enforces the 256 KB limit and unknown topics', async () => {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'batch' }));
      const batch = await sns.send(
        new PublishBatchCommand({
          TopicArn,
          PublishBatchRequestEntries: [
            { Id: '1', Message: 'first' },
            { Id: '2', Message: 'second', Subject: 's' },
          ],
        }),
      );
      expect(batch.Successful?.map((s) => s.Id)).toEqual(['1', '2']);
      expect(endpoints.sns.published.slice(-2).map((n) => n.Message)).toEqual(['first', 'second']);
      const tooLong = sns.send(new PublishCommand({ TopicArn, Message: 'x'.repeat(262_145) }));
      await expect(tooLong).rejects.toBeInstanceOf(InvalidParameterException);
      await expect(sns.send(new PublishCommand({ TopicArn, Message: 'x'.repeat(262_144) }))).resolves.toBeDefined();
      const missing = sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:nope', Message: 'x' }));
      await expect(missing).rejects.toBeInstanceOf(NotFoundException);
    });
  });

  describe('Secrets Manager (JSON 1.1)', () => {
    it('creates, reads by name and ARN, updates, and reports unknown and duplicate secrets', async () => {
      const created = await secrets.send(new CreateSecretCommand({ Name: 'slack/webhook', SecretString: 'https://hooks/1' }));
      expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:slack\/webhook-[0-9a-f]{6}$/);
      const byName = await secrets.send(new GetSecretValueCommand({ SecretId: 'slack/webhook' }));
      expect(byName).toMatchObject({ SecretString: 'https://hooks/1', VersionStages: ['AWSCURRENT'] });
      expect(byName.CreatedDate).toEqual(new Date(clock.nowMs()));
      await secrets.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: 'https://hooks/2' }));
      const byArn = await secrets.send(new GetSecretValueCommand({ SecretId: created.ARN }));
      expect(byArn.SecretString).toBe('https://hooks/2');
      expect(byArn.VersionId).not.toBe(byName.VersionId);
      await expect(secrets.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
      await expect(secrets.send(new CreateSecretCommand({ Name: 'slack/webhook', SecretString: 'x' }))).rejects.toBeInstanceOf(
        ResourceExistsException,
      );
    });
  });
});

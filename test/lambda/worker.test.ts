/**
 * The worker handler itself: batches in, partial batch failures out. Step Functions, SQS and SNS are
 * mocked; the ledger is DynamoDB Local.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { RUNTIME_ENV } from '../../adapters/runtime-env';
import { CONFIG_ENV_VAR } from '../../core/config';
import { createWorkerHandler } from '../../lambda/worker';
import { config, NOW_MS } from '../support/fixtures';
import { useDynamoDbLocal } from '../support/dynamo';

const harness = useDynamoDbLocal();
const sqsMock = mockClient(SQSClient);
const context = { invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:worker', awsRequestId: 'r' } as Context;

function batch(records: Array<{ id: string; body: string }>): SQSEvent {
  return {
    Records: records.map(({ id, body }) => ({
      messageId: id, receiptHandle: id, body, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:intake', awsRegion: 'us-east-1', messageAttributes: {},
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 's', ApproximateFirstReceiveTimestamp: '0' },
    })),
  };
}

it('reports each concurrent invocation its own failures (the local stack runs several at once)', async () => {
  const { doc, tableName } = await harness.newLedger();
  // Malformed messages are parked in the DLQ. Parking "{fails" is refused quickly, so that record must come
  // back as failed; parking "{slow" succeeds, but only after the other invocation has finished.
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).callsFake(async (input: { MessageBody?: string }) => {
    const fails = input.MessageBody?.includes('fails');
    await new Promise((resolve) => setTimeout(resolve, fails ? 20 : 150));
    if (fails) throw new Error('DLQ unreachable');
    return {};
  });
  const handler = createWorkerHandler({
    clock: { nowMs: () => NOW_MS },
    clients: { sfn: new SFNClient({ region: 'us-east-1' }), dynamo: doc, sqs: new SQSClient({ region: 'us-east-1' }), sns: new SNSClient({ region: 'us-east-1' }) },
    env: {
      [CONFIG_ENV_VAR]: JSON.stringify(config()),
      [RUNTIME_ENV.ledgerTableName]: tableName,
      [RUNTIME_ENV.intakeQueueUrl]: 'http://q/intake',
      [RUNTIME_ENV.intakeDlqUrl]: 'http://q/dlq',
      [RUNTIME_ENV.alertTopicArn]: 'arn:aws:sns:us-east-1:123456789012:alerts',
    },
    logger: new Logger({ logLevel: 'SILENT' }),
    alerts: { publish: async () => undefined },
  });
  const [failing, slow] = await Promise.all([
    handler(batch([{ id: 'a1', body: '{fails' }]), context),
    handler(batch([{ id: 'b1', body: '{slow' }]), context),
  ]);
  expect(failing.batchItemFailures).toEqual([{ itemIdentifier: 'a1' }]);
  expect(slow.batchItemFailures).toEqual([]);
});

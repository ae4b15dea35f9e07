/**
 * The worker handler itself: batches in, partial batch failures out. Step Functions, SQS and SNS are
 * mocked; the ledger is DynamoDB Local.
 */
import { RedriveExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { RUNTIME_ENV } from '../../adapters/runtime-env';
import { CONFIG_ENV_VAR, type AutoRedriveConfigInput } from '../../core/config';
import { createWorkerHandler } from '../../lambda/worker';
import { ACCOUNT, config, executionArn, NOW_MS, REGION, statusChangeEvent } from '../support/fixtures';
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

const DLQ_URL = 'http://q/dlq';

/** The production handler on a fresh ledger, with silent logs and no alert delivery. */
function workerHandler({ doc, tableName }: { doc: DynamoDBDocumentClient; tableName: string }, overrides: AutoRedriveConfigInput = {}) {
  return createWorkerHandler({
    clock: { nowMs: () => NOW_MS },
    clients: { sfn: new SFNClient({ region: REGION }), dynamo: doc, sqs: new SQSClient({ region: REGION }), sns: new SNSClient({ region: REGION }) },
    env: {
      [CONFIG_ENV_VAR]: JSON.stringify(config(overrides)),
      [RUNTIME_ENV.ledgerTableName]: tableName,
      [RUNTIME_ENV.intakeQueueUrl]: 'http://q/intake',
      [RUNTIME_ENV.intakeDlqUrl]: DLQ_URL,
      [RUNTIME_ENV.alertTopicArn]: `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`,
    },
    logger: new Logger({ logLevel: 'SILENT' }),
    alerts: { publish: async () => undefined },
  });
}

it('reports each concurrent invocation its own failures (the local stack runs several at once)', async () => {
  // Malformed messages are parked in the DLQ. Parking "{fails" is refused quickly, so that record must come
  // back as failed; parking "{slow" succeeds, but only after the other invocation has finished.
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).callsFake(async (input: { MessageBody?: string }) => {
    const fails = input.MessageBody?.includes('fails');
    await new Promise((resolve) => setTimeout(resolve, fails ? 20 : 150));
    if (fails) throw new Error('DLQ unreachable');
    return {};
  });
  const handler = workerHandler(await harness.newLedger());
  const [failing, slow] = await Promise.all([
    handler(batch([{ id: 'a1', body: '{fails' }]), context),
    handler(batch([{ id: 'b1', body: '{slow' }]), context),
  ]);
  expect(failing.batchItemFailures).toEqual([{ itemIdentifier: 'a1' }]);
  expect(slow.batchItemFailures).toEqual([]);
});

it('redrives a failed execution of a state machine named orders.v2 instead of parking its event as malformed', async () => {
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm' });
  const sfnMock = mockClient(SFNClient);
  sfnMock.on(RedriveExecutionCommand).resolves({ redriveDate: new Date(NOW_MS) });
  try {
    const handler = workerHandler(await harness.newLedger(), { watch: { stateMachineNamePrefixes: ['orders.'] }, backoff: { initialDelaySeconds: 0, maxDelaySeconds: 1 } });
    const arn = executionArn('commande-été-1', 'orders.v2');
    const event = statusChangeEvent({ executionArn: arn, stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:orders.v2`, name: 'commande-été-1' });
    const response = await handler(batch([{ id: 'v2', body: JSON.stringify({ ...event, resources: [arn] }) }]), context);
    expect(response.batchItemFailures).toEqual([]);
    expect(sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input.QueueUrl)).not.toContain(DLQ_URL);
    expect(sfnMock.commandCalls(RedriveExecutionCommand).map((call) => call.args[0].input.executionArn)).toEqual([arn]);
  } finally {
    sfnMock.restore();
  }
});

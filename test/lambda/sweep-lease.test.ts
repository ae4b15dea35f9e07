/**
 * One sweep at a time without reserved concurrency: the sweep Lambda takes a lease in the ledger table
 * (DynamoDB Local) and a second sweep that starts meanwhile exits at once, with a log line.
 */
import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Coordination } from '../../adapters/coordination';
import { RUNTIME_ENV } from '../../adapters/runtime-env';
import { CONFIG_ENV_VAR } from '../../core/config';
import { LEDGER_TABLE } from '../../core/ledger-table';
import { createSweepHandler } from '../../lambda/sweep';
import { useDynamoDbLocal } from '../support/dynamo';
import { ACCOUNT, config, NOW_MS, REGION, STATE_MACHINE_ARN } from '../support/fixtures';

const harness = useDynamoDbLocal();
const sfnMock = mockClient(SFNClient);
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);

beforeEach(() => {
  sfnMock.reset();
  snsMock.reset();
  sqsMock.reset();
  sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
  snsMock.on(PublishCommand).resolves({});
  sqsMock.on(SendMessageCommand).resolves({});
});

function sweepHandler(tableName: string, doc: Parameters<typeof createSweepHandler>[0]['clients']['dynamo'], logged: string[]) {
  const logger = { debug() {}, info: (message: string) => logged.push(message), warn: (message: string) => logged.push(message), error() {} };
  return createSweepHandler({
    clock: { nowMs: () => NOW_MS },
    clients: { sfn: new SFNClient({ region: REGION }), dynamo: doc, sqs: new SQSClient({ region: REGION }), sns: new SNSClient({ region: REGION }) },
    env: {
      [CONFIG_ENV_VAR]: JSON.stringify(config()),
      [RUNTIME_ENV.ledgerTableName]: tableName,
      [RUNTIME_ENV.intakeQueueUrl]: 'http://q/intake',
      [RUNTIME_ENV.alertTopicArn]: `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`,
    },
    logger: logger as never,
  });
}

const context = (awsRequestId: string): Context =>
  ({ awsRequestId, invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:sweep`, getRemainingTimeInMillis: () => 300_000 }) as Context;

it('of two sweeps at once, one runs and the other exits with a log line; the lease is free again afterwards', async () => {
  const { doc, tableName } = await harness.newLedger();
  const logged: string[] = [];
  const handler = sweepHandler(tableName, doc, logged);
  let finishListing!: () => void;
  const listing = new Promise<void>((resolve) => (finishListing = resolve));
  sfnMock.on(ListStateMachinesCommand).callsFake(async () => {
    await listing;
    return { stateMachines: [{ stateMachineArn: STATE_MACHINE_ARN, name: 'Orders-Process', type: 'STANDARD', creationDate: new Date() }] };
  });

  const first = handler({}, context('first'));
  while (sfnMock.commandCalls(ListStateMachinesCommand).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const second = await handler({}, context('second'));
  expect(second).toEqual({ skipped: 'ANOTHER_SWEEP_RUNNING', heldBy: 'first', heldUntilMs: NOW_MS + 300_000 + 60_000 });
  expect(logged).toContain('Another sweep is running; this one exits');
  // The second sweep listed nothing: only the first one's call was made.
  expect(sfnMock).toHaveReceivedCommandTimes(ListStateMachinesCommand, 1);

  finishListing();
  expect(await first).toMatchObject({ stateMachines: [STATE_MACHINE_ARN], listed: 0 });
  expect(await handler({}, context('third'))).toMatchObject({ stateMachines: [STATE_MACHINE_ARN] });
  expect(sfnMock).toHaveReceivedCommandTimes(ListStateMachinesCommand, 2);
});

it('a lease left by a sweep that died runs out by itself, and a failed sweep gives its lease back', async () => {
  const { doc, tableName } = await harness.newLedger();
  const coordination = new Coordination(doc, tableName);
  // A sweep killed by its timeout never released its lease; it ran out a minute ago.
  await coordination.takeLease(LEDGER_TABLE.coordinationKeys.sweepLease, 'killed', NOW_MS - 600_000, NOW_MS - 60_000, NOW_MS + 86_400_000);
  const handler = sweepHandler(tableName, doc, []);
  // A sweep that fails outright (here: cannot even publish its alert) gives the lease back on its way out.
  sfnMock.on(ListStateMachinesCommand).rejectsOnce(new Error('Step Functions is down')).resolves({ stateMachines: [] });
  snsMock.on(PublishCommand).rejectsOnce(new Error('SNS is down')).resolves({});
  await expect(handler({}, context('fails'))).rejects.toThrow('SNS is down');
  expect(await handler({}, context('next'))).toMatchObject({ stateMachines: [] });
});

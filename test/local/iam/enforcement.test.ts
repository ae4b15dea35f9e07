/**
 * Each endpoint of the local stack evaluates every call against the caller's policy, as the caller's
 * access key names it: the Lambdas' synthesized role policies, the operator policy, the stack's own
 * administrator. A refusal has AWS's error code, status and message for that service's protocol.
 */
import { BatchGetItemCommand, DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateStateMachineCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LEDGER_TABLE } from '../../../core/ledger-table';
import { VirtualClock } from '../../../local/clock';
import { ADMIN_CREDENTIALS, LAMBDA_CREDENTIALS, OPERATOR_CREDENTIALS, type LocalCredentials } from '../../../local/iam/principals';
import type { RolePolicies } from '../../../local/iam/synthesized-policies';
import { LOCAL_NAMES, LocalStack } from '../../../local/stack';

const ACCOUNT = '123456789012';
const role = (name: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${name}-role/${name}`;
const WORKER = role('sfn-autoredrive-worker');
const SWEEP = role('sfn-autoredrive-sweep');
const NOTIFIER = role('sfn-autoredrive-slack-notifier');
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${LOCAL_NAMES.ledgerTable}`;
const UNKNOWN: LocalCredentials = { accessKeyId: 'AKIANOBODYKNOWS', secretAccessKey: 'x' };

/** The error a call fails with, or a failure if it does not. */
async function refusal(call: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  const error = await call.then(
    () => {
      throw new Error('the call was allowed');
    },
    (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => e,
  );
  return { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode };
}

describe('IAM enforcement on the local endpoints', () => {
  let stack: LocalStack;
  const as = (credentials: LocalCredentials) => {
    const common = { region: 'us-east-1', credentials, maxAttempts: 1 };
    return {
      sfn: new SFNClient({ ...common, endpoint: stack.sfn.endpoint }),
      dynamo: new DynamoDBClient({ ...common, endpoint: stack.dynamo.endpoint }),
      sqs: new SQSClient({ ...common, endpoint: stack.aws.url }),
      sns: new SNSClient({ ...common, endpoint: stack.aws.url }),
      secrets: new SecretsManagerClient({ ...common, endpoint: stack.aws.url }),
    };
  };
  const intakeUrl = () => stack.env.INTAKE_QUEUE_URL;

  beforeAll(async () => {
    stack = await LocalStack.start({
      clock: new VirtualClock({ startMs: Date.UTC(2026, 10, 24) }),
      config: { watch: { stateMachineNamePrefixes: ['orders-'] }, alerts: { slackWebhookSecretName: LOCAL_NAMES.slackSecret } },
    });
  });
  afterAll(() => stack?.stop());

  it('Step Functions: AccessDeniedException (400) with the role, the action and the resource', async () => {
    expect(await refusal(as(LAMBDA_CREDENTIALS.worker).sfn.send(new ListStateMachinesCommand({})))).toEqual({
      name: 'AccessDeniedException',
      status: 400,
      message: `User: ${WORKER} is not authorized to perform: states:ListStateMachines on resource: * because no identity-based policy allows the states:ListStateMachines action`,
    });
    // The sweep's role has it (name prefixes are resolved through it); the operator may not create state machines.
    await expect(as(LAMBDA_CREDENTIALS.sweep).sfn.send(new ListStateMachinesCommand({}))).resolves.toBeDefined();
    const create = new CreateStateMachineCommand({ name: 'orders-x', definition: '{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}', roleArn: `arn:aws:iam::${ACCOUNT}:role/sfn` });
    expect(await refusal(as(OPERATOR_CREDENTIALS).sfn.send(create))).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    await expect(as(ADMIN_CREDENTIALS).sfn.send(create)).resolves.toMatchObject({ stateMachineArn: expect.stringContaining('orders-x') });
  });

  it('DynamoDB, through the proxy: the table, an index, and each table of a batch', async () => {
    const key = { [LEDGER_TABLE.partitionKey]: { S: 'arn:aws:states:us-east-1:123456789012:execution:orders-a:1' } };
    expect(await refusal(as(LAMBDA_CREDENTIALS.notifier).dynamo.send(new GetItemCommand({ TableName: LOCAL_NAMES.ledgerTable, Key: key })))).toEqual({
      name: 'AccessDeniedException',
      status: 400,
      message: `User: ${NOTIFIER} is not authorized to perform: dynamodb:GetItem on resource: ${TABLE_ARN} because no identity-based policy allows the dynamodb:GetItem action`,
    });
    await expect(as(LAMBDA_CREDENTIALS.worker).dynamo.send(new GetItemCommand({ TableName: LOCAL_NAMES.ledgerTable, Key: key }))).resolves.toBeDefined();

    const query = (indexName: string) =>
      new QueryCommand({
        TableName: LOCAL_NAMES.ledgerTable,
        IndexName: indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': indexName === LEDGER_TABLE.byWindowCloseIndex.name ? LEDGER_TABLE.byWindowCloseIndex.partitionKey : LEDGER_TABLE.byStateMachineIndex.partitionKey },
        ExpressionAttributeValues: { ':pk': { S: 'x' } },
      });
    await expect(as(LAMBDA_CREDENTIALS.sweep).dynamo.send(query(LEDGER_TABLE.byWindowCloseIndex.name))).resolves.toBeDefined();
    expect((await refusal(as(LAMBDA_CREDENTIALS.sweep).dynamo.send(query(LEDGER_TABLE.byStateMachineIndex.name)))).message).toBe(
      `User: ${SWEEP} is not authorized to perform: dynamodb:Query on resource: ${TABLE_ARN}/index/${LEDGER_TABLE.byStateMachineIndex.name} because no identity-based policy allows the dynamodb:Query action`,
    );

    // The operator may BatchGetItem the ledger, but not another table in the same call.
    const batch = (tables: string[]) => new BatchGetItemCommand({ RequestItems: Object.fromEntries(tables.map((t) => [t, { Keys: [key] }])) });
    await expect(as(OPERATOR_CREDENTIALS).dynamo.send(batch([LOCAL_NAMES.ledgerTable]))).resolves.toBeDefined();
    expect((await refusal(as(OPERATOR_CREDENTIALS).dynamo.send(batch([LOCAL_NAMES.ledgerTable, 'payroll'])))).message).toContain(
      `dynamodb:BatchGetItem on resource: arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/payroll`,
    );
  });

  it('SQS: AccessDenied (403), the action in lower case as SQS writes it', async () => {
    const send = (credentials: LocalCredentials) => as(credentials).sqs.send(new SendMessageCommand({ QueueUrl: intakeUrl(), MessageBody: '{}' }));
    expect(await refusal(send(LAMBDA_CREDENTIALS.notifier))).toEqual({
      name: 'AccessDenied',
      status: 403,
      message: `User: ${NOTIFIER} is not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:us-east-1:${ACCOUNT}:${LOCAL_NAMES.intakeQueue} because no identity-based policy allows the sqs:sendmessage action`,
    });
    await expect(send(LAMBDA_CREDENTIALS.sweep)).resolves.toMatchObject({ MessageId: expect.any(String) });
  });

  it('SNS: AuthorizationError (403), the action written SNS:Publish', async () => {
    const publish = (credentials: LocalCredentials) => as(credentials).sns.send(new PublishCommand({ TopicArn: stack.alertTopicArn, Message: 'hi' }));
    expect(await refusal(publish(LAMBDA_CREDENTIALS.notifier))).toEqual({
      name: 'AuthorizationErrorException',
      status: 403,
      message: `User: ${NOTIFIER} is not authorized to perform: SNS:Publish on resource: ${stack.alertTopicArn} because no identity-based policy allows the SNS:Publish action`,
    });
    await expect(publish(LAMBDA_CREDENTIALS.worker)).resolves.toMatchObject({ MessageId: expect.any(String) });
  });

  it('Secrets Manager: AccessDeniedException (400) naming the secret as asked; the notifier reads its webhook', async () => {
    const read = (credentials: LocalCredentials) => as(credentials).secrets.send(new GetSecretValueCommand({ SecretId: LOCAL_NAMES.slackSecret }));
    expect(await refusal(read(LAMBDA_CREDENTIALS.worker))).toEqual({
      name: 'AccessDeniedException',
      status: 400,
      message: `User: ${WORKER} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${LOCAL_NAMES.slackSecret} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
    });
    await expect(read(LAMBDA_CREDENTIALS.notifier)).resolves.toMatchObject({ SecretString: stack.slack!.url });
  });

  it('an access key nobody issued: UnrecognizedClientException, or InvalidClientTokenId in SQS and SNS', async () => {
    const nobody = as(UNKNOWN);
    const invalid = 'The security token included in the request is invalid.';
    expect(await refusal(nobody.sfn.send(new ListStateMachinesCommand({})))).toEqual({ name: 'UnrecognizedClientException', status: 400, message: invalid });
    expect(await refusal(nobody.dynamo.send(new GetItemCommand({ TableName: LOCAL_NAMES.ledgerTable, Key: {} })))).toEqual({ name: 'UnrecognizedClientException', status: 400, message: invalid });
    expect(await refusal(nobody.secrets.send(new GetSecretValueCommand({ SecretId: LOCAL_NAMES.slackSecret })))).toEqual({ name: 'UnrecognizedClientException', status: 400, message: invalid });
    expect(await refusal(nobody.sqs.send(new SendMessageCommand({ QueueUrl: intakeUrl(), MessageBody: '{}' })))).toEqual({ name: 'InvalidClientTokenId', status: 403, message: invalid });
    expect(await refusal(nobody.sns.send(new PublishCommand({ TopicArn: stack.alertTopicArn, Message: 'hi' })))).toEqual({ name: 'InvalidClientTokenId', status: 403, message: invalid });
  });
});

describe('the SQS event source mappings', () => {
  it('do not come up when a role may not read its queue, as the deploy would fail', async () => {
    const withoutDelete = (policies: RolePolicies): RolePolicies => {
      for (const statement of policies.notifier!.Statement) statement.Action = ([] as string[]).concat(statement.Action).filter((action) => action !== 'sqs:DeleteMessage');
      return policies;
    };
    await expect(
      LocalStack.start({
        clock: new VirtualClock({ startMs: Date.UTC(2026, 10, 24) }),
        config: { watch: { stateMachineNamePrefixes: ['orders-'] } },
        iam: { adjustPolicies: withoutDelete },
      }),
    ).rejects.toThrow('Invalid request provided: The provided execution role does not have permissions to call DeleteMessage on SQS');
  });
});

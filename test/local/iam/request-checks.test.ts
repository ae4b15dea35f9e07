/** What IAM evaluates for a call: the action and resource ARNs per service, batches and transactions per table. */
import { dynamoDbChecks, secretsManagerChecks, snsChecks, sqsChecks, stepFunctionsChecks } from '../../../local/iam/request-checks';

const table = (name: string) => `arn:aws:dynamodb:us-east-1:123456789012:table/${name}`;

describe('IAM checks per call', () => {
  it('DynamoDB: the table, an index, every table of a batch, each transaction item as its own action', () => {
    expect(dynamoDbChecks('GetItem', { TableName: 'ledger' })).toEqual([{ action: 'dynamodb:GetItem', resource: table('ledger') }]);
    expect(dynamoDbChecks('Query', { TableName: 'ledger', IndexName: 'byStateMachine' })).toEqual([{ action: 'dynamodb:Query', resource: `${table('ledger')}/index/byStateMachine` }]);
    expect(dynamoDbChecks('BatchWriteItem', { RequestItems: { a: [], b: [] } })).toEqual([
      { action: 'dynamodb:BatchWriteItem', resource: table('a') },
      { action: 'dynamodb:BatchWriteItem', resource: table('b') },
    ]);
    expect(dynamoDbChecks('TransactWriteItems', { TransactItems: [{ Put: { TableName: 'a' } }, { Update: { TableName: 'b' } }, { ConditionCheck: { TableName: 'a' } }] })).toEqual([
      { action: 'dynamodb:PutItem', resource: table('a') },
      { action: 'dynamodb:UpdateItem', resource: table('b') },
      { action: 'dynamodb:ConditionCheckItem', resource: table('a') },
    ]);
    expect(dynamoDbChecks('TransactGetItems', { TransactItems: [{ Get: { TableName: 'a' } }] })).toEqual([{ action: 'dynamodb:GetItem', resource: table('a') }]);
  });

  it('Step Functions: the state machine without a #TestCase, the execution, * for ListStateMachines', () => {
    const machine = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders';
    expect(stepFunctionsChecks('StartExecution', { stateMachineArn: `${machine}#Transient` })).toEqual([{ action: 'states:StartExecution', resource: machine }]);
    expect(stepFunctionsChecks('RedriveExecution', { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:orders:1' })).toEqual([
      { action: 'states:RedriveExecution', resource: 'arn:aws:states:us-east-1:123456789012:execution:orders:1' },
    ]);
    expect(stepFunctionsChecks('ListStateMachines', {})).toEqual([{ action: 'states:ListStateMachines', resource: '*' }]);
    expect(stepFunctionsChecks('CreateStateMachine', { name: 'orders' })).toEqual([{ action: 'states:CreateStateMachine', resource: machine }]);
  });

  it('SQS batches as their single-message actions, on the queue the URL names; SNS on the topic; a secret by its full ARN', () => {
    const url = 'http://127.0.0.1:4581/123456789012/intake';
    expect(sqsChecks('SendMessageBatch', { QueueUrl: url })).toEqual([{ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:123456789012:intake' }]);
    expect(sqsChecks('GetQueueUrl', { QueueName: 'intake' })).toEqual([{ action: 'sqs:GetQueueUrl', resource: 'arn:aws:sqs:us-east-1:123456789012:intake' }]);
    expect(snsChecks('Publish', { TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts' })).toEqual([{ action: 'sns:Publish', resource: 'arn:aws:sns:us-east-1:123456789012:alerts' }]);
    const stored = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:team/slack-a1b2c3';
    const arnOf = (id: string) => (id === 'team/slack' ? stored : undefined);
    expect(secretsManagerChecks('GetSecretValue', { SecretId: 'team/slack' }, arnOf)).toEqual([{ action: 'secretsmanager:GetSecretValue', resource: stored }]);
    expect(secretsManagerChecks('GetSecretValue', { SecretId: 'missing' }, arnOf)).toEqual([
      { action: 'secretsmanager:GetSecretValue', resource: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:missing' },
    ]);
  });
});

const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders.v2';
const MAP_RUN = 'arn:aws:states:us-east-1:123456789012:mapRun:orders.v2/Parcels:0b6f0c7e-1111-4222-8333-444455556666';

describe('Step Functions versions, aliases and callbacks as IAM sees them', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['StartExecution', { stateMachineArn: `${SM}:prod` }, `${SM}:prod`],
    ['StartExecution', { stateMachineArn: `${SM}#FailOnce` }, SM],
    ['UpdateStateMachine', { stateMachineArn: SM }, SM],
    ['PublishStateMachineVersion', { stateMachineArn: SM }, SM],
    ['ListStateMachineVersions', { stateMachineArn: SM }, SM],
    ['ListStateMachineAliases', { stateMachineArn: SM }, SM],
    ['DeleteStateMachineVersion', { stateMachineVersionArn: `${SM}:3` }, `${SM}:3`],
    ['CreateStateMachineAlias', { name: 'prod', routingConfiguration: [{ stateMachineVersionArn: `${SM}:3`, weight: 100 }] }, `${SM}:prod`],
    ['DescribeStateMachineAlias', { stateMachineAliasArn: `${SM}:prod` }, `${SM}:prod`],
    ['UpdateStateMachineAlias', { stateMachineAliasArn: `${SM}:prod` }, `${SM}:prod`],
    ['DeleteStateMachineAlias', { stateMachineAliasArn: `${SM}:prod` }, `${SM}:prod`],
    ['SendTaskSuccess', { taskToken: 'token' }, '*'],
    ['RedriveExecution', { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:orders.v2:o-1' }, 'arn:aws:states:us-east-1:123456789012:execution:orders.v2:o-1'],
    ['DescribeMapRun', { mapRunArn: MAP_RUN }, MAP_RUN],
    ['UpdateMapRun', { mapRunArn: MAP_RUN, maxConcurrency: 5 }, MAP_RUN],
    // A Map Run's children: the Service Authorization Reference's mapRun resource, not the state machine.
    ['ListExecutions', { mapRunArn: MAP_RUN, statusFilter: 'FAILED' }, MAP_RUN],
    ['ListMapRuns', { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:orders.v2:o-1' }, 'arn:aws:states:us-east-1:123456789012:execution:orders.v2:o-1'],
  ])('%s %j is checked on %s', (operation, input, resource) => {
    expect(stepFunctionsChecks(operation, input)).toEqual([{ action: `states:${operation}`, resource }]);
  });
});

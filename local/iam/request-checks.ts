/**
 * What IAM evaluates for a call, per service: the action and the resource ARN(s), as AWS's Service
 * Authorization Reference defines them. A call on several resources (a batch over tables) is one check
 * per resource; all must pass.
 */
import { LOCAL_ACCOUNT, LOCAL_REGION, snsTopicArn, sqsQueueArn } from '../fabric/aws-names';
import type { IamCheck } from './authorizer';

type Input = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === 'string' && value !== '' ? value : '*');

export function stepFunctionsChecks(operation: string, input: Input): IamCheck[] {
  const action = `states:${operation}`;
  switch (operation) {
    case 'ListStateMachines':
      return [{ action, resource: '*' }];
    case 'CreateStateMachine':
      return [{ action, resource: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${text(input.name)}` }];
    case 'ListExecutions':
      // Of a Map Run, IAM sees the Map Run (the Service Authorization Reference's mapRun resource).
      if (typeof input.mapRunArn === 'string' && input.mapRunArn !== '') return [{ action, resource: input.mapRunArn }];
      return [{ action, resource: text(input.stateMachineArn).split('#')[0] }];
    case 'StartExecution':
    case 'DescribeStateMachine':
    case 'DeleteStateMachine':
      // `arn#TestCase` picks a mocked test case; IAM sees the state machine.
      return [{ action, resource: text(input.stateMachineArn).split('#')[0] }];
    case 'UpdateStateMachine':
    case 'PublishStateMachineVersion':
    case 'ListStateMachineVersions':
    case 'ListStateMachineAliases':
      return [{ action, resource: text(input.stateMachineArn) }];
    case 'DeleteStateMachineVersion':
      return [{ action, resource: text(input.stateMachineVersionArn) }];
    case 'DescribeStateMachineAlias':
    case 'UpdateStateMachineAlias':
    case 'DeleteStateMachineAlias':
      return [{ action, resource: text(input.stateMachineAliasArn) }];
    case 'CreateStateMachineAlias': {
      // The alias's own ARN: its state machine (from the first routed version) and its name.
      const versionArn = text((input.routingConfiguration as Input[] | undefined)?.[0]?.stateMachineVersionArn);
      return [{ action, resource: versionArn === '*' ? '*' : `${versionArn.slice(0, versionArn.lastIndexOf(':'))}:${text(input.name)}` }];
    }
    // A task token names no resource; AWS authorizes these callbacks on "*" (or an activity, not emulated).
    case 'SendTaskSuccess':
    case 'SendTaskFailure':
    case 'SendTaskHeartbeat':
      return [{ action, resource: '*' }];
    // The Service Authorization Reference names the mapRun resource for these two; ListMapRuns, like the
    // execution APIs below, is checked on the parent execution.
    case 'DescribeMapRun':
    case 'UpdateMapRun':
      return [{ action, resource: text(input.mapRunArn) }];
    case 'TagResource':
    case 'UntagResource':
    case 'ListTagsForResource':
      return [{ action, resource: text(input.resourceArn) }];
    default:
      return [{ action, resource: text(input.executionArn) }];
  }
}

const tableArn = (table: unknown) => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${text(table)}`;

/** Items of a TransactWriteItems call, and the item action IAM requires for each. */
const TRANSACT_WRITE_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

export function dynamoDbChecks(operation: string, input: Input): IamCheck[] {
  const action = `dynamodb:${operation}`;
  switch (operation) {
    case 'ListTables':
      return [{ action, resource: '*' }];
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((input.RequestItems as Input | undefined) ?? {}).map((table) => ({ action, resource: tableArn(table) }));
    case 'TransactGetItems':
      return ((input.TransactItems as Input[] | undefined) ?? []).map((item) => ({ action: 'dynamodb:GetItem', resource: tableArn((item.Get as Input | undefined)?.TableName) }));
    case 'TransactWriteItems':
      return ((input.TransactItems as Input[] | undefined) ?? []).flatMap((item) =>
        Object.entries(item).map(([kind, request]) => ({ action: TRANSACT_WRITE_ACTIONS[kind] ?? action, resource: tableArn((request as Input).TableName) })),
      );
    case 'Query':
    case 'Scan':
      return [{ action, resource: input.IndexName ? `${tableArn(input.TableName)}/index/${text(input.IndexName)}` : tableArn(input.TableName) }];
    default:
      return [{ action, resource: tableArn(input.TableName) }];
  }
}

/** The batch calls are authorized as their single-message actions; IAM has no `sqs:SendMessageBatch`. */
const SQS_BATCH_ACTIONS: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

export function sqsChecks(operation: string, input: Input): IamCheck[] {
  const action = `sqs:${SQS_BATCH_ACTIONS[operation] ?? operation}`;
  if (operation === 'ListQueues') return [{ action, resource: '*' }];
  const queueName = operation === 'CreateQueue' || operation === 'GetQueueUrl' ? text(input.QueueName) : text(input.QueueUrl).split('/').pop()!;
  return [{ action, resource: sqsQueueArn(queueName) }];
}

export function snsChecks(action: string, params: Record<string, string>): IamCheck[] {
  if (action === 'ListTopics') return [{ action: `sns:${action}`, resource: '*' }];
  const resource = action === 'CreateTopic' ? snsTopicArn(text(params.Name)) : text(params.TopicArn ?? params.TargetArn);
  return [{ action: `sns:${action}`, resource }];
}

/** `secretArnOf` finds a stored secret's full ARN (with its random suffix) by name or ARN. */
export function secretsManagerChecks(operation: string, input: Input, secretArnOf: (secretId: string) => string | undefined): IamCheck[] {
  const action = `secretsmanager:${operation}`;
  if (operation === 'ListSecrets') return [{ action, resource: '*' }];
  const id = text(operation === 'CreateSecret' ? input.Name : input.SecretId);
  return [{ action, resource: secretArnOf(id) ?? `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${id}` }];
}

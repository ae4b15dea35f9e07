import { stepFunctionsChecks } from '../../../local/iam/request-checks';

const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders.v2';
const MAP_RUN = 'arn:aws:states:us-east-1:123456789012:mapRun:orders.v2/Parcels:0b6f0c7e-1111-4222-8333-444455556666';

describe('Step Functions calls as IAM sees them', () => {
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
    ['ListMapRuns', { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:orders.v2:o-1' }, 'arn:aws:states:us-east-1:123456789012:execution:orders.v2:o-1'],
  ])('%s %j is checked on %s', (operation, input, resource) => {
    expect(stepFunctionsChecks(operation, input)).toEqual([{ action: `states:${operation}`, resource }]);
  });
});

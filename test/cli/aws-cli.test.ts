/**
 * The Step Functions emulator through the real AWS CLI (`aws` on PATH) against `sfn-autoredrive serve`,
 * started as a user starts it: JSONata, variables, callbacks, Distributed Map and its Map Run redrive, the
 * redrive of a failed execution, versions and aliases, and definition errors. Each feature is one
 * concurrent test with its own state machine (the CLI is a process per call: running them side by side
 * saves time); Task states are answered by the served mock config.
 *
 * No `aws` on PATH is a failure, not a skip (test/support/aws-cli.ts says how to install one). A CLI
 * whose Step Functions model is too old gets the vendored model with `aws configure add-model`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareAwsCli, type AwsCli, type AwsResult } from '../support/aws-cli';
import { startCli, waitFor, type Child } from '../support/processes';
import { distributedMap } from '../support/sfn-definitions';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/sfn';
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine';
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution';
const MAP_RUN = 'arn:aws:states:us-east-1:123456789012:mapRun';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** A date as the CLI prints it with `cli_timestamp_format = iso8601` (test/support/aws-cli.ts). */
const DATE = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);

/** Served with `--mock-config`: Task states of the machines below, per test case. */
const MOCK_CONFIG = {
  StateMachines: {
    'cli-jsonata': { TestCases: { Priced: { Price: 'UnitPrice' } } },
    'cli-callback': { TestCases: { Waits: { Approve: 'NoAnswer' } } },
    'cli-dmap': { TestCases: { SecondFailsOnce: { Work: 'SecondCallFails' } } },
    'cli-orders': { TestCases: { FailsOnce: { Charge: 'GatewayDownOnce' } } },
  },
  MockedResponses: {
    UnitPrice: { '0': { Return: { Payload: { unit: 25 }, StatusCode: 200 } } },
    NoAnswer: { '0': { Callback: { Submitted: { MessageId: 'm-1' } } } },
    SecondCallFails: { '0': { Return: { done: true } }, '1': { Throw: { Error: 'Item.Transient', Cause: 'item 1 failed' } }, '2': { Return: { done: true } } },
    GatewayDownOnce: { '0': { Throw: { Error: 'PaymentGatewayTimeout', Cause: 'gateway took 30 s' } }, '1': { Return: { Payload: { paid: true }, StatusCode: 200 } } },
  },
};

let dir: string | undefined;
let serve: Child | undefined;
let cli: AwsCli;
let endpoint: string;
/** The operator's credentials that `serve` exports (held to docs/operator-policy.json), and the local account administrator's. */
const credentials: Record<'operator' | 'admin', Record<string, string>> = { operator: {}, admin: {} };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aws-cli-serve-'));
  writeFileSync(join(dir, 'mock-config.json'), JSON.stringify(MOCK_CONFIG));
  // The served config watches `orders-…`, so the worker leaves the `cli-…` machines alone.
  const child = (serve = startCli(['serve', '--output', 'json', '--config', 'test/cli/sweep.config.json', '--mock-config', join(dir, 'mock-config.json')]));
  cli = await prepareAwsCli();
  // Shown in the test output, so a run says which CLI (and model) it checked.
  console.log(`${cli.version} at ${cli.path}${cli.addedModel ? ', with the vendored Step Functions model (aws configure add-model)' : ''}`);
  const line = await waitFor(() => child.stdout().split('\n').find((l) => l.startsWith('{')), `serve to print its endpoints (stderr: ${child.stderr()})`);
  const { endpoints, env, adminCredentials } = JSON.parse(line);
  endpoint = endpoints.stepFunctions;
  credentials.operator = { AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY };
  credentials.admin = { AWS_ACCESS_KEY_ID: adminCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: adminCredentials.secretAccessKey };
});

afterAll(async () => {
  if (serve && serve.process.exitCode === null) {
    // Up, it stops cleanly on SIGTERM; still starting (the CLI was missing), it just dies.
    const wasUp = serve.stdout().startsWith('{');
    serve.process.kill('SIGTERM');
    const code = await serve.exited;
    if (wasUp) expect(code).toBe(0);
  }
  cli?.cleanUp();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `aws stepfunctions <command> …` against serve, as the administrator (or the operator). */
function sfn(command: string, args: Record<string, string | number | true> = {}, as: 'operator' | 'admin' = 'admin'): Promise<AwsResult> {
  const flags = Object.entries(args).flatMap(([name, value]) => (value === true ? [`--${name}`] : [`--${name}`, String(value)]));
  return cli.run(['stepfunctions', command, ...flags, '--endpoint-url', endpoint, '--region', 'us-east-1', '--output', 'json'], credentials[as]);
}

/** A command that must succeed: its JSON output (`{}` for an empty one). */
async function ok<T = any>(command: string, args: Record<string, string | number | true> = {}): Promise<T> {
  const result = await sfn(command, args);
  if (result.code !== 0) throw new Error(`aws stepfunctions ${command} exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim() === '' ? ({} as T) : JSON.parse(result.stdout);
}

/** The exit code and stderr of a call the service is to refuse. */
async function refused(command: string, args: Record<string, string | number | true>, as?: 'operator'): Promise<{ code: number; stderr: string }> {
  const result = await sfn(command, args, as);
  return { code: result.code, stderr: result.stderr.trim() };
}

/** What the CLI shows when the service answers `code` and `message` to `operation`. */
function serviceError(operation: string, code: string, message: string): { code: number; stderr: string } {
  return { code: cli.serviceErrorExit, stderr: `An error occurred (${code}) when calling the ${operation} operation: ${message}` };
}

async function createMachine(name: string, definition: unknown): Promise<string> {
  const created = await ok('create-state-machine', { name, definition: JSON.stringify(definition), 'role-arn': ROLE_ARN });
  expect(created).toEqual({ stateMachineArn: `${MACHINE}:${name}`, creationDate: DATE });
  return created.stateMachineArn;
}

/** describe-execution, once the execution is no longer RUNNING. */
async function settled(executionArn: string): Promise<any> {
  for (let i = 0; ; i++) {
    const execution = await ok('describe-execution', { 'execution-arn': executionArn });
    if (execution.status !== 'RUNNING') return execution;
    if (i === 100) throw new Error(`${executionArn} still RUNNING`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function history(executionArn: string): Promise<any[]> {
  return (await ok('get-execution-history', { 'execution-arn': executionArn, 'max-results': 1000 })).events;
}

describe('the AWS CLI against sfn-autoredrive serve', () => {
  it.concurrent('runs a JSONata machine: Arguments, Output, Assign and Condition', async () => {
    const arn = await createMachine('cli-jsonata', {
      QueryLanguage: 'JSONata',
      StartAt: 'Price',
      States: {
        Price: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'price', Payload: { sku: '{% $states.input.sku %}', qty: '{% $states.input.qty %}' } },
          Assign: { unit: '{% $states.result.Payload.unit %}', qty: '{% $states.input.qty %}' },
          Output: '{% $states.result.Payload %}',
          Next: 'Bulk?',
        },
        'Bulk?': { Type: 'Choice', Choices: [{ Condition: '{% $unit * $qty > 100 %}', Next: 'Bulk' }], Default: 'Single' },
        Bulk: { Type: 'Pass', Output: '{% {"total": $unit * $qty, "discount": true, "unit": $states.input.unit} %}', End: true },
        Single: { Type: 'Pass', Output: '{% {"total": $unit * $qty, "discount": false} %}', End: true },
      },
    });
    const bulk = await ok('start-execution', { 'state-machine-arn': `${arn}#Priced`, name: 'bulk', input: '{"sku":"A-1","qty":5}' });
    expect(bulk).toEqual({ executionArn: `${EXECUTION}:cli-jsonata:bulk`, startDate: DATE });
    const single = await ok('start-execution', { 'state-machine-arn': `${arn}#Priced`, name: 'single', input: '{"sku":"A-1","qty":2}' });
    expect(await settled(bulk.executionArn)).toMatchObject({ status: 'SUCCEEDED', input: '{"sku":"A-1","qty":5}', output: '{"total":125,"discount":true,"unit":25}' });
    expect(await settled(single.executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"total":50,"discount":false}' });
    const events = await history(bulk.executionArn);
    expect(events.find((e) => e.type === 'TaskScheduled').taskScheduledEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'us-east-1',
      parameters: '{"FunctionName":"price","Payload":{"sku":"A-1","qty":5}}',
    });
    expect(events.find((e) => e.type === 'TaskStateExited').stateExitedEventDetails).toMatchObject({
      name: 'Price',
      output: '{"unit":25}',
      assignedVariables: { unit: '25', qty: '5' },
    });
    expect(events.map((e) => e.type).filter((type) => type.endsWith('StateEntered'))).toEqual(['TaskStateEntered', 'ChoiceStateEntered', 'PassStateEntered']);
  });

  it.concurrent('assigns JSONPath variables and reads them as $name', async () => {
    const arn = await createMachine('cli-variables', {
      StartAt: 'Remember',
      States: {
        Remember: { Type: 'Pass', Assign: { 'customer.$': '$.customer', count: 2 }, Next: 'Greet' },
        Greet: { Type: 'Pass', Parameters: { 'greeting.$': "States.Format('Hello {}, {} items', $customer, $count)" }, Next: 'Many?' },
        'Many?': { Type: 'Choice', Choices: [{ Variable: '$count', NumericGreaterThan: 1, Next: 'Many' }], Default: 'One' },
        Many: { Type: 'Pass', Parameters: { 'greeting.$': '$.greeting', 'who.$': '$customer', plural: true }, End: true },
        One: { Type: 'Pass', End: true },
      },
    });
    const { executionArn } = await ok('start-execution', { 'state-machine-arn': arn, input: '{"customer":"Ada"}' });
    expect(executionArn).toMatch(new RegExp(`^${EXECUTION}:cli-variables:${UUID}$`));
    expect(await settled(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"greeting":"Hello Ada, 2 items","who":"Ada","plural":true}' });
    const exited = (await history(executionArn)).find((e) => e.type === 'PassStateExited').stateExitedEventDetails;
    expect(exited).toEqual({
      name: 'Remember',
      output: '{"customer":"Ada"}',
      outputDetails: { truncated: false },
      assignedVariables: { customer: '"Ada"', count: '2' },
      assignedVariablesDetails: { truncated: false },
    });
  });

  it.concurrent('answers a .waitForTaskToken task: heartbeat, success and failure by the token from the history; unknown and closed tokens are refused', async () => {
    const arn = await createMachine('cli-callback', {
      StartAt: 'Approve',
      States: {
        Approve: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          Parameters: { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/approvals', MessageBody: { 'token.$': '$$.Task.Token', 'order.$': '$.order' } },
          HeartbeatSeconds: 3600,
          End: true,
        },
      },
    });
    const start = (name: string) => ok('start-execution', { 'state-machine-arn': `${arn}#Waits`, name, input: `{"order":"${name}"}` });
    const [approved, rejected] = await Promise.all([start('approved'), start('rejected')]);
    /** The token the task sent with its message, read from TaskScheduled, and the history's length then. */
    const tokenOf = async (executionArn: string): Promise<[string, number]> => {
      for (let i = 0; ; i++) {
        const events = await history(executionArn);
        if (events.some((e) => e.type === 'TaskSubmitted')) {
          const { MessageBody } = JSON.parse(events.find((e) => e.type === 'TaskScheduled').taskScheduledEventDetails.parameters);
          expect(MessageBody.order).toBe(executionArn.split(':').pop());
          return [MessageBody.token, events.length];
        }
        if (i === 100) throw new Error(`${executionArn} never submitted its token`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const [[approvedToken, before], [rejectedToken]] = await Promise.all([tokenOf(approved.executionArn), tokenOf(rejected.executionArn)]);
    expect(approvedToken).not.toBe(rejectedToken);

    // SendTaskHeartbeat answers {} (the CLI prints nothing) and writes no event.
    expect(await sfn('send-task-heartbeat', { 'task-token': approvedToken })).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await history(approved.executionArn)).toHaveLength(before);

    expect(await sfn('send-task-success', { 'task-token': approvedToken, 'task-output': '{"approved":true}' })).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await settled(approved.executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":true}' });

    expect(await sfn('send-task-failure', { 'task-token': rejectedToken, error: 'Approval.Rejected', cause: 'over budget' })).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await settled(rejected.executionArn)).toMatchObject({ status: 'FAILED', error: 'Approval.Rejected', cause: 'over budget' });

    expect(await refused('send-task-success', { 'task-token': approvedToken, 'task-output': '{}' })).toEqual(
      serviceError('SendTaskSuccess', 'TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'"),
    );
    expect(await refused('send-task-heartbeat', { 'task-token': 'not-a-token-we-issued' })).toEqual(
      serviceError('SendTaskHeartbeat', 'InvalidToken', "Invalid Token: 'Invalid token'"),
    );
  });

  it.concurrent('runs a Distributed Map: describe-map-run, list-map-runs, list-executions --map-run-arn; redriving the parent redrives the Map Run', async () => {
    // One child at a time, so the Map Run fails on item 1 before item 2 starts.
    const arn = await createMachine('cli-dmap', distributedMap({ MaxConcurrency: 1 }));
    const { executionArn } = await ok('start-execution', { 'state-machine-arn': `${arn}#SecondFailsOnce`, name: 'fan-1', input: '{"items":[{"id":0},{"id":1},{"id":2}]}' });
    expect(await settled(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold', redriveStatus: 'REDRIVABLE' });

    const { mapRuns } = await ok('list-map-runs', { 'execution-arn': executionArn });
    expect(mapRuns).toEqual([{ executionArn, mapRunArn: expect.stringMatching(new RegExp(`^${MAP_RUN}:cli-dmap/Orders:${UUID}$`)), stateMachineArn: `${arn}/Orders`, startDate: DATE, stopDate: DATE }]);
    const { mapRunArn } = mapRuns[0];
    const mapRun = await ok('describe-map-run', { 'map-run-arn': mapRunArn });
    expect(mapRun).toMatchObject({
      mapRunArn,
      executionArn,
      status: 'FAILED',
      maxConcurrency: 1,
      toleratedFailurePercentage: 0,
      toleratedFailureCount: 0,
      redriveCount: 0,
      // Item 2 never started (MaxConcurrency 1, and the Map Run failed on item 1); nothing is being redriven yet.
      itemCounts: { pending: 1, running: 0, succeeded: 1, failed: 1, timedOut: 0, aborted: 0, total: 3, resultsWritten: 0, failuresNotRedrivable: 0, pendingRedrive: 0 },
      executionCounts: { pending: 1, running: 0, succeeded: 1, failed: 1, timedOut: 0, aborted: 0, total: 3, resultsWritten: 0, failuresNotRedrivable: 0, pendingRedrive: 0 },
    });

    const children = (await ok('list-executions', { 'map-run-arn': mapRunArn })).executions;
    expect(children.map((c: any) => [c.status, c.stateMachineArn, c.mapRunArn])).toEqual([
      ['FAILED', `${arn}/Orders`, mapRunArn],
      ['SUCCEEDED', `${arn}/Orders`, mapRunArn],
    ]);
    const failedChild = children[0].executionArn;
    expect(await ok('describe-execution', { 'execution-arn': failedChild })).toMatchObject({ status: 'FAILED', error: 'Item.Transient', cause: 'item 1 failed', redriveStatus: 'REDRIVABLE_BY_MAP_RUN' });
    expect(await refused('redrive-execution', { 'execution-arn': failedChild })).toEqual(
      serviceError('RedriveExecution', 'ExecutionNotRedrivable', 'Execution can only be redriven by redriving the Map Run that started it'),
    );

    expect(await ok('redrive-execution', { 'execution-arn': executionArn })).toEqual({ redriveDate: DATE });
    expect(await settled(executionArn)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, output: '[{"done":true},{"done":true},{"done":true}]' });
    expect(await ok('describe-map-run', { 'map-run-arn': mapRunArn })).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      redriveDate: DATE,
      itemCounts: { pending: 0, running: 0, succeeded: 3, failed: 0, total: 3, pendingRedrive: 0 },
      executionCounts: { succeeded: 3, failed: 0, total: 3 },
    });
    expect((await ok('list-executions', { 'map-run-arn': mapRunArn, 'redrive-filter': 'REDRIVEN' })).executions.map((c: any) => [c.executionArn, c.status, c.redriveCount])).toEqual([
      [failedChild, 'SUCCEEDED', 1],
    ]);
    const events = await history(executionArn);
    expect(events.find((e) => e.type === 'MapRunRedriven').mapRunRedrivenEventDetails).toEqual({ mapRunArn, redriveCount: 1 });
    expect(events.filter((e) => e.type.startsWith('MapRun')).map((e) => e.type)).toEqual(['MapRunStarted', 'MapRunFailed', 'MapRunRedriven', 'MapRunSucceeded']);
  });

  it.concurrent('redrives a failed execution from the failed state', async () => {
    const arn = await createMachine('cli-orders', {
      StartAt: 'Reserve',
      States: {
        Reserve: { Type: 'Pass', Result: { reserved: true }, ResultPath: '$.reservation', Next: 'Charge' },
        Charge: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'charge', 'Payload.$': '$' },
          ResultSelector: { 'paid.$': '$.Payload.paid' },
          ResultPath: '$.payment',
          End: true,
        },
      },
    });
    const { executionArn } = await ok('start-execution', { 'state-machine-arn': `${arn}#FailsOnce`, name: 'order-42', input: '{"order":42}' });
    expect(await settled(executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'PaymentGatewayTimeout',
      cause: 'gateway took 30 s',
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
    });
    expect(await ok('redrive-execution', { 'execution-arn': executionArn, 'client-token': 'cli-redrive-1' })).toEqual({ redriveDate: DATE });
    const redriven = await settled(executionArn);
    expect(redriven).toMatchObject({
      status: 'SUCCEEDED',
      output: '{"order":42,"reservation":{"reserved":true},"payment":{"paid":true}}',
      redriveCount: 1,
      redriveDate: DATE,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    });
    expect(redriven).not.toHaveProperty('error');
    const events = await history(executionArn);
    expect(events.find((e) => e.type === 'ExecutionRedriven').executionRedrivenEventDetails).toEqual({ redriveCount: 1 });
    // Reserve ran once: the redrive resumed at Charge.
    expect(events.filter((e) => e.type === 'PassStateEntered')).toHaveLength(1);
    expect((await ok('list-executions', { 'state-machine-arn': arn, 'redrive-filter': 'REDRIVEN' })).executions.map((e: any) => [e.name, e.redriveCount])).toEqual([['order-42', 1]]);

    expect(await refused('redrive-execution', { 'execution-arn': executionArn })).toEqual(
      serviceError('RedriveExecution', 'ExecutionNotRedrivable', 'Execution is SUCCEEDED and cannot be redriven'),
    );
  });

  it.concurrent('publishes versions, routes an alias and updates with --publish (#12)', async () => {
    const pass = (version: number) => ({ StartAt: 'Which', States: { Which: { Type: 'Pass', Result: { version }, End: true } } });
    const arn = await createMachine('cli-versions', pass(1));
    expect(await ok('publish-state-machine-version', { 'state-machine-arn': arn, description: 'first' })).toEqual({
      stateMachineVersionArn: `${arn}:1`,
      creationDate: DATE,
    });
    const updated = await ok('update-state-machine', { 'state-machine-arn': arn, definition: JSON.stringify(pass(2)), publish: true, 'version-description': 'second' });
    expect(updated).toEqual({ updateDate: DATE, revisionId: expect.any(String), stateMachineVersionArn: `${arn}:2` });
    expect((await ok('list-state-machine-versions', { 'state-machine-arn': arn })).stateMachineVersions.map((v: any) => v.stateMachineVersionArn)).toEqual([`${arn}:2`, `${arn}:1`]);

    const alias = await ok('create-state-machine-alias', {
      name: 'prod',
      description: 'what customers run',
      'routing-configuration': JSON.stringify([{ stateMachineVersionArn: `${arn}:1`, weight: 100 }]),
    });
    expect(alias).toEqual({ stateMachineAliasArn: `${arn}:prod`, creationDate: DATE });
    expect(await ok('describe-state-machine-alias', { 'state-machine-alias-arn': `${arn}:prod` })).toMatchObject({
      name: 'prod',
      description: 'what customers run',
      routingConfiguration: [{ stateMachineVersionArn: `${arn}:1`, weight: 100 }],
    });

    const viaAlias = await ok('start-execution', { 'state-machine-arn': `${arn}:prod`, name: 'via-alias' });
    expect(viaAlias.executionArn).toBe(`${EXECUTION}:cli-versions:via-alias`);
    expect(await settled(viaAlias.executionArn)).toMatchObject({
      status: 'SUCCEEDED',
      output: '{"version":1}',
      stateMachineArn: arn,
      stateMachineAliasArn: `${arn}:prod`,
      stateMachineVersionArn: `${arn}:1`,
    });
    const latest = await ok('start-execution', { 'state-machine-arn': arn, name: 'latest' });
    const latestRun = await settled(latest.executionArn);
    expect(latestRun).toMatchObject({ status: 'SUCCEEDED', output: '{"version":2}' });
    expect(latestRun).not.toHaveProperty('stateMachineAliasArn');
    expect((await ok('list-executions', { 'state-machine-arn': `${arn}:prod` })).executions.map((e: any) => e.name)).toEqual(['via-alias']);

    // INITIAL is the revision before any update.
    expect(await refused('publish-state-machine-version', { 'state-machine-arn': arn, 'revision-id': 'INITIAL' })).toEqual(
      serviceError('PublishStateMachineVersion', 'ConflictException', `Failed to publish the State Machine version for revision INITIAL. The current State Machine revision is ${updated.revisionId}.`),
    );
  });

  it.concurrent('reports definition errors and refusals as the service does', async () => {
    expect(await refused('create-state-machine', {
      name: 'cli-typo',
      'role-arn': ROLE_ARN,
      definition: JSON.stringify({ StartAt: 'Charge', States: { Charge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Retyr: [], End: true } } }),
    })).toEqual(
      serviceError('CreateStateMachine', 'InvalidDefinition', "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Field \"Retyr\" is not supported for Task state \"Charge\" (did you mean Retry?) at /States/Charge/Retyr'"),
    );
    expect(await refused('create-state-machine', {
      name: 'cli-mixed',
      'role-arn': ROLE_ARN,
      definition: JSON.stringify({ QueryLanguage: 'JSONata', StartAt: 'S', States: { S: { Type: 'Pass', Parameters: { a: 1 }, End: true } } }),
    })).toEqual(
      serviceError('CreateStateMachine', 'InvalidDefinition', "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: State \"S\": The QueryLanguage is set to 'JSONata', but field 'Parameters' is only supported for the 'JSONPath' QueryLanguage at /States/S/Parameters'"),
    );
    // serve's exported credentials are the operator's, who may not create state machines.
    expect(await refused('create-state-machine', { name: 'cli-operator', 'role-arn': ROLE_ARN, definition: JSON.stringify({ StartAt: 'S', States: { S: { Type: 'Succeed' } } }) }, 'operator')).toEqual(
      serviceError('CreateStateMachine', 'AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/sfn-autoredrive-operator/local is not authorized to perform: states:CreateStateMachine on resource: arn:aws:states:us-east-1:123456789012:stateMachine:cli-operator because no identity-based policy allows the states:CreateStateMachine action'),
    );
  });
});

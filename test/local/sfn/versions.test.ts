/**
 * Revisions, versions and aliases through the official SDK client: what each execution runs, what
 * DescribeExecution and the history say about it, and the API's errors (API reference: UpdateStateMachine,
 * PublishStateMachineVersion, DeleteStateMachineVersion, CreateStateMachineAlias, UpdateStateMachineAlias).
 */
import {
  CreateStateMachineAliasCommand,
  CreateStateMachineCommand,
  DeleteStateMachineAliasCommand,
  DeleteStateMachineVersionCommand,
  DescribeExecutionCommand,
  DescribeStateMachineAliasCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachineAliasesCommand,
  ListStateMachineVersionsCommand,
  PublishStateMachineVersionCommand,
  RedriveExecutionCommand,
  StartExecutionCommand,
  UpdateStateMachineAliasCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import type { MockConfig } from '../../../local/sfn';
import { errorOf, passThenTask, ROLE_ARN, START_MS, startHarness, type Harness } from './harness';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders';
const passing = (result: string) => ({ StartAt: 'Answer', States: { Answer: { Type: 'Pass', Result: result, End: true } } });

const mockConfig: MockConfig = {
  StateMachines: { orders: { TestCases: { FailOnce: { Call: 'FailOnce' } } } },
  MockedResponses: { FailOnce: { '0': { Throw: { Error: 'Bug', Cause: 'v1 is wrong' } }, '1': { Return: { Payload: 'v1 retried' } } } },
};

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ mockConfig });
});
afterEach(() => h.close());

async function run(stateMachineArn: string, name?: string): Promise<{ executionArn: string; output?: string; stateMachineVersionArn?: string; stateMachineAliasArn?: string; status?: string }> {
  const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{}' }));
  await h.emulator.waitForIdle();
  const described = await h.sfn.send(new DescribeExecutionCommand({ executionArn }));
  return { ...described, executionArn: executionArn! };
}

describe('versions', () => {
  it('are immutable snapshots: each runs the definition it was published with, a plain ARN the latest revision', async () => {
    await h.createMachine('orders', passing('v1'));
    const v1 = await h.sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: ARN, revisionId: 'INITIAL', description: 'first' }));
    expect(v1.stateMachineVersionArn).toBe(`${ARN}:1`);
    expect(v1.creationDate).toEqual(new Date(START_MS));
    const updated = await h.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: ARN, definition: JSON.stringify(passing('v2')), publish: true, versionDescription: 'second' }));
    expect(updated.stateMachineVersionArn).toBe(`${ARN}:2`);
    expect(updated.revisionId).toMatch(/^[0-9a-f-]{36}$/);

    expect(await run(`${ARN}:1`)).toMatchObject({ output: '"v1"', stateMachineVersionArn: `${ARN}:1` });
    expect(await run(`${ARN}:2`)).toMatchObject({ output: '"v2"', stateMachineVersionArn: `${ARN}:2` });
    const latest = await run(ARN);
    expect(latest.output).toBe('"v2"');
    expect(latest.stateMachineVersionArn).toBeUndefined();

    const described = await h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${ARN}:1` }));
    expect(described).toMatchObject({ stateMachineArn: `${ARN}:1`, definition: JSON.stringify(passing('v1')), description: 'first' });
    expect(described.revisionId).toBeUndefined();
    expect((await h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: ARN }))).revisionId).toBe(updated.revisionId);
    const listed = await h.sfn.send(new ListStateMachineVersionsCommand({ stateMachineArn: ARN }));
    expect(listed.stateMachineVersions!.map((v) => v.stateMachineVersionArn)).toEqual([`${ARN}:2`, `${ARN}:1`]);
  });

  it('publishing an already published revision returns its version; a stale revisionId is a 409 ConflictException', async () => {
    await h.createMachine('orders', passing('v1'));
    const first = await h.sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: ARN }));
    const again = await h.sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: ARN }));
    expect(again.stateMachineVersionArn).toBe(first.stateMachineVersionArn);
    const { revisionId } = await h.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: ARN, definition: JSON.stringify(passing('v2')) }));
    const stale = await errorOf(h.sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: ARN, revisionId: 'INITIAL' })));
    expect(stale.name).toBe('ConflictException');
    expect(stale.$metadata.httpStatusCode).toBe(409);
    expect((await h.sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: ARN, revisionId }))).stateMachineVersionArn).toBe(`${ARN}:2`);
  });

  it('version numbers are not reused after a delete, and deleting a missing version succeeds', async () => {
    await h.createMachine('orders', passing('v1'));
    await h.sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: ARN }));
    await h.sfn.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: `${ARN}:1` }));
    await h.sfn.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: `${ARN}:1` }));
    expect((await errorOf(run(`${ARN}:1`))).name).toBe('StateMachineDoesNotExist');
    await h.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: ARN, definition: JSON.stringify(passing('v2')) }));
    expect((await h.sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: ARN }))).stateMachineVersionArn).toBe(`${ARN}:2`);
  });

  it('a redrive reruns the definition the execution started with, whatever was deployed since', async () => {
    await h.sfn.send(new CreateStateMachineCommand({ name: 'orders', definition: JSON.stringify(passThenTask), roleArn: ROLE_ARN }));
    const failed = await run(`${ARN}#FailOnce`, 'order-1');
    expect(failed).toMatchObject({ status: 'FAILED' });
    await h.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: ARN, definition: JSON.stringify(passing('fixed forward')) }));
    await h.sfn.send(new RedriveExecutionCommand({ executionArn: failed.executionArn }));
    await h.emulator.waitForIdle();
    expect(await h.sfn.send(new DescribeExecutionCommand({ executionArn: failed.executionArn }))).toMatchObject({ status: 'SUCCEEDED', output: '"v1 retried"', redriveCount: 1 });
    expect(await run(ARN, 'order-1-restart-1')).toMatchObject({ status: 'SUCCEEDED', output: '"fixed forward"' });
  });

  it('UpdateStateMachine refuses an empty update, a version description without publish, and a qualified ARN', async () => {
    await h.createMachine('orders', passing('v1'));
    const empty = await errorOf(h.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: ARN })));
    expect([empty.name, empty.message]).toEqual(['MissingRequiredParameter', 'Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified']);
    expect((await errorOf(h.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: ARN, definition: JSON.stringify(passing('v2')), versionDescription: 'x' })))).name).toBe('ValidationException');
    await h.sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: ARN }));
    expect((await errorOf(h.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: `${ARN}:1`, definition: JSON.stringify(passing('v2')) })))).name).toBe('InvalidArn');
    expect((await errorOf(h.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: ARN, definition: '{"StartAt":"Nowhere","States":{}}' })))).name).toBe('InvalidDefinition');
  });
});

describe('aliases', () => {
  async function twoVersions(): Promise<void> {
    await h.createMachine('orders', passing('v1'));
    await h.sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: ARN }));
    await h.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: ARN, definition: JSON.stringify(passing('v2')), publish: true }));
  }

  it('start executions on the version they route to, and say so in DescribeExecution, the history and ListExecutions', async () => {
    await twoVersions();
    const created = await h.sfn.send(new CreateStateMachineAliasCommand({ name: 'prod', routingConfiguration: [{ stateMachineVersionArn: `${ARN}:1`, weight: 100 }] }));
    expect(created.stateMachineAliasArn).toBe(`${ARN}:prod`);
    const onV1 = await run(`${ARN}:prod`, 'via-alias');
    expect(onV1).toMatchObject({ output: '"v1"', stateMachineAliasArn: `${ARN}:prod`, stateMachineVersionArn: `${ARN}:1` });
    const [started] = (await h.sfn.send(new GetExecutionHistoryCommand({ executionArn: onV1.executionArn }))).events!;
    expect(started.executionStartedEventDetails).toMatchObject({ stateMachineAliasArn: `${ARN}:prod`, stateMachineVersionArn: `${ARN}:1` });

    await h.sfn.send(new UpdateStateMachineAliasCommand({ stateMachineAliasArn: `${ARN}:prod`, routingConfiguration: [{ stateMachineVersionArn: `${ARN}:2`, weight: 100 }] }));
    expect(await run(`${ARN}:prod`)).toMatchObject({ output: '"v2"', stateMachineVersionArn: `${ARN}:2` });
    await run(ARN, 'plain');
    const viaAlias = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: `${ARN}:prod` }));
    expect(viaAlias.executions!.map((e) => e.stateMachineAliasArn)).toEqual([`${ARN}:prod`, `${ARN}:prod`]);
    expect((await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: ARN }))).executions).toHaveLength(3);
  });

  it('split starts between two versions by weight: 30 and 70 of every 100', async () => {
    await twoVersions();
    await h.sfn.send(new CreateStateMachineAliasCommand({
      name: 'canary',
      routingConfiguration: [{ stateMachineVersionArn: `${ARN}:1`, weight: 30 }, { stateMachineVersionArn: `${ARN}:2`, weight: 70 }],
    }));
    const outputs: string[] = [];
    for (let i = 0; i < 100; i++) outputs.push((await run(`${ARN}:canary`)).output!);
    expect(outputs.filter((o) => o === '"v1"')).toHaveLength(30);
    expect(outputs.filter((o) => o === '"v2"')).toHaveLength(70);
  });

  it('are described, listed, idempotent on the same configuration, and keep their versions from deletion', async () => {
    await twoVersions();
    const routingConfiguration = [{ stateMachineVersionArn: `${ARN}:1`, weight: 100 }];
    await h.sfn.send(new CreateStateMachineAliasCommand({ name: 'prod', description: 'live', routingConfiguration }));
    await h.sfn.send(new CreateStateMachineAliasCommand({ name: 'prod', description: 'live', routingConfiguration }));
    const changed = await errorOf(h.sfn.send(new CreateStateMachineAliasCommand({ name: 'prod', routingConfiguration: [{ stateMachineVersionArn: `${ARN}:2`, weight: 100 }] })));
    expect([changed.name, changed.$metadata.httpStatusCode]).toEqual(['ConflictException', 409]);
    expect(await h.sfn.send(new DescribeStateMachineAliasCommand({ stateMachineAliasArn: `${ARN}:prod` }))).toMatchObject({
      name: 'prod',
      description: 'live',
      routingConfiguration,
      creationDate: new Date(START_MS),
    });
    expect((await h.sfn.send(new ListStateMachineAliasesCommand({ stateMachineArn: ARN }))).stateMachineAliases!.map((a) => a.stateMachineAliasArn)).toEqual([`${ARN}:prod`]);

    const referenced = await errorOf(h.sfn.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: `${ARN}:1` })));
    expect([referenced.name, referenced.$metadata.httpStatusCode]).toEqual(['ConflictException', 409]);
    expect(referenced.message).toContain('[prod]');
    await h.sfn.send(new DeleteStateMachineAliasCommand({ stateMachineAliasArn: `${ARN}:prod` }));
    await h.sfn.send(new DeleteStateMachineAliasCommand({ stateMachineAliasArn: `${ARN}:prod` }));
    await h.sfn.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: `${ARN}:1` }));
    expect((await errorOf(h.sfn.send(new DescribeStateMachineAliasCommand({ stateMachineAliasArn: `${ARN}:prod` })))).name).toBe('ResourceNotFound');
    expect((await errorOf(run(`${ARN}:prod`))).name).toBe('StateMachineDoesNotExist');
  });

  it('refuse bad names, missing versions, weights not summing to 100, and versions of another state machine', async () => {
    await twoVersions();
    await h.createMachine('billing', passing('b1'));
    await h.sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn: `${ARN.replace('orders', 'billing')}` }));
    const create = (name: string, routingConfiguration: { stateMachineVersionArn: string; weight: number }[]) =>
      errorOf(h.sfn.send(new CreateStateMachineAliasCommand({ name, routingConfiguration })));
    expect((await create('42', [{ stateMachineVersionArn: `${ARN}:1`, weight: 100 }])).name).toBe('InvalidName');
    expect((await create('prod', [{ stateMachineVersionArn: `${ARN}:9`, weight: 100 }])).name).toBe('ResourceNotFound');
    expect((await create('prod', [{ stateMachineVersionArn: `${ARN}:1`, weight: 50 }, { stateMachineVersionArn: `${ARN}:2`, weight: 40 }])).message).toBe('Sum of routing configuration weights must be equal to 100');
    expect((await create('prod', [{ stateMachineVersionArn: `${ARN}:1`, weight: 50 }, { stateMachineVersionArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:billing:1', weight: 50 }])).name).toBe('ValidationException');
    expect((await errorOf(h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${ARN}:prod` })))).name).toBe('StateMachineDoesNotExist');
  });
});

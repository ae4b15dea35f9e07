import { DescribeExecutionCommand, GetExecutionHistoryCommand, RedriveExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { MockConfig } from '../../../local/sfn';
import { errorOf, passThenTask, START_MS, startHarness, type Harness } from './harness';

const DAY_MS = 24 * 3600 * 1000;

const flakyTask = (name: string) => ({ Type: 'Task', Resource: `arn:aws:lambda:us-east-1:123456789012:function:${name}` });

const mockConfig: MockConfig = {
  StateMachines: {
    flow: { TestCases: { FailOnce: { Call: 'FailOnce' }, AlwaysFail: { Call: 'AlwaysFail' } } },
    retrying: { TestCases: { Flaky: { Call: 'FailFourTimes' } } },
    fanout: { TestCases: { BranchB: { A: 'ReturnA', B: 'FailOnce', C: 'ReturnC' } } },
  },
  MockedResponses: {
    FailOnce: { '0': { Throw: { Error: 'Transient', Cause: 'first call fails' } }, '1': { Return: { Payload: { fixed: true } } } },
    AlwaysFail: { '0': { Throw: { Error: 'Broken', Cause: 'always' } } },
    FailFourTimes: { '0-3': { Throw: { Error: 'Flaky', Cause: 'not yet' } }, '4': { Return: 'ok' } },
    ReturnA: { '0': { Return: 'a' } },
    ReturnC: { '0': { Return: 'c' } },
  },
};

describe('RedriveExecution', () => {
  let h: Harness;
  let flow: string;
  beforeEach(async () => {
    h = await startHarness({ mockConfig, maxOpenExecutions: 5 });
    flow = await h.createMachine('flow', passThenTask);
  });
  afterEach(() => h.close());

  async function failedExecution(testCase = 'FailOnce', name?: string): Promise<string> {
    const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: `${flow}#${testCase}`, name, input: '{"order":7}' }));
    await h.emulator.waitForIdle();
    expect(h.emulator.execution(executionArn!)?.status).toBe('FAILED');
    return executionArn!;
  }

  const redrive = (executionArn: string, clientToken?: string) => h.sfn.send(new RedriveExecutionCommand({ executionArn, clientToken }));
  const describe = (executionArn: string) => h.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const eventTypes = async (executionArn: string) =>
    (await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!.map((e) => e.type);

  it('continues from the failed state with its original input, without rerunning succeeded states', async () => {
    const executionArn = await failedExecution();
    expect(await describe(executionArn)).toMatchObject({ status: 'FAILED', error: 'Transient', cause: 'first call fails', redriveStatus: 'REDRIVABLE' });
    await h.clock.advance(60_000);
    const { redriveDate } = await redrive(executionArn, 'token-1');
    expect(redriveDate?.getTime()).toBe(START_MS + 60_000);
    await h.emulator.waitForIdle();
    expect(await describe(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"fixed":true}', redriveCount: 1, redriveDate: new Date(START_MS + 60_000) });
    expect(h.emulator.mockInvocations(executionArn, 'Call')).toBe(2);
    const types = await eventTypes(executionArn);
    expect(types.slice(7)).toEqual(['ExecutionFailed', 'ExecutionRedriven', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded']);
    expect(types.filter((t) => t === 'PassStateEntered')).toHaveLength(1);
    const history = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    expect(history.events?.[8].executionRedrivenEventDetails).toEqual({ redriveCount: 1 });
    const reentered = history.events?.[9].stateEnteredEventDetails?.input;
    expect(JSON.parse(reentered!)).toEqual({ order: 7, prepare: { step: 'prepared' } });
    expect(h.events.map((e) => [e.detail.status, e.detail.redriveCount, e.detail.redriveDate, e.detail.stopDate])).toEqual([
      ['RUNNING', 0, null, null],
      ['FAILED', 0, null, START_MS],
      ['RUNNING', 1, START_MS + 60_000, null],
      ['SUCCEEDED', 1, START_MS + 60_000, START_MS + 60_000],
    ]);
  });

  it('returns the original redriveDate for a client token reused within 15 minutes, without redriving again', async () => {
    const executionArn = await failedExecution('AlwaysFail');
    const first = await redrive(executionArn, 'same-token');
    await h.emulator.waitForIdle();
    await h.clock.advance(14 * 60_000);
    const again = await redrive(executionArn, 'same-token');
    expect(again.redriveDate).toEqual(first.redriveDate);
    expect(await describe(executionArn)).toMatchObject({ status: 'FAILED', redriveCount: 1 });
    expect((await eventTypes(executionArn)).filter((t) => t === 'ExecutionRedriven')).toHaveLength(1);
  });

  it('treats a client token as new once 15 minutes have passed since its first use', async () => {
    const executionArn = await failedExecution('AlwaysFail');
    const first = await redrive(executionArn, 'token');
    await h.emulator.waitForIdle();
    await h.clock.advance(15 * 60_000);
    const second = await redrive(executionArn, 'token');
    expect(second.redriveDate!.getTime()).toBe(first.redriveDate!.getTime() + 15 * 60_000);
    await h.emulator.waitForIdle();
    expect((await describe(executionArn)).redriveCount).toBe(2);
  });

  it('remembers only the last 10 client tokens', async () => {
    const executionArn = await failedExecution('AlwaysFail');
    for (let i = 0; i <= 10; i++) {
      await redrive(executionArn, `token-${i}`);
      await h.emulator.waitForIdle();
    }
    expect((await describe(executionArn)).redriveCount).toBe(11);
    await redrive(executionArn, 'token-1'); // still among the last 10: idempotent
    expect((await describe(executionArn)).redriveCount).toBe(11);
    await redrive(executionArn, 'token-0'); // pushed out by 10 newer tokens: a new redrive
    await h.emulator.waitForIdle();
    expect((await describe(executionArn)).redriveCount).toBe(12);
  });

  it('resets Task retry counters on redrive while the mock invocation counter carries on', async () => {
    const retrying = await h.createMachine('retrying', {
      StartAt: 'Call',
      States: { Call: { ...flakyTask('flaky'), Retry: [{ ErrorEquals: ['Flaky'], MaxAttempts: 1, IntervalSeconds: 5 }], End: true } },
    });
    const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: `${retrying}#Flaky` }));
    const settle = async () => {
      await h.emulator.waitForIdle();
      await h.clock.advance(5000); // the retry interval runs on the stack clock
      await h.emulator.waitForIdle();
    };
    await settle();
    expect(h.emulator.mockInvocations(executionArn!, 'Call')).toBe(2);
    expect((await describe(executionArn!)).status).toBe('FAILED');
    await redrive(executionArn!);
    await settle();
    expect(h.emulator.mockInvocations(executionArn!, 'Call')).toBe(4);
    expect((await describe(executionArn!)).status).toBe('FAILED');
    await redrive(executionArn!);
    await settle();
    expect(await describe(executionArn!)).toMatchObject({ status: 'SUCCEEDED', output: '"ok"', redriveCount: 2 });
    expect(h.emulator.mockInvocations(executionArn!, 'Call')).toBe(5);
  });

  it('reruns only the failed branch of a Parallel state', async () => {
    const fanout = await h.createMachine('fanout', {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Parallel',
          End: true,
          Branches: ['A', 'B', 'C'].map((name) => ({ StartAt: name, States: { [name]: { ...flakyTask(name), End: true } } })),
        },
      },
    });
    const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: `${fanout}#BranchB` }));
    await h.emulator.waitForIdle();
    expect(await describe(executionArn!)).toMatchObject({ status: 'FAILED', error: 'Transient' });
    await redrive(executionArn!);
    await h.emulator.waitForIdle();
    expect(await describe(executionArn!)).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify(['a', { Payload: { fixed: true } }, 'c']) });
    expect(['A', 'B', 'C'].map((state) => h.emulator.mockInvocations(executionArn!, state))).toEqual([1, 2, 1]);
  });

  it('reruns only the failed and never-started iterations of an inline Map state', async () => {
    const calls: number[] = [];
    const broken = new Set([2]);
    const mapped = await startHarness({
      taskHandlers: {
        Work: async (input) => {
          const item = (input as { item: number }).item;
          calls.push(item);
          if (broken.has(item)) throw Object.assign(new Error(`item ${item} broke`), { name: 'ItemError' });
          return item * 10;
        },
      },
    });
    try {
      const arn = await mapped.createMachine('mapper', {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            MaxConcurrency: 1,
            ItemSelector: { 'item.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
            ItemProcessor: { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:s3:putObject', End: true } } },
            End: true,
          },
        },
      });
      const { executionArn } = await mapped.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"items":[0,1,2,3,4]}' }));
      await mapped.emulator.waitForIdle();
      expect(await mapped.sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'FAILED', error: 'ItemError', cause: 'item 2 broke' });
      expect(calls).toEqual([0, 1, 2]);
      broken.clear();
      await mapped.sfn.send(new RedriveExecutionCommand({ executionArn }));
      await mapped.emulator.waitForIdle();
      expect(await mapped.sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'SUCCEEDED', output: '[0,10,20,30,40]' });
      expect(calls).toEqual([0, 1, 2, 2, 3, 4]);
    } finally {
      await mapped.close();
    }
  });

  it('reports every documented not-redrivable reason in DescribeExecution and as ExecutionNotRedrivable', async () => {
    const seed = (status: 'FAILED' | 'SUCCEEDED' | 'RUNNING', startDateMs: number, stopDateMs?: number, historyEventCount?: number) =>
      h.emulator.seedExecution({ stateMachineArn: flow, status, startDateMs, stopDateMs, historyEventCount });
    const cases: Array<[string, string]> = [
      [seed('RUNNING', START_MS), 'Execution is RUNNING and cannot be redriven'],
      [seed('SUCCEEDED', START_MS, START_MS), 'Execution is SUCCEEDED and cannot be redriven'],
      [seed('FAILED', Date.UTC(2023, 9, 20), START_MS), 'Execution was started before the launch of RedriveExecution'],
      [seed('FAILED', START_MS - DAY_MS, START_MS, 24_999), 'Execution history event limit exceeded'],
      [seed('FAILED', START_MS - 366 * DAY_MS, START_MS - DAY_MS), 'Execution has exceeded the max execution time'],
      [seed('FAILED', START_MS - 20 * DAY_MS, START_MS - 15 * DAY_MS), 'Execution redrivable period exceeded'],
    ];
    for (const [executionArn, reason] of cases) {
      expect(await describe(executionArn)).toMatchObject({ redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: reason });
      expect(await errorOf(redrive(executionArn))).toMatchObject({ name: 'ExecutionNotRedrivable', message: reason });
    }
    const justUnder = seed('FAILED', START_MS - DAY_MS, START_MS, 24_998);
    expect(await describe(justUnder)).toMatchObject({ redriveStatus: 'REDRIVABLE' });
    expect((await describe(justUnder)).redriveStatusReason).toBeUndefined();
  });

  it('closes the 14-day redrive window on the stack clock', async () => {
    const executionArn = await failedExecution();
    await h.clock.advance(14 * DAY_MS);
    expect((await describe(executionArn)).redriveStatus).toBe('REDRIVABLE');
    await h.clock.advance(1);
    expect(await describe(executionArn)).toMatchObject({ redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution redrivable period exceeded' });
  });

  it('marks Express Map Run children REDRIVABLE_BY_MAP_RUN and refuses to redrive them directly', async () => {
    const parent = await h.createMachine('parent', passThenTask);
    const mapRunArn = 'arn:aws:states:us-east-1:123456789012:mapRun:parent/Items:0b6f0c7e-1111-4222-8333-444455556666';
    const child = h.emulator.seedExecution({ stateMachineArn: parent, mapRunArn, type: 'EXPRESS', status: 'FAILED', startDateMs: START_MS, stopDateMs: START_MS });
    expect(child).toMatch(/:express:parent\/Items:/);
    expect(await describe(child)).toMatchObject({ redriveStatus: 'REDRIVABLE_BY_MAP_RUN', mapRunArn });
    expect((await errorOf(redrive(child))).name).toBe('ExecutionNotRedrivable');
  });

  it('answers ExecutionDoesNotExist, InvalidArn, ValidationException and ExecutionLimitExceeded', async () => {
    expect((await errorOf(redrive(`${flow.replace(':stateMachine:', ':execution:')}:ghost`))).name).toBe('ExecutionDoesNotExist');
    expect((await errorOf(redrive('arn:aws:states:us-east-1:123456789012:stateMachine:flow'))).name).toBe('InvalidArn');
    const executionArn = await failedExecution();
    expect((await errorOf(redrive(executionArn, 'has space'))).name).toBe('ValidationException');
    expect((await errorOf(redrive(executionArn, 'x'.repeat(65)))).name).toBe('ValidationException');
    for (let i = 0; i < 5; i++) h.emulator.seedExecution({ stateMachineArn: flow, status: 'RUNNING', startDateMs: START_MS });
    expect((await errorOf(redrive(executionArn))).name).toBe('ExecutionLimitExceeded');
    expect((await describe(executionArn)).redriveCount).toBe(0);
  });

  it('redrives a seeded failed execution from the start of the machine', async () => {
    const executionArn = h.emulator.seedExecution({ stateMachineArn: flow, status: 'FAILED', startDateMs: START_MS - DAY_MS, stopDateMs: START_MS, input: '{"seeded":true}' });
    h.emulator.execution(executionArn)!.testCase = 'FailOnce';
    await redrive(executionArn);
    await h.emulator.waitForIdle();
    expect(await describe(executionArn)).toMatchObject({ status: 'FAILED', error: 'Transient', redriveCount: 1 });
    await redrive(executionArn);
    await h.emulator.waitForIdle();
    expect(await describe(executionArn)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 2 });
  });
});

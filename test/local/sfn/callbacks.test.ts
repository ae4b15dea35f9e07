import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { MockConfig } from '../../../local/sfn';
import { errorOf, START_MS, startHarness, tokenCollector, type Harness } from './harness';

/** Waits for an approval: the worker gets the token in its Lambda payload. */
const approval = (extra: object = {}) => ({
  StartAt: 'Approve',
  States: {
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'approver', Payload: { 'token.$': '$$.Task.Token', 'order.$': '$.order' } },
      ...extra,
      End: true,
    },
  },
});

const mockConfig: MockConfig = {
  StateMachines: {
    approval: {
      TestCases: { LateYes: { Approve: 'HeartbeatsThenYes' }, SaysNo: { Approve: 'SaysNo' }, Instant: { Approve: 'InstantYes' }, Silent: { Approve: 'NeverAnswers' } },
    },
  },
  MockedResponses: {
    HeartbeatsThenYes: { '0': { Callback: { Submitted: { MessageId: 'm-1' }, Heartbeats: [10, 20], AfterSeconds: 25, Return: { approved: true } } } },
    SaysNo: { '0': { Callback: { AfterSeconds: 5, Throw: { Error: 'Approval.Rejected', Cause: 'manager said no' } } } },
    InstantYes: { '0': { Return: { approved: 'at once' } } },
    NeverAnswers: { '0': { Callback: {} } },
  },
};

describe('callback tasks (.waitForTaskToken)', () => {
  let h: Harness;
  let tokens: string[];
  beforeEach(async () => {
    tokens = [];
    h = await startHarness({
      mockConfig,
      taskHandlers: { approver: tokenCollector(tokens, { queued: true }) },
    });
  });
  afterEach(() => h.close());

  async function start(definition: object, { machine = 'approval', testCase }: { machine?: string; testCase?: string } = {}) {
    const arn = await h.createMachine(machine, definition);
    const { executionArn } = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: testCase ? `${arn}#${testCase}` : arn, name: 'run', input: '{"order":7}' }),
    );
    await h.emulator.waitForIdle();
    return executionArn!;
  }
  const describeRun = (executionArn: string) => h.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const history = async (executionArn: string) => (await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!;
  const advance = async (ms: number) => {
    await h.clock.advance(ms);
    await h.emulator.waitForIdle();
  };
  const succeed = (taskToken: string, output: string) => h.sfn.send(new SendTaskSuccessCommand({ taskToken, output }));
  /** Answers `taskToken` with `output` and expects the execution to succeed with exactly that output. */
  async function expectSucceedsWhenAnswered(executionArn: string, taskToken: string, output: string) {
    await succeed(taskToken, output);
    await h.emulator.waitForIdle();
    expect(await describeRun(executionArn)).toMatchObject({ status: 'SUCCEEDED', output });
  }

  it('waits for SendTaskSuccess and records TaskSubmitted with the integration response, then TaskSucceeded with the answer', async () => {
    const executionArn = await start(approval());
    expect(tokens).toHaveLength(1);
    expect((await describeRun(executionArn)).status).toBe('RUNNING');
    await advance(3_600_000);
    expect((await describeRun(executionArn)).status).toBe('RUNNING');
    expect(await succeed(tokens[0], '{"approved":true}')).toMatchObject({ $metadata: { httpStatusCode: 200 } });
    await h.emulator.waitForIdle();
    expect(await describeRun(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":true}' });
    const events = await history(executionArn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(JSON.parse(events[2].taskScheduledEventDetails!.parameters!)).toEqual({ FunctionName: 'approver', Payload: { token: tokens[0], order: 7 } });
    expect(events[4].taskSubmittedEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      output: '{"ExecutedVersion":"$LATEST","Payload":{"queued":true},"StatusCode":200}',
      outputDetails: { truncated: false },
    });
    expect(events[5].taskSucceededEventDetails?.output).toBe('{"approved":true}');
    expect(events[5].timestamp?.getTime()).toBe(START_MS + 3_600_000);
  });

  it('fails the task with SendTaskFailure error and cause, which Catch sees like any task error', async () => {
    const executionArn = await start({
      StartAt: 'Approve',
      States: {
        Approve: { ...approval().States.Approve, End: undefined, Catch: [{ ErrorEquals: ['Approval.Rejected'], ResultPath: '$.rejection', Next: 'Rejected' }], Next: 'Done' },
        Rejected: { Type: 'Pass', End: true },
        Done: { Type: 'Succeed' },
      },
    });
    await h.sfn.send(new SendTaskFailureCommand({ taskToken: tokens[0], error: 'Approval.Rejected', cause: 'over budget' }));
    await h.emulator.waitForIdle();
    expect(JSON.parse((await describeRun(executionArn)).output!)).toEqual({ order: 7, rejection: { Error: 'Approval.Rejected', Cause: 'over budget' } });
    const failed = (await history(executionArn)).find((e) => e.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'Approval.Rejected', cause: 'over budget' });
  });

  it('answers a token whose task is closed with TaskTimedOut, a foreign one with InvalidToken, an unknown one of ours with TaskDoesNotExist', async () => {
    await start(approval());
    await succeed(tokens[0], '{}');
    await h.emulator.waitForIdle();
    for (const call of [
      succeed(tokens[0], '{}'),
      h.sfn.send(new SendTaskFailureCommand({ taskToken: tokens[0] })),
      h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: tokens[0] })),
    ]) {
      const error = await errorOf(call);
      expect([error.name, error.message, error.$metadata.httpStatusCode]).toEqual(['TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'", 400]);
    }
    const invalid = await errorOf(succeed('not-a-token', '{}'));
    expect([invalid.name, invalid.message]).toEqual(['InvalidToken', "Invalid Token: 'Invalid token'"]);
    const neverIssued = 'AQ' + Buffer.from(JSON.stringify({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:approval:run', serial: 99 })).toString('base64url');
    expect((await errorOf(succeed(neverIssued, '{}'))).name).toBe('TaskDoesNotExist');
  });

  it('refuses output that is not JSON (InvalidOutput) and a token over 2048 characters (ValidationException), leaving the task open', async () => {
    const executionArn = await start(approval());
    const badOutput = await errorOf(succeed(tokens[0], '{not json'));
    expect(badOutput.name).toBe('InvalidOutput');
    expect((await errorOf(succeed('x'.repeat(2049), '{}'))).name).toBe('ValidationException');
    await expectSucceedsWhenAnswered(executionArn, tokens[0], '"late but fine"');
  });

  it('fails with States.HeartbeatTimeout (TaskTimedOut event) when no heartbeat comes within HeartbeatSeconds; heartbeats restart that timer', async () => {
    const executionArn = await start(approval({ HeartbeatSeconds: 30 }));
    await advance(20_000);
    await h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: tokens[0] }));
    await advance(20_000);
    expect((await describeRun(executionArn)).status).toBe('RUNNING');
    await advance(9_999);
    expect((await describeRun(executionArn)).status).toBe('RUNNING');
    await advance(1);
    expect(await describeRun(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout', stopDate: new Date(START_MS + 50_000) });
    const events = await history(executionArn);
    expect(events.map((e) => e.type).slice(-3)).toEqual(['TaskSubmitted', 'TaskTimedOut', 'ExecutionFailed']);
    expect(events.find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails?.heartbeatInSeconds).toBe(30);
    expect(events.find((e) => e.type === 'TaskTimedOut')?.taskTimedOutEventDetails).toMatchObject({ error: 'States.HeartbeatTimeout' });
    expect(h.events.filter((e) => e.detail.status === 'RUNNING')).toHaveLength(1);
  });

  it('reads HeartbeatSecondsPath from the state input', async () => {
    const executionArn = await start(approval({ HeartbeatSecondsPath: '$.order' }));
    await advance(7_000);
    expect(await describeRun(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
  });

  it('times the whole wait out with TimeoutSeconds (States.Timeout), whatever heartbeats came', async () => {
    const executionArn = await start(approval({ TimeoutSeconds: 60, HeartbeatSeconds: 30 }));
    for (let i = 0; i < 3; i++) {
      await advance(25_000);
      if (i < 2) await h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: tokens[0] }));
    }
    expect(await describeRun(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.Timeout', stopDate: new Date(START_MS + 60_000) });
    expect((await history(executionArn)).find((e) => e.type === 'TaskTimedOut')?.taskTimedOutEventDetails).toMatchObject({ error: 'States.Timeout' });
  });

  it('gives a Retry attempt its own token, and refuses the previous attempt\'s', async () => {
    const executionArn = await start(approval({ HeartbeatSeconds: 10, Retry: [{ ErrorEquals: ['States.HeartbeatTimeout'], IntervalSeconds: 1, MaxAttempts: 1 }] }));
    await advance(10_000);
    await advance(1_000);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).not.toBe(tokens[0]);
    expect((await errorOf(succeed(tokens[0], '{}'))).name).toBe('TaskTimedOut');
    await expectSucceedsWhenAnswered(executionArn, tokens[1], '"second"');
  });

  it('issues a new token when a redrive re-enters a state that waited on one; the old token is refused', async () => {
    const executionArn = await start(approval({ HeartbeatSeconds: 10 }));
    await advance(10_000);
    expect((await describeRun(executionArn)).status).toBe('FAILED');
    await h.sfn.send(new RedriveExecutionCommand({ executionArn }));
    await h.emulator.waitForIdle();
    expect(tokens).toHaveLength(2);
    expect((await errorOf(succeed(tokens[0], '{}'))).name).toBe('TaskTimedOut');
    await expectSucceedsWhenAnswered(executionArn, tokens[1], '"after redrive"');
    expect((await describeRun(executionArn)).redriveCount).toBe(1);
  });

  it('closes the task of a stopped execution: its token is refused, and a redrive waits on a new one', async () => {
    const executionArn = await start(approval());
    await h.sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator.Stopped' }));
    await h.emulator.waitForIdle();
    expect((await errorOf(h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: tokens[0] })))).name).toBe('TaskTimedOut');
    await h.sfn.send(new RedriveExecutionCommand({ executionArn }));
    await h.emulator.waitForIdle();
    await expectSucceedsWhenAnswered(executionArn, tokens[1], '"resumed"');
  });

  describe('answered by the mock config', () => {
    it('sends the mocked heartbeats and success on the virtual clock', async () => {
      const executionArn = await start(approval({ HeartbeatSeconds: 15 }), { testCase: 'LateYes' });
      await advance(24_999);
      expect((await describeRun(executionArn)).status).toBe('RUNNING');
      await advance(1);
      expect(await describeRun(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":true}', stopDate: new Date(START_MS + 25_000) });
      const submitted = (await history(executionArn)).find((e) => e.type === 'TaskSubmitted');
      expect(submitted?.taskSubmittedEventDetails?.output).toBe('{"MessageId":"m-1"}');
    });

    it('sends the mocked failure', async () => {
      const executionArn = await start(approval(), { testCase: 'SaysNo' });
      await advance(5_000);
      expect(await describeRun(executionArn)).toMatchObject({ status: 'FAILED', error: 'Approval.Rejected', cause: 'manager said no' });
    });

    it('answers at once for a plain Return, as Step Functions Local does', async () => {
      const executionArn = await start(approval(), { testCase: 'Instant' });
      expect(await describeRun(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":"at once"}' });
    });

    it('never answers a Callback without AfterSeconds, so the heartbeat timeout fires', async () => {
      const executionArn = await start(approval({ HeartbeatSeconds: 300 }), { testCase: 'Silent' });
      await advance(300_000);
      expect(await describeRun(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    });

    it('refuses a Callback response for a state that does not wait for a token', async () => {
      const plain = { StartAt: 'Approve', States: { Approve: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'approver' }, End: true } } };
      const executionArn = await start(plain, { testCase: 'LateYes' });
      const described = await describeRun(executionArn);
      expect(described).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
      expect(described.cause).toContain("Mocked response 'HeartbeatsThenYes' is a Callback, but Task state 'Approve'");
    });
  });
});

import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { errorOf, START_MS, startHarness, type Harness } from './harness';

describe('ASL interpreter', () => {
  let h: Harness;
  let never: () => Promise<unknown>;
  beforeEach(async () => {
    never = () => new Promise(() => undefined);
    h = await startHarness({
      taskHandlers: {
        'arn:aws:lambda:us-east-1:123456789012:function:price': async (input) => ({ total: (input as { qty: number }).qty * 3 }),
        Flaky: async () => {
          throw Object.assign(new Error('upstream 503'), { name: 'Upstream.Unavailable' });
        },
        Hang: () => never(),
      },
    });
  });
  afterEach(() => h.close());

  const run = (definition: object, input: unknown, name?: string, options?: { settle?: boolean }) => h.run(definition, input, name, options);
  const outputOf = async (definition: object, input: unknown) => JSON.parse((await (await run(definition, input)).describe()).output!);

  it('routes Choice rules with every operator family, And/Or/Not and Path variants', async () => {
    const choose = (Choices: object[]) => ({
      StartAt: 'Pick',
      States: { Pick: { Type: 'Choice', Choices, Default: 'No' }, Yes: { Type: 'Pass', Result: 'yes', End: true }, No: { Type: 'Pass', Result: 'no', End: true } },
    });
    const input = { n: 5, limit: 4, s: 'order-17', flag: true, nothing: null, at: '2025-01-01T00:00:00Z', later: '2025-06-01T00:00:00Z' };
    const cases: Array<[object, string]> = [
      [{ Variable: '$.n', NumericGreaterThanPath: '$.limit', Next: 'Yes' }, 'yes'],
      [{ Variable: '$.n', NumericLessThanEquals: 4, Next: 'Yes' }, 'no'],
      [{ Variable: '$.s', StringMatches: 'order-*', Next: 'Yes' }, 'yes'],
      [{ Variable: '$.s', StringEquals: 5, Next: 'Yes' }, 'no'],
      [{ And: [{ Variable: '$.flag', BooleanEquals: true }, { Variable: '$.nothing', IsNull: true }], Next: 'Yes' }, 'yes'],
      [{ Or: [{ Variable: '$.missing', IsPresent: true }, { Not: { Variable: '$.n', IsNumeric: true } }], Next: 'Yes' }, 'no'],
      [{ Variable: '$.at', TimestampLessThanPath: '$.later', Next: 'Yes' }, 'yes'],
      [{ Variable: '$$.Execution.Name', StringEquals: 'run', Next: 'Yes' }, 'yes'],
    ];
    for (const [i, [rule, expected]] of cases.entries()) {
      const arn = await h.createMachine(`choice-${i}`, choose([rule]));
      const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'run', input: JSON.stringify(input) }));
      await h.emulator.waitForIdle();
      expect([i, (await h.sfn.send(new DescribeExecutionCommand({ executionArn }))).output]).toEqual([i, JSON.stringify(expected)]);
    }
  });

  it('fails with States.NoChoiceMatched when no rule matches and there is no Default', async () => {
    const { describe } = await run({ StartAt: 'Pick', States: { Pick: { Type: 'Choice', Choices: [{ Variable: '$.x', NumericEquals: 1, Next: 'Done' }] }, Done: { Type: 'Succeed' } } }, { x: 2 });
    expect(await describe()).toMatchObject({ status: 'FAILED', error: 'States.NoChoiceMatched' });
  });

  it('waits on the stack clock for Seconds, SecondsPath, Timestamp and TimestampPath', async () => {
    const due = new Date(START_MS + 50_000).toISOString();
    const { describe } = await run(
      {
        StartAt: 'A',
        States: {
          A: { Type: 'Wait', Seconds: 10, Next: 'B' },
          B: { Type: 'Wait', SecondsPath: '$.pause', Next: 'C' },
          C: { Type: 'Wait', Timestamp: due, Next: 'D' },
          D: { Type: 'Wait', TimestampPath: '$.until', End: true },
        },
      },
      { pause: 20, until: new Date(START_MS + 60_000).toISOString() },
    );
    const statusAfter = async (ms: number) => {
      await h.clock.advance(ms);
      await h.emulator.waitForIdle();
      return (await describe()).status;
    };
    expect(await statusAfter(9_999)).toBe('RUNNING');
    expect(await statusAfter(1 + 20_000 + 20_000)).toBe('RUNNING'); // at +50 s: A, B and C are done
    expect(await statusAfter(9_999)).toBe('RUNNING');
    expect(await statusAfter(1)).toBe('SUCCEEDED');
    expect((await describe()).stopDate?.getTime()).toBe(START_MS + 60_000);
  });

  it('applies InputPath, Parameters with intrinsics and context, ResultSelector, ResultPath and OutputPath', async () => {
    const output = await outputOf(
      {
        StartAt: 'Price',
        States: {
          Price: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:123456789012:function:price',
            InputPath: '$.order',
            Parameters: { 'qty.$': 'States.MathAdd($.qty, 1)', 'label.$': "States.Format('order {} of {}', $.id, $$.Execution.Name)" },
            ResultSelector: { 'total.$': '$.total', 'doubled.$': 'States.ArrayLength(States.Array($.total, $.total))' },
            ResultPath: '$.priced',
            OutputPath: '$.priced',
            Next: 'Shape',
          },
          Shape: {
            Type: 'Pass',
            Parameters: {
              'total.$': '$.total',
              'parts.$': "States.StringSplit('a,b;c', ',;')",
              'json.$': "States.JsonToString(States.StringToJson('{\"k\":1}'))",
              'hash.$': "States.Hash('abc', 'SHA-256')",
              'b64.$': "States.Base64Decode(States.Base64Encode('hi'))",
              'range.$': 'States.ArrayRange(1, 9, 4)',
              'chunks.$': 'States.ArrayPartition(States.Array(1, 2, 3), 2)',
              'unique.$': 'States.ArrayUnique(States.Array(1, 1, 2))',
              'has.$': 'States.ArrayContains(States.Array(1, 2), 2)',
              'item.$': 'States.ArrayGetItem(States.Array(7, 8), 1)',
              'merged.$': "States.JsonMerge(States.StringToJson('{\"a\":1}'), States.StringToJson('{\"b\":2}'), false)",
              'state.$': '$$.State.Name',
            },
            End: true,
          },
        },
      },
      { order: { id: 'A1', qty: 2 } },
    );
    expect(output).toEqual({
      total: 9,
      parts: ['a', 'b', 'c'],
      json: '{"k":1}',
      hash: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      b64: 'hi',
      range: [1, 5, 9],
      chunks: [[1, 2], [3]],
      unique: [1, 2],
      has: true,
      item: 8,
      merged: { a: 1, b: 2 },
      state: 'Shape',
    });
  });

  it('retries with backoff on the stack clock, then catches into ResultPath', async () => {
    const { executionArn, describe } = await run(
      {
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'Flaky' },
            Retry: [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 5 }, { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 2 }],
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Recover' }],
            End: true,
          },
          Recover: { Type: 'Pass', End: true },
        },
      },
      { keep: 1 },
    );
    await h.clock.advance(1_999);
    await h.emulator.waitForIdle();
    expect((await describe()).status).toBe('RUNNING');
    await h.clock.advance(1 + 6_000); // 2 s, then 2 * 3 = 6 s
    await h.emulator.waitForIdle();
    expect(await describe()).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify({ keep: 1, failure: { Error: 'Upstream.Unavailable', Cause: 'upstream 503' } }) });
    const history = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events?.filter((e) => e.type === 'TaskFailed')).toHaveLength(3);
  });

  it('turns Task TimeoutSeconds into States.Timeout and execution TimeoutSeconds into TIMED_OUT', async () => {
    const task = await run({ StartAt: 'Slow', States: { Slow: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'Hang' }, TimeoutSeconds: 30, End: true } } }, {}, 'hanging', { settle: false });
    await h.clock.advance(30_000);
    await h.emulator.waitForIdle();
    expect(await task.describe()).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    const whole = await run({ TimeoutSeconds: 5, StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 60, End: true } } }, {}, 'timed');
    await h.clock.advance(5_000);
    await h.emulator.waitForIdle();
    const timedOut = await whole.describe();
    expect(timedOut).toMatchObject({ status: 'TIMED_OUT', stopDate: new Date(START_MS + 35_000) });
    // As AWS's DescribeExecution of a TIMED_OUT execution: no error, no cause.
    expect([timedOut.error, timedOut.cause]).toEqual([undefined, undefined]);
    expect(h.events.map((e) => e.detail.status)).toEqual(['RUNNING', 'FAILED', 'RUNNING', 'TIMED_OUT']);
  });

  it('runs Parallel branches and an inline Map with ItemSelector context and MaxConcurrency', async () => {
    const output = await outputOf(
      {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            ResultSelector: { 'left.$': '$[0]', 'right.$': '$[1]' },
            Branches: [
              { StartAt: 'L', States: { L: { Type: 'Pass', Parameters: { 'side': 'left', 'n.$': '$.n' }, End: true } } },
              {
                StartAt: 'M',
                States: {
                  M: {
                    Type: 'Map',
                    ItemsPath: '$.items',
                    MaxConcurrency: 2,
                    ItemSelector: { 'index.$': '$$.Map.Item.Index', 'value.$': '$$.Map.Item.Value', 'n.$': '$.n' },
                    ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Sum', States: { Sum: { Type: 'Pass', Parameters: { 'sum.$': 'States.MathAdd($.value, $.n)', 'index.$': '$.index' }, End: true } } },
                    End: true,
                  },
                },
              },
            ],
            End: true,
          },
        },
      },
      { n: 10, items: [1, 2, 3] },
    );
    expect(output).toEqual({ left: { side: 'left', n: 10 }, right: [{ sum: 11, index: 0 }, { sum: 12, index: 1 }, { sum: 13, index: 2 }] });
  });

  it('fails with Fail state ErrorPath/CausePath, and clearly when a Task has no mock or handler', async () => {
    const fail = await run({ StartAt: 'Stop', States: { Stop: { Type: 'Fail', ErrorPath: '$.code', CausePath: "States.Format('bad {}', $.id)" } } }, { code: 'Order.Invalid', id: 3 });
    expect(await fail.describe()).toMatchObject({ status: 'FAILED', error: 'Order.Invalid', cause: 'bad 3' });
    const orphan = await run({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } } }, {}, 'orphan');
    const described = await orphan.describe();
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(described.cause).toContain("No behaviour for Task state 'T'");
  });

  it('rejects unsupported constructs at CreateStateMachine, naming the state and the construct', async () => {
    const task = { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true };
    const rejected: Array<[object, string]> = [
      [{ QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', QueryLanguage: 'JSONPath', End: true } } }, `State "A": 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine at /States/A`],
      [{ StartAt: 'A', States: { A: { ...task, Credentials: { RoleArn: 'arn:aws:iam::123456789012:role/other' } } } }, 'State "A" (Task): cross-account Credentials are not supported'],
      [{ StartAt: 'A', States: { A: { ...task, TimeoutSeconds: 10, HeartbeatSeconds: 10 } } }, 'HeartbeatSeconds must be smaller than TimeoutSeconds in Task state "A" at /States/A/HeartbeatSeconds'],
      [{ StartAt: 'A', States: { A: { ...task, Resource: 'arn:aws:states:us-east-1:123456789012:activity:approve' } } }, 'Task state "A": activities are not supported'],
      [{ StartAt: 'M', States: { M: { Type: 'Map', ItemReader: { Resource: 'arn:aws:states:::s3:getObject' }, ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true } } }, 'State "M" (Map): distributed Map ItemReader'],
      [{ StartAt: 'M', States: { M: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' }, StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true } } }, 'ProcessorConfig.ExecutionType must be STANDARD or EXPRESS in DISTRIBUTED mode at /States/M/ItemProcessor/ProcessorConfig/ExecutionType'],
      [{ StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { 'x.$': 'States.StringToUpper($.a)' }, End: true } } }, 'intrinsic States.StringToUpper is not supported'],
      [{ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }, 'MISSING_TRANSITION_TARGET: State "A" Next "Nowhere"'],
      [{ StartAt: 'M', States: { M: { Type: 'Map', MaxConcurrency: 2, MaxConcurrencyPath: '$.n', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true } } }, 'Map state "M" may have MaxConcurrency or MaxConcurrencyPath, not both'],
    ];
    for (const [definition, message] of rejected) {
      const error = await errorOf(h.createMachine('bad', definition));
      expect([error.name, error.message]).toEqual(['InvalidDefinition', expect.stringContaining(message)]);
    }
  });
});

/**
 * Behaviour the emulator once got wrong when compared with AWS-recorded executions (issue #11). Expected
 * values are AWS's, written out as AWS returns them, except where a comment says the text is ours
 * (docs/local-stack.md, "Causes we could not check against AWS").
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { START_MS, startHarness, type Harness } from './harness';

const DAY_MS = 86_400_000;
/** The payload quota: 256 KiB (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). */
const QUOTA_BYTES = 262_144;

describe('emulator parity with AWS', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      taskHandlers: {
        'Check Name': async () => ({ flagged: false }),
        'Fetch Report': async () => 'x'.repeat(QUOTA_BYTES),
        Hang: () => new Promise(() => undefined),
      },
    });
  });
  afterEach(() => h.close());

  const waitOn = (wait: object) => ({ StartAt: 'Pause', States: { Pause: { Type: 'Wait', ...wait, End: true } } });
  const statusAfter = async (run: { describe: () => Promise<{ status?: string }> }, ms: number) => {
    await h.clock.advance(ms);
    await h.emulator.waitForIdle();
    return (await run.describe()).status;
  };

  describe('Wait', () => {
    it.each([
      [{ SecondsPath: '$.pause' }, { pause: 1.5 }, 'The SecondsPath parameter cannot be parsed as a long value: $.pause == 1.5'],
      [{ SecondsPath: '$.pause' }, { pause: -1 }, 'The SecondsPath parameter references a negative value: $.pause == -1'],
      [{ SecondsPath: '$.pause' }, {}, 'The SecondsPath parameter does not reference an input value: $.pause'],
      [{ TimestampPath: '$.until' }, { until: '2025-01-15T12:00:10' }, 'The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.until == 2025-01-15T12:00:10'],
      [{ TimestampPath: '$.until' }, { until: '2025-01-15T12:00:10.000' }, 'The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.until == 2025-01-15T12:00:10.000'],
      // The error is AWS's; this cause is ours, shaped like AWS's TimestampPath one.
      [{ Timestamp: '2025-01-15 12:00:10Z' }, {}, 'The Timestamp parameter does not reference a valid ISO-8601 extended offset date-time format string: 2025-01-15 12:00:10Z'],
    ])('fails %j with input %j as States.Runtime', async (wait, input, cause) => {
      const run = await h.run(waitOn(wait), input);
      expect(await run.describe()).toMatchObject({
        status: 'FAILED',
        error: 'States.Runtime',
        cause: `An error occurred while executing the state 'Pause' (entered at the event id #2). ${cause}`,
      });
    });

    it('takes timestamps with a Z or an offset and any fraction, counting whole seconds only', async () => {
      const zulu = await h.run(waitOn({ TimestampPath: '$.until' }), { until: '2025-01-15T12:00:10.999999Z' }, 'zulu');
      const offset = await h.run(waitOn({ Timestamp: '2025-01-15T14:00:20+02:00' }), {}, 'offset');
      expect(await statusAfter(zulu, 9_999)).toBe('RUNNING');
      expect(await statusAfter(zulu, 1)).toBe('SUCCEEDED');
      expect(await statusAfter(offset, 9_999)).toBe('RUNNING');
      expect(await statusAfter(offset, 1)).toBe('SUCCEEDED');
    });

    it('keeps waiting through a 30-day Wait (longer than one Node timer; test/local/clock.test.ts covers the real clock)', async () => {
      const run = await h.run(waitOn({ Seconds: 30 * 86_400 }), {});
      expect(await statusAfter(run, 30 * DAY_MS - 1)).toBe('RUNNING');
      expect(await statusAfter(run, 1)).toBe('SUCCEEDED');
    });

    it('waits until 24,855 days ahead but fails a Wait 24,856 days ahead (AWS keeps wait times in 32-bit seconds)', async () => {
      const ahead = (days: number) => new Date(START_MS + days * DAY_MS).toISOString();
      const farthest = await h.run(waitOn({ Timestamp: ahead(24_855) }), {}, 'farthest');
      const beyond = await h.run(waitOn({ Timestamp: ahead(24_856) }), {}, 'beyond');
      expect((await farthest.describe()).status).toBe('RUNNING');
      expect(await beyond.describe()).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    });
  });

  it('evaluates intrinsics as AWS does: MathAdd rounds each argument, Format prints objects Java-style, StringToJson of a blank is null', async () => {
    const run = await h.run(
      {
        StartAt: 'Eval',
        States: {
          Eval: {
            Type: 'Pass',
            Parameters: {
              'sum.$': 'States.MathAdd($.a, $.b)',
              'negative.$': 'States.MathAdd($.c, 0)',
              'text.$': "States.Format('got {}', $.args)",
              'empty.$': "States.StringToJson('')",
              'blank.$': "States.StringToJson(' ')",
            },
            End: true,
          },
        },
      },
      { a: 1.49, b: 1.5, c: -1.5, args: { Arg1: 1, Arg2: [] } },
    );
    expect(JSON.parse((await run.describe()).output!)).toEqual({ sum: 3, negative: -1, text: 'got {Arg1=1, Arg2=[]}', empty: null, blank: null });
  });

  it('gives $$.State.RetryCount to a Task state but not to a Pass state', async () => {
    const run = await h.run(
      {
        StartAt: 'Look',
        States: {
          Look: { Type: 'Pass', Parameters: { 'state.$': '$$.State' }, ResultPath: '$.pass', Next: 'Check Name' },
          'Check Name': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'check-name', 'retries.$': '$$.State.RetryCount' }, ResultPath: '$.task', End: true },
        },
      },
      {},
    );
    const started = new Date(START_MS).toISOString();
    expect((await run.describe()).status).toBe('SUCCEEDED');
    const history = await run.history();
    const scheduled = history.find((event) => event.type === 'TaskScheduled')!;
    expect(JSON.parse(scheduled.taskScheduledEventDetails!.parameters!)).toEqual({ FunctionName: 'check-name', retries: 0 });
    const passExited = history.find((event) => event.type === 'PassStateExited')!;
    expect(JSON.parse(passExited.stateExitedEventDetails!.output!)).toEqual({ pass: { state: { Name: 'Look', EnteredTime: started } } });
  });

  it('fails a state output or task result over 256 KiB with States.DataLimitExceeded, which States.ALL does not catch', async () => {
    // As JSON, a string of QUOTA_BYTES - 2 characters is exactly the quota, with its two quotes.
    const atQuota = await h.run({ StartAt: 'Fits', States: { Fits: { Type: 'Pass', Result: 'x'.repeat(QUOTA_BYTES - 2), End: true } } }, {}, 'fits');
    const overQuota = await h.run({ StartAt: 'Big', States: { Big: { Type: 'Pass', Result: 'x'.repeat(QUOTA_BYTES - 1), End: true } } }, {}, 'big');
    const task = await h.run(
      {
        StartAt: 'Fetch Report',
        States: {
          'Fetch Report': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'report' }, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }], End: true },
          Caught: { Type: 'Succeed' },
        },
      },
      {},
      'task',
    );
    expect((await atQuota.describe()).status).toBe('SUCCEEDED');
    expect(await overQuota.describe()).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(await task.describe()).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
  });

  describe('history', () => {
    it('starts the first state with previousEventId 0, as ExecutionStarted', async () => {
      const run = await h.run(waitOn({ Seconds: 0 }), {});
      expect((await run.history()).map((event) => [event.id, event.previousEventId, event.type])).toEqual([
        [1, 0, 'ExecutionStarted'],
        [2, 0, 'WaitStateEntered'],
        [3, 2, 'WaitStateExited'],
        [4, 3, 'ExecutionSucceeded'],
      ]);
    });

    const failing = { StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'Item.Bad' } } };
    it.each([
      ['Map', { Type: 'Map', ItemsPath: '$.items', ItemProcessor: failing }],
      ['Parallel', { Type: 'Parallel', Branches: [failing] }],
    ])('records %sStateFailed once, after the last attempt', async (kind, state) => {
      const retry = [{ ErrorEquals: ['Item.Bad'], IntervalSeconds: 1, MaxAttempts: 2 }];
      const run = await h.run({ StartAt: 'Work', States: { Work: { ...state, Retry: retry, End: true } } }, { items: [1] });
      await h.clock.advance(1_000 + 2_000);
      await h.emulator.waitForIdle();
      const types = (await run.history()).map((event) => event.type);
      expect(types.filter((type) => type === `${kind}StateStarted`)).toHaveLength(3);
      expect(types.filter((type) => type === `${kind}StateFailed`)).toHaveLength(1);
      expect(types.slice(-2)).toEqual([`${kind}StateFailed`, 'ExecutionFailed']);
    });
  });

  it.each([
    [1, ['MapIterationStarted 0', 'MapIterationSucceeded 0', 'MapIterationStarted 1', 'MapIterationSucceeded 1']],
    [0, ['MapIterationStarted 0', 'MapIterationStarted 1', 'MapIterationSucceeded 0', 'MapIterationSucceeded 1']],
  ])('runs a Map with MaxConcurrencyPath %j', async (limit, order) => {
    const run = await h.run(
      {
        StartAt: 'Each',
        States: { Each: { Type: 'Map', ItemsPath: '$.items', MaxConcurrencyPath: '$.limit', ItemProcessor: { StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 1, End: true } } }, End: true } },
      },
      { items: ['a', 'b'], limit },
    );
    await h.clock.advance(2_000);
    await h.emulator.waitForIdle();
    const iterations = (await run.history()).filter((event) => event.type!.startsWith('MapIteration'));
    expect(iterations.map((event) => `${event.type} ${(event.mapIterationStartedEventDetails ?? event.mapIterationSucceededEventDetails)!.index}`)).toEqual(order);
  });

  it('accepts state names with dots', async () => {
    const run = await h.run({ StartAt: 'Step.1', States: { 'Step.1': { Type: 'Pass', Next: 'orders.v2' }, 'orders.v2': { Type: 'Pass', Result: 'done', End: true } } }, {});
    expect(await run.describe()).toMatchObject({ status: 'SUCCEEDED', output: '"done"' });
  });

  describe('timeouts', () => {
    it('records a task timeout with the error States.Timeout and no cause', async () => {
      const run = await h.run(
        { StartAt: 'Hang', States: { Hang: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'hang' }, TimeoutSeconds: 5, End: true } } },
        {},
        'task',
        { settle: false },
      );
      await h.clock.advance(5_000);
      await h.emulator.waitForIdle();
      const [timedOut, failed] = (await run.history()).slice(-2);
      expect(timedOut.taskTimedOutEventDetails).toEqual({ error: 'States.Timeout', resource: 'invoke', resourceType: 'lambda' });
      expect(failed.executionFailedEventDetails).toEqual({ error: 'States.Timeout' });
    });

    it('ends an execution past its TimeoutSeconds TIMED_OUT with no error or cause, in DescribeExecution and the status event', async () => {
      const run = await h.run({ TimeoutSeconds: 5, StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 60, End: true } } }, {});
      await h.clock.advance(5_000);
      await h.emulator.waitForIdle();
      const described = await run.describe();
      expect(described).toMatchObject({ status: 'TIMED_OUT', redriveStatus: 'REDRIVABLE' });
      expect([described.error, described.cause]).toEqual([undefined, undefined]);
      expect(h.events.at(-1)!.detail).toMatchObject({ status: 'TIMED_OUT', error: null, cause: null });
    });
  });

  it('times a Standard execution out after its one-year maximum, however long its Wait', async () => {
    const run = await h.run(waitOn({ Seconds: 99_999_999 }), {});
    expect(await statusAfter(run, 365 * DAY_MS - 1)).toBe('RUNNING');
    expect(await statusAfter(run, 1)).toBe('TIMED_OUT');
  });

  it('times an Express execution out after its five-minute maximum', async () => {
    const stateMachineArn = await h.createMachine('express', waitOn({ Seconds: 600 }), 'EXPRESS');
    const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }));
    const statusAt = async (ms: number) => {
      await h.clock.advance(ms);
      await h.emulator.waitForIdle();
      return h.emulator.execution(executionArn!)!.status;
    };
    expect(await statusAt(300_000 - 1)).toBe('RUNNING');
    expect(await statusAt(1)).toBe('TIMED_OUT');
  });

  describe('runtime error causes', () => {
    it('names the state, the event that entered it, the path, the field and the input', async () => {
      const run = await h.run(
        {
          StartAt: 'Check Name',
          States: {
            'Check Name': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'check-name' }, OutputPath: '$.Payload', Next: 'Check Address' },
            'Check Address': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'check-address', 'address.$': '$.application.address' }, End: true },
          },
        },
        { application: { name: 'Spock', address: '123 Enterprise Street' } },
      );
      expect(await run.describe()).toMatchObject({
        status: 'FAILED',
        error: 'States.Runtime',
        cause:
          "An error occurred while executing the state 'Check Address' (entered at the event id #7). The JSONPath '$.application.address' specified for the field 'address.$' could not be found in the input '{\"flagged\":false}'",
      });
    });

    it.each([
      [{ Type: 'Pass', InputPath: '$.x', End: true }, "The JSONPath '$.x' specified for the field 'InputPath' could not be found in the input '{\"y\":1}'"],
      [{ Type: 'Pass', OutputPath: '$.x', End: true }, "The JSONPath '$.x' specified for the field 'OutputPath' could not be found in the input '{\"y\":1}'"],
      [{ Type: 'Map', ItemsPath: '$.x', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true }, "The JSONPath '$.x' specified for the field 'ItemsPath' could not be found in the input '{\"y\":1}'"],
      [{ Type: 'Choice', Choices: [{ Variable: '$.x', BooleanEquals: true, Next: 'Done' }], Default: 'Done' }, "Invalid path '$.x': The choice state's condition path references an invalid value."],
    ])('%j fails with AWS cause', async (state, cause) => {
      const run = await h.run({ StartAt: 'S', States: { S: state, Done: { Type: 'Succeed' } } }, { y: 1 });
      expect(await run.describe()).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: `An error occurred while executing the state 'S' (entered at the event id #2). ${cause}` });
    });
  });
});

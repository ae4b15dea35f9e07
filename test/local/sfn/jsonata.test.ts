import { DescribeExecutionCommand, GetExecutionHistoryCommand, RedriveExecutionCommand, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { errorOf, START_MS, startHarness, tokenCollector, type Harness } from './harness';

const LAMBDA = 'arn:aws:states:::lambda:invoke';

describe('JSONata states', () => {
  let h: Harness;
  let tokens: string[];
  beforeEach(async () => {
    tokens = [];
    h = await startHarness({
      mockConfig: {
        StateMachines: { redriven: { TestCases: { FailOnce: { Ship: 'FailOnce' } } } },
        MockedResponses: { FailOnce: { '0': { Throw: { Error: 'Carrier.Down', Cause: 'try later' } }, '1': { Return: { label: 'L-1' } } } },
      },
      taskHandlers: {
        price: async (payload) => ({ total: (payload as { qty: number }).qty * 3 }),
        declined: async () => {
          throw Object.assign(new Error('card declined'), { name: 'Payment.Declined' });
        },
        approver: tokenCollector(tokens, {}),
      },
    });
  });
  afterEach(() => h.close());

  async function run(definition: object, input: unknown, machine = 'jsonata') {
    const arn = await h.createMachine(machine, definition);
    const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'run', input: JSON.stringify(input) }));
    await h.emulator.waitForIdle();
    return executionArn!;
  }
  const describeRun = (executionArn: string) => h.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const history = async (executionArn: string) => (await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!;
  const outputOf = async (definition: object, input: unknown) => JSON.parse((await describeRun(await run(definition, input))).output!);

  it("converts AWS's JSONPath-to-JSONata example: Arguments evaluate {% %} strings and leave others literal", async () => {
    // The "Transforming data with JSONata" guide's conversion sample, on a Pass state's Output.
    const output = await outputOf(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Remember',
        States: {
          Remember: { Type: 'Pass', Assign: { customerName: 'Ada' }, Next: 'Shape' },
          Shape: { Type: 'Pass', Output: { static: 'Hello', title: '{% $states.input.title %}', name: '{% $customerName %}', 'not-evaluated': '$customerName' }, End: true },
        },
      },
      { title: 'Dr' },
    );
    expect(output).toEqual({ static: 'Hello', title: 'Dr', name: 'Ada', 'not-evaluated': '$customerName' });
  });

  it('runs Task Arguments/Output, Choice Condition, Map Items/ItemSelector, Parallel Arguments, Wait Seconds and $states.context', async () => {
    const executionArn = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Price',
        States: {
          Price: {
            Type: 'Task',
            Resource: LAMBDA,
            Arguments: { FunctionName: 'price', Payload: { qty: '{% $states.input.qty %}' } },
            Output: '{% $states.result.Payload %}',
            Assign: { total: '{% $states.result.Payload.total %}' },
            Next: 'Big?',
          },
          'Big?': {
            Type: 'Choice',
            Choices: [{ Condition: '{% $total > 10 %}', Output: { size: 'big', total: '{% $total %}' }, Next: 'Pause' }],
            Default: 'Pause',
            Output: { size: 'small' },
          },
          Pause: { Type: 'Wait', Seconds: '{% $total * 2 %}', Next: 'Each' },
          Each: {
            Type: 'Map',
            Items: '{% [1, 2, 3] %}',
            MaxConcurrency: '{% $total > 10 ? 2 : 1 %}',
            ItemSelector: { value: '{% $states.context.Map.Item.Value %}', index: '{% $states.context.Map.Item.Index %}', size: '{% $states.input.size %}' },
            ItemProcessor: { StartAt: 'Double', States: { Double: { Type: 'Pass', Output: '{% $states.input.value * 2 & "/" & $states.input.size %}', End: true } } },
            Output: { doubled: '{% $states.result %}' },
            Next: 'Both',
          },
          Both: {
            Type: 'Parallel',
            Arguments: { from: '{% $states.context.State.Name %}' },
            Branches: [
              { StartAt: 'L', States: { L: { Type: 'Pass', Output: '{% $states.input.from & "-left" %}', End: true } } },
              { StartAt: 'R', States: { R: { Type: 'Pass', Output: '{% $states.context.Execution.Name %}', End: true } } },
            ],
            Output: { doubled: '{% $states.input.doubled %}', branches: '{% $states.result %}' },
            Next: 'Done',
          },
          Done: { Type: 'Succeed', Output: '{% $merge([$states.input, {"total": $total}]) %}' },
        },
      },
      { qty: 5 },
    );
    expect((await describeRun(executionArn)).status).toBe('RUNNING');
    await h.clock.advance(30_000);
    await h.emulator.waitForIdle();
    const described = await describeRun(executionArn);
    expect(described.status).toBe('SUCCEEDED');
    expect(described.stopDate?.getTime()).toBe(START_MS + 30_000);
    expect(JSON.parse(described.output!)).toEqual({ doubled: ['2/big', '4/big', '6/big'], branches: ['Both-left', 'run'], total: 15 });
  });

  it("provides AWS's added functions with their documented results, and no $eval", async () => {
    const output = await outputOf(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Fns',
        States: {
          Fns: {
            Type: 'Pass',
            Output: {
              partition: '{% $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) %}',
              partitionRemainder: '{% $partition([1, 2, 3, 4, 5], 2) %}',
              evens: '{% $range(0, 10, 2) %}',
              down: '{% $range(3, 1, -1) %}',
              hash: "{% $hash('abc', 'SHA-256') %}",
              md5: "{% $hash('abc', 'MD5') %}",
              parsed: '{% $parse($states.input.text) %}',
              sameSeed: '{% $random(42) = $random(42) %}',
              inRange: '{% ($r := $random(); $r >= 0 and $r < 1) %}',
              uuid: '{% $uuid() %}',
            },
            End: true,
          },
        },
      },
      { text: '{"a":[1,"two"]}' },
    );
    expect(output).toEqual({
      partition: [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
      partitionRemainder: [[1, 2], [3, 4], [5]],
      evens: [0, 2, 4, 6, 8, 10],
      down: [3, 2, 1],
      hash: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      md5: '900150983cd24fb0d6963f7d28e17f72',
      parsed: { a: [1, 'two'] },
      sameSeed: true,
      inRange: true,
      uuid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    });
    const evalCall = await run({ QueryLanguage: 'JSONata', StartAt: 'E', States: { E: { Type: 'Pass', Output: "{% $eval('1 + 1') %}", End: true } } }, {}, 'no-eval');
    expect(await describeRun(evalCall)).toMatchObject({
      status: 'FAILED',
      error: 'States.QueryEvaluationError',
      cause: "An error occurred while executing the state 'E' (entered at the event id #2). The JSONata expression '$eval('1 + 1')' specified for the field 'Output' threw an error: T1006: Attempted to invoke a non-function",
    });
  });

  it('fails with States.QueryEvaluationError and an EvaluationFailed event naming the field when an expression returns nothing', async () => {
    const executionArn = await run(
      { QueryLanguage: 'JSONata', StartAt: 'Start', States: { Start: { Type: 'Pass', Next: 'Push' }, Push: { Type: 'Pass', Output: { Input: { where: ['x', '{% $states.input.pushLocation %}'] } }, End: true } } },
      {},
    );
    const cause =
      "An error occurred while executing the state 'Push' (entered at the event id #4). The JSONata expression '$states.input.pushLocation' specified for the field 'Output/Input/where[1]' returned nothing (undefined).";
    expect(await describeRun(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError', cause });
    const failed = (await history(executionArn)).find((e) => e.type === 'EvaluationFailed');
    expect(failed?.evaluationFailedEventDetails).toEqual({ state: 'Push', error: 'States.QueryEvaluationError', cause, location: 'Output/Input/where[1]' });
  });

  it('lets Catch see $states.errorOutput in its Output and Assign, and catch States.QueryEvaluationError', async () => {
    const caught = await outputOf(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Pay',
        States: {
          Pay: {
            Type: 'Task',
            Resource: LAMBDA,
            Arguments: { FunctionName: 'declined' },
            Catch: [{ ErrorEquals: ['States.ALL'], Output: { failed: '{% $states.errorOutput.Error %}', input: '{% $states.input %}' }, Assign: { why: '{% $states.errorOutput.Cause %}' }, Next: 'Broken' }],
            Next: 'Broken',
          },
          Broken: {
            Type: 'Task',
            Resource: LAMBDA,
            Arguments: { FunctionName: '{% $states.input.missing %}' },
            Catch: [{ ErrorEquals: ['States.QueryEvaluationError'], Output: { failed: '{% $states.input.failed %}', why: '{% $why %}', then: '{% $states.errorOutput.Error %}' }, Next: 'Done' }],
            Next: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      },
      { order: 1 },
    );
    expect(caught).toEqual({ failed: 'Payment.Declined', why: 'card declined', then: 'States.QueryEvaluationError' });
  });

  it("mixes query languages: JSONata states in a JSONPath machine, whose nested states follow the machine's language", async () => {
    const output = await outputOf(
      {
        StartAt: 'Path',
        States: {
          Path: { Type: 'Pass', Parameters: { 'n.$': '$.n' }, Next: 'Nata' },
          Nata: { Type: 'Pass', QueryLanguage: 'JSONata', Output: { n: '{% $states.input.n + 1 %}' }, Assign: { seen: '{% $states.input.n %}' }, Next: 'Each' },
          Each: {
            Type: 'Map',
            QueryLanguage: 'JSONata',
            Items: '{% [$states.input.n, $seen] %}',
            ItemProcessor: { StartAt: 'Inner', States: { Inner: { Type: 'Pass', Parameters: { 'item.$': '$', 'seen.$': '$seen' }, End: true } } },
            Output: { n: '{% $states.input.n %}', items: '{% $states.result %}' },
            Next: 'Back',
          },
          Back: { Type: 'Pass', Parameters: { 'n.$': '$.n', 'items.$': '$.items', 'seen.$': '$seen' }, End: true },
        },
      },
      { n: 1 },
    );
    expect(output).toEqual({ n: 2, items: [{ item: 2, seen: 1 }, { item: 1, seen: 1 }], seen: 1 });
  });

  it('passes $states.context.Task.Token to a callback task', async () => {
    const executionArn = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Approve',
        States: {
          Approve: {
            Type: 'Task',
            Resource: `${LAMBDA}.waitForTaskToken`,
            Arguments: { FunctionName: 'approver', Payload: { token: '{% $states.context.Task.Token %}' } },
            HeartbeatSeconds: '{% 60 %}',
            Output: { approved: '{% $states.result.ok %}' },
            End: true,
          },
        },
      },
      {},
    );
    await h.sfn.send(new SendTaskSuccessCommand({ taskToken: tokens[0], output: '{"ok":true}' }));
    await h.emulator.waitForIdle();
    expect(await describeRun(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":true}' });
    expect((await history(executionArn)).find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails?.heartbeatInSeconds).toBe(60);
  });

  it('redrives a failed JSONata Task with its original input and the variables it saw on entry', async () => {
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'Quote',
      States: {
        Quote: { Type: 'Pass', Assign: { carrier: '{% $states.input.carrier %}' }, Output: { parcel: '{% $states.input.parcel %}' }, Next: 'Ship' },
        Ship: { Type: 'Task', Resource: LAMBDA, Arguments: { FunctionName: 'ship' }, Output: { parcel: '{% $states.input.parcel %}', carrier: '{% $carrier %}', label: '{% $states.result.label %}' }, End: true },
      },
    };
    const arn = await h.createMachine('redriven', definition);
    const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: `${arn}#FailOnce`, input: '{"carrier":"UPS","parcel":"p-9"}' }));
    await h.emulator.waitForIdle();
    expect(await describeRun(executionArn!)).toMatchObject({ status: 'FAILED', error: 'Carrier.Down' });
    await h.sfn.send(new RedriveExecutionCommand({ executionArn }));
    await h.emulator.waitForIdle();
    expect(await describeRun(executionArn!)).toMatchObject({ status: 'SUCCEEDED', output: '{"parcel":"p-9","carrier":"UPS","label":"L-1"}' });
  });

  it('gives $states.context.State.RetryCount to a Task but not to a Pass state', async () => {
    const executionArn = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Look',
        States: {
          Look: { Type: 'Pass', Output: { pass: '{% $states.context.State %}' }, Next: 'Price' },
          Price: { Type: 'Task', Resource: LAMBDA, Arguments: { FunctionName: 'price', Payload: { qty: 1 } }, Output: { pass: '{% $states.input.pass %}', retries: '{% $states.context.State.RetryCount %}' }, End: true },
        },
      },
      {},
    );
    const entered = new Date(START_MS).toISOString();
    expect(JSON.parse((await describeRun(executionArn)).output!)).toEqual({ pass: { Name: 'Look', EnteredTime: entered }, retries: 0 });
  });

  it.each([
    ['Map', { Type: 'Map', Items: '{% $states.input.items %}', ItemProcessor: { StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'Item.Bad' } } } }],
    ['Parallel', { Type: 'Parallel', Branches: [{ StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'Item.Bad' } } }] }],
  ])('records a retried JSONata %sStateFailed once, after the last attempt, before its catcher', async (kind, state) => {
    const executionArn = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Work',
        States: {
          Work: { ...state, Retry: [{ ErrorEquals: ['Item.Bad'], IntervalSeconds: 1, MaxAttempts: 1 }], Catch: [{ ErrorEquals: ['States.ALL'], Output: '{% $states.errorOutput %}', Next: 'Caught' }], End: true },
          Caught: { Type: 'Succeed' },
        },
      },
      { items: [1] },
    );
    await h.clock.advance(1_000);
    await h.emulator.waitForIdle();
    const types = (await history(executionArn)).map((event) => event.type);
    expect(types.filter((type) => type === `${kind}StateStarted`)).toHaveLength(2);
    expect(types.filter((type) => type === `${kind}StateFailed`)).toHaveLength(1);
    expect(types.slice(-5)).toEqual([`${kind}StateFailed`, `${kind}StateExited`, 'SucceedStateEntered', 'SucceedStateExited', 'ExecutionSucceeded']);
    expect(await describeRun(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"Error":"Item.Bad","Cause":""}' });
  });

  it('fails a Choice whose Condition is not a boolean, and evaluates Fail Error and Cause', async () => {
    const choice = await run({ QueryLanguage: 'JSONata', StartAt: 'C', States: { C: { Type: 'Choice', Choices: [{ Condition: '{% $states.input.n %}', Next: 'D' }], Default: 'D' }, D: { Type: 'Succeed' } } }, { n: 3 }, 'choice');
    expect(await describeRun(choice)).toMatchObject({
      status: 'FAILED',
      error: 'States.QueryEvaluationError',
      cause: "An error occurred while executing the state 'C' (entered at the event id #2). The Condition '{% $states.input.n %}' of the Choice rule at index 0 did not evaluate to a boolean.",
    });
    const fail = await run({ QueryLanguage: 'JSONata', StartAt: 'F', States: { F: { Type: 'Fail', Error: "{% 'Order.' & $states.input.code %}", Cause: '{% $string($states.input.id) %}' } } }, { code: 'Invalid', id: 7 }, 'fail');
    expect(await describeRun(fail)).toMatchObject({ status: 'FAILED', error: 'Order.Invalid', cause: '7' });
  });

  it('rejects at CreateStateMachine the other language\'s fields, bad expressions and context-item references, naming state, field and pointer', async () => {
    const rejected: Array<[object, string]> = [
      [
        { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { a: 1 }, End: true } } },
        `SCHEMA_VALIDATION_FAILED: State "A": The QueryLanguage is set to 'JSONata', but field 'Parameters' is only supported for the 'JSONPath' QueryLanguage at /States/A/Parameters`,
      ],
      [
        { StartAt: 'A', States: { A: { Type: 'Pass', Output: { a: 1 }, End: true } } },
        `State "A": The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage at /States/A/Output`,
      ],
      [
        { QueryLanguage: 'JSONata', StartAt: 'T', States: { T: { Type: 'Task', Resource: LAMBDA, ResultSelector: {}, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.e', Next: 'T' }], End: true } } },
        `The QueryLanguage is set to 'JSONata', but field 'ResultPath' is only supported for the 'JSONPath' QueryLanguage at /States/T/Catch/0/ResultPath`,
      ],
      [{ QueryLanguage: 'JSONata', StartAt: 'E', States: { E: { Type: 'Pass', Output: { v: '{% phone %}' }, End: true } } }, "UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not supported. at /States/E/Output/v"],
      [{ QueryLanguage: 'JSONata', StartAt: 'E', States: { E: { Type: 'Pass', Output: '{% $$ %}', End: true } } }, "UNSUPPORTED_JSONATA_EXPRESSION: Reference to '$$' is not supported. at /States/E/Output"],
      [{ QueryLanguage: 'JSONata', StartAt: 'E', States: { E: { Type: 'Pass', Output: '{% a[1,2) %}', End: true } } }, 'INVALID_JSONATA_EXPRESSION: Expected "]", got "," at /States/E/Output'],
      [{ QueryLanguage: 'JSONata', StartAt: 'C', States: { C: { Type: 'Choice', Choices: [{ Variable: '$.x', BooleanEquals: true, Next: 'C' }] } } }, 'a JSONata choice rule needs a Condition'],
      [{ QueryLanguage: 'JSONPath ', StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }, 'SCHEMA_VALIDATION_FAILED: Value should be one of the following: [JSONPath, JSONata] at /QueryLanguage'],
    ];
    for (const [definition, message] of rejected) {
      const error = await errorOf(h.createMachine('bad', definition));
      expect([error.name, error.message]).toEqual(['InvalidDefinition', expect.stringContaining(message)]);
    }
  });
});

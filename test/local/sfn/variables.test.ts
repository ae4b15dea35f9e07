import { GetExecutionHistoryCommand, RedriveExecutionCommand, StartExecutionCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { MockConfig } from '../../../local/sfn';
import { errorOf, startHarness, type Harness } from './harness';

const mockConfig: MockConfig = {
  StateMachines: { redriven: { TestCases: { FailOnce: { Ship: 'FailOnce' } } }, 'redriven-map': { TestCases: { FailOnce: { Ship: 'FailOnce' } } } },
  MockedResponses: { FailOnce: { '0': { Throw: { Error: 'Carrier.Down', Cause: 'try later' } }, '1': { Return: { shipped: true } } } },
};

describe('workflow variables (Assign) in JSONPath states', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      mockConfig,
      taskHandlers: {
        Echo: async (input) => input,
        Boom: async () => {
          throw Object.assign(new Error('card declined'), { name: 'Payment.Declined' });
        },
      },
    });
  });
  afterEach(() => h.close());

  async function run(definition: object, input: unknown, { machine = 'vars', testCase }: { machine?: string; testCase?: string } = {}) {
    const arn = await h.createMachine(machine, definition);
    const { executionArn } = await h.sfn.send(
      new StartExecutionCommand({ stateMachineArn: testCase ? `${arn}#${testCase}` : arn, name: 'run', input: JSON.stringify(input) }),
    );
    await h.emulator.waitForIdle();
    return executionArn!;
  }
  const describeRun = (executionArn: string) => h.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const outputOf = async (definition: object, input: unknown) => JSON.parse((await describeRun(await run(definition, input))).output!);

  it('assigns from the state result and reads $name in Parameters, nested paths, intrinsics and Choice rules', async () => {
    const output = await outputOf(
      {
        StartAt: 'Remember',
        States: {
          Remember: {
            Type: 'Pass',
            Parameters: { 'limit.$': '$.limit', customer: { name: 'Ada', tier: 'gold' } },
            Assign: { 'limit.$': '$.limit', 'customer.$': '$.customer', fixed: 'literal' },
            ResultPath: null,
            Next: 'Call',
          },
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'Echo', Payload: { 'count.$': '$.count', 'who.$': '$customer.name', 'label.$': "States.Format('{} ({})', $customer.tier, $fixed)" } },
            Assign: { 'count.$': '$.Payload.count' },
            OutputPath: '$.Payload',
            Next: 'Big?',
          },
          'Big?': {
            Type: 'Choice',
            Choices: [{ Variable: '$count', NumericGreaterThanPath: '$limit', Next: 'Big', Assign: { verdict: 'big' } }],
            Default: 'Small',
            Assign: { verdict: 'small' },
          },
          Big: { Type: 'Pass', Parameters: { 'verdict.$': '$verdict', 'echo.$': '$' }, End: true },
          Small: { Type: 'Pass', Parameters: { 'verdict.$': '$verdict', 'echo.$': '$' }, End: true },
        },
      },
      { limit: 5, count: 7 },
    );
    expect(output).toEqual({ verdict: 'big', echo: { count: 7, who: 'Ada', label: 'gold (literal)' } });
  }, 10_000);

  it('evaluates every value of one Assign with the variables from state entry (so two variables can swap)', async () => {
    const output = await outputOf(
      {
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { a: 1, b: 2 }, Next: 'Swap' },
          Swap: { Type: 'Pass', Assign: { 'a.$': '$b', 'b.$': '$a' }, Parameters: { 'aOnEntry.$': '$a' }, Next: 'Show' },
          Show: { Type: 'Pass', Parameters: { 'a.$': '$a', 'b.$': '$b', 'before.$': '$.aOnEntry' }, End: true },
        },
      },
      {},
    );
    expect(output).toEqual({ a: 2, b: 1, before: 1 });
  });

  it("records the assigned values in StateExited as JSON text (the variables guide's Assign example)", async () => {
    const definition = {
      StartAt: 'Set',
      States: {
        Set: { Type: 'Pass', Assign: { productName: 'product1', count: 42, available: true, nested: { k: [true] } }, Next: 'Use' },
        Use: { Type: 'Pass', Parameters: { 'name.$': '$productName' }, End: true },
      },
    };
    const executionArn = await run(definition, {});
    expect((await describeRun(executionArn)).output).toBe('{"name":"product1"}');
    const events = (await h.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events!;
    expect(events.find((e) => e.type === 'PassStateExited')?.stateExitedEventDetails).toEqual({
      name: 'Set',
      output: '{}',
      outputDetails: { truncated: false },
      assignedVariables: { productName: '"product1"', count: '42', available: 'true', nested: '{"k":[true]}' },
      assignedVariablesDetails: { truncated: false },
    });
  });

  it('lets Map iterations and Parallel branches read outer variables, and keeps what they assign to themselves', async () => {
    const definition = {
      StartAt: 'Set',
      States: {
        Set: { Type: 'Pass', Assign: { factor: 10 }, Next: 'Each' },
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            StartAt: 'Scale',
            States: {
              Scale: { Type: 'Pass', Parameters: { 'item.$': '$', 'factor.$': '$factor' }, Assign: { 'mine.$': '$.item' }, Next: 'Report' },
              Report: { Type: 'Pass', Parameters: { 'mine.$': '$mine', 'factor.$': '$factor' }, End: true },
            },
          },
          ResultPath: '$.each',
          Next: 'Both',
        },
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'L', States: { L: { Type: 'Pass', Assign: { side: 'left' }, Next: 'L2' }, L2: { Type: 'Pass', Parameters: { 'side.$': '$side', 'factor.$': '$factor' }, End: true } } },
            { StartAt: 'R', States: { R: { Type: 'Pass', Assign: { side: 'right' }, Next: 'R2' }, R2: { Type: 'Pass', Parameters: { 'side.$': '$side' }, End: true } } },
          ],
          ResultPath: '$.branches',
          Next: 'Outside',
        },
        Outside: { Type: 'Pass', Parameters: { 'side.$': '$side' }, End: true },
      },
    };
    const executionArn = await run(definition, { items: [1, 2] });
    const described = await describeRun(executionArn);
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(described.cause).toContain("The variable '$side' is not defined");
    const history = (await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!;
    const exited = (name: string) => history.find((e) => e.stateExitedEventDetails?.name === name)?.stateExitedEventDetails?.output;
    expect(JSON.parse(exited('Each')!).each).toEqual([{ mine: 1, factor: 10 }, { mine: 2, factor: 10 }]);
    expect(JSON.parse(exited('Both')!).branches).toEqual([{ side: 'left', factor: 10 }, { side: 'right' }]);
  });

  it('lets a catcher assign from the error output', async () => {
    const output = await outputOf(
      {
        StartAt: 'Pay',
        States: {
          Pay: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'Boom' }, Catch: [{ ErrorEquals: ['States.ALL'], Assign: { 'why.$': '$.Cause' }, ResultPath: null, Next: 'Explain' }], End: true },
          Explain: { Type: 'Pass', Parameters: { 'why.$': '$why' }, End: true },
        },
      },
      {},
    );
    expect(output).toEqual({ why: 'card declined' });
  });

  it('fails with States.Runtime when one variable exceeds 256 KiB, or one Assign does in all', async () => {
    const half = 'x'.repeat(140_000);
    const oneBig = await run({ StartAt: 'Big', States: { Big: { Type: 'Pass', Assign: { 'blob.$': 'States.Array($.half, $.half)' }, End: true } } }, { half });
    expect(await describeRun(oneBig)).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: "An error occurred while executing the state 'Big' (entered at the event id #2). The variable '$blob' is 280007 bytes, over the limit of 262144 bytes" });
    const twoHalves = await run({ StartAt: 'Big', States: { Big: { Type: 'Pass', Assign: { 'a.$': '$.half', 'b.$': '$.half' }, End: true } } }, { half }, { machine: 'halves' });
    expect(await describeRun(twoHalves)).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: "An error occurred while executing the state 'Big' (entered at the event id #2). Assign sets 280004 bytes of variables, over the limit of 262144 bytes" });
  });

  it("fails a Choice whose Variable reads a variable's missing field with AWS's cause, naming the state", async () => {
    const executionArn = await run(
      {
        StartAt: 'Remember',
        States: {
          Remember: { Type: 'Pass', Assign: { order: { id: 1 } }, Next: 'Paid?' },
          'Paid?': { Type: 'Choice', Choices: [{ Variable: '$order.paid', BooleanEquals: true, Next: 'Done' }], Default: 'Done' },
          Done: { Type: 'Succeed' },
        },
      },
      {},
    );
    expect(await describeRun(executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: "An error occurred while executing the state 'Paid?' (entered at the event id #4). Invalid path '$order.paid': The choice state's condition path references an invalid value.",
    });
  });

  it('fails a state whose output is over the payload quota with States.DataLimitExceeded before its Assign takes effect', async () => {
    const executionArn = await run(
      { StartAt: 'Big', States: { Big: { Type: 'Pass', Result: 'x'.repeat(262_144), Assign: { marker: 'set' }, End: true } } },
      {},
    );
    expect(await describeRun(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    const events = (await h.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events!;
    expect(events.map((event) => event.type)).not.toContain('PassStateExited');
    expect(h.emulator.execution(executionArn)?.lastRun?.stoppedAt?.variables).toEqual({});
  });

  it('restores on redrive the variables the failed state saw when it was entered', async () => {
    const definition = {
      StartAt: 'Quote',
      States: {
        Quote: { Type: 'Pass', Assign: { 'carrier.$': '$.carrier', attempt: 'first' }, Next: 'Ship' },
        Ship: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'ship' }, Assign: { attempt: 'shipped' }, Next: 'Receipt' },
        Receipt: { Type: 'Pass', Parameters: { 'carrier.$': '$carrier', 'attempt.$': '$attempt' }, End: true },
      },
    };
    const executionArn = await run(definition, { carrier: 'UPS' }, { machine: 'redriven', testCase: 'FailOnce' });
    expect((await describeRun(executionArn)).status).toBe('FAILED');
    await h.sfn.send(new RedriveExecutionCommand({ executionArn }));
    await h.emulator.waitForIdle();
    expect(await describeRun(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"carrier":"UPS","attempt":"shipped"}' });
  });

  it('restores on redrive the variables of a Map iteration that failed', async () => {
    const iteration = {
      StartAt: 'Pick',
      States: {
        Pick: { Type: 'Pass', Assign: { 'parcel.$': '$' }, Next: 'Ship' },
        Ship: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'ship' }, Next: 'Label' },
        Label: { Type: 'Pass', Parameters: { 'parcel.$': '$parcel', 'carrier.$': '$carrier' }, End: true },
      },
    };
    const definition = {
      StartAt: 'Quote',
      States: { Quote: { Type: 'Pass', Assign: { carrier: 'DHL' }, Next: 'Each' }, Each: { Type: 'Map', ItemsPath: '$.parcels', ItemProcessor: iteration, End: true } },
    };
    const executionArn = await run(definition, { parcels: ['p-1'] }, { machine: 'redriven-map', testCase: 'FailOnce' });
    expect((await describeRun(executionArn)).status).toBe('FAILED');
    await h.sfn.send(new RedriveExecutionCommand({ executionArn }));
    await h.emulator.waitForIdle();
    expect(await describeRun(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '[{"parcel":"p-1","carrier":"DHL"}]' });
  });

  it('rejects at CreateStateMachine an inner scope assigning an outer variable, bad names, and Assign where AWS has none', async () => {
    const rejected: Array<[object, string]> = [
      [
        {
          StartAt: 'Set',
          States: {
            Set: { Type: 'Pass', Assign: { total: 0 }, Next: 'Each' },
            Each: { Type: 'Map', ItemProcessor: { StartAt: 'Add', States: { Add: { Type: 'Pass', Assign: { total: 1 }, End: true } } }, End: true },
          },
        },
        'State "Add" assigns $total, which an outer scope assigns: a Parallel branch or Map iteration can read outer variables but not assign them at /States/Each/ItemProcessor/States/Add/Assign/total',
      ],
      [{ StartAt: 'A', States: { A: { Type: 'Pass', Assign: { '1st': 1 }, End: true } } }, 'INVALID_VARIABLE_NAME: State "A" assigns "1st"'],
      [{ StartAt: 'A', States: { A: { Type: 'Pass', Assign: { 'states.$': '$' }, End: true } } }, 'State "A" assigns "states", which is not a variable name'],
      [{ StartAt: 'A', States: { A: { Type: 'Succeed', Assign: { x: 1 } } } }, 'Field "Assign" is not supported for Succeed state "A" at /States/A/Assign'],
      [{ StartAt: 'A', States: { A: { Type: 'Pass', Assign: { 'x.$': 'nope' }, End: true } } }, 'INVALID_JSON_PATH: State "A" Assign field "x.$" "nope" is not a valid path at /States/A/Assign/x.$'],
      [{ StartAt: 'A', States: { A: { Type: 'Pass', ResultPath: '$x', End: true } } }, 'State "A" ResultPath "$x" cannot name a variable'],
    ];
    for (const [definition, message] of rejected) {
      const error = await errorOf(h.createMachine('bad', definition));
      expect([error.name, error.message]).toEqual(['InvalidDefinition', expect.stringContaining(message)]);
    }
  });
});

/**
 * Distributed Map in JSONata states, through the official SDK: Items, ItemSelector with
 * `$states.context.Map.Item`, ItemBatcher, MaxConcurrency and ToleratedFailure* as values or `{% %}`
 * expressions, Output and Assign, the ItemProcessor's QueryLanguage, Map Run redrive, and the
 * create-time and run-time errors (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html,
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html).
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
} from '@aws-sdk/client-sfn';
import { errorOf, ROLE_ARN, type Harness } from './harness';
import { mapRunQueries, startItemWorkHarness, type ItemWork } from './item-work';

const WORK = { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:work', End: true };

/** A JSONata machine whose Distributed Map `Fan` runs `Work` (after `childStates`, if any) for each item. */
function jsonataMap(fields: Record<string, unknown>, childStates: Record<string, unknown> = {}, after?: Record<string, unknown>) {
  return {
    QueryLanguage: 'JSONata',
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        Label: 'Orders',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: Object.keys(childStates)[0] ?? 'Work',
          States: { ...childStates, Work: WORK },
        },
        ...fields,
        ...(after ? { Next: 'After' } : { End: true }),
      },
      ...(after ? { After: after } : {}),
    },
  };
}

describe('Distributed Map in a JSONata state', () => {
  let h: Harness;
  let work: ItemWork;
  beforeEach(async () => ({ h, work } = await startItemWorkHarness()));
  afterEach(() => h.close());
  const { history, mapRunOf } = mapRunQueries(() => h);

  const create = (definition: object) => h.sfn.send(new CreateStateMachineCommand({ name: 'bad', roleArn: ROLE_ARN, definition: JSON.stringify(definition) }));
  const orders = (n: number) => Array.from({ length: n }, (_, id) => ({ id }));

  it('evaluates Items, ItemSelector with $states.context.Map.Item, MaxConcurrency, Output and Assign; the children run JSONata, like the machine', async () => {
    const definition = jsonataMap(
      {
        Items: '{% $states.input.orders %}',
        ItemSelector: { id: '{% $states.context.Map.Item.Value.id %}', index: '{% $states.context.Map.Item.Index %}', batch: '{% $states.input.batch %}' },
        MaxConcurrency: '{% $states.input.width %}',
        Output: { count: '{% $count($states.result) %}', results: '{% $states.result %}' },
        Assign: { shipped: '{% $count($states.result) %}' },
      },
      // No QueryLanguage in the child: it follows the machine's (JSONata), so Output is evaluated.
      { Tag: { Type: 'Pass', Output: '{% $merge([$states.input, {"child": true}]) %}', Next: 'Work' } },
      { Type: 'Pass', Output: { shipped: '{% $shipped %}', first: '{% $states.input.results[0] %}' }, End: true },
    );
    const { executionArn, describe } = await h.run(definition, { batch: 'b-1', width: 2, orders: orders(4) }, 'dmap-jsonata');
    expect(await describe()).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify({ shipped: 4, first: { done: { id: 0, index: 0, batch: 'b-1', child: true } } }) });
    expect(work.mostAtOnce).toBe(2);
    const events = await history(executionArn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'MapRunStarted', 'MapRunSucceeded', 'MapStateSucceeded', 'MapStateExited',
      'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded',
    ]);
    expect(events[2].mapStateStartedEventDetails).toEqual({ length: 4 });
    const exited = events[6].stateExitedEventDetails!;
    expect(JSON.parse(exited.output!)).toEqual({ count: 4, results: [0, 1, 2, 3].map((id) => ({ done: { id, index: id, batch: 'b-1', child: true } })) });
    expect(exited.assignedVariables).toEqual({ shipped: '4' });
    expect(await h.sfn.send(new DescribeMapRunCommand({ mapRunArn: await mapRunOf(executionArn) }))).toMatchObject({
      status: 'SUCCEEDED',
      maxConcurrency: 2,
      itemCounts: { succeeded: 4, total: 4 },
    });
  });

  it('batches with JSONata MaxItemsPerBatch, MaxInputBytesPerBatch and BatchInput; Items may be a literal array', async () => {
    const byCount = jsonataMap({
      Items: '{% $states.input.orders %}',
      ItemBatcher: { MaxItemsPerBatch: '{% $states.input.size %}', BatchInput: { batch: '{% $states.input.batch %}', fixed: 1 } },
    });
    const counted = await h.run(byCount, { batch: 'b-2', size: 3, orders: orders(7) }, 'dmap-count');
    expect(JSON.parse((await counted.describe()).output!)).toEqual([
      { done: { Items: [{ id: 0 }, { id: 1 }, { id: 2 }], BatchInput: { batch: 'b-2', fixed: 1 } } },
      { done: { Items: [{ id: 3 }, { id: 4 }, { id: 5 }], BatchInput: { batch: 'b-2', fixed: 1 } } },
      { done: { Items: [{ id: 6 }], BatchInput: { batch: 'b-2', fixed: 1 } } },
    ]);
    const mapRun = await h.sfn.send(new DescribeMapRunCommand({ mapRunArn: await mapRunOf(counted.executionArn) }));
    expect([mapRun.itemCounts?.total, mapRun.executionCounts?.total]).toEqual([7, 3]);

    // `["aaaa","bbbb"]` is 15 bytes: two such items fit in 16, a third does not. BatchInput as one expression.
    const bySize = jsonataMap({ Items: ['aaaa', 'bbbb', 'cccc'], ItemBatcher: { MaxInputBytesPerBatch: '{% 8 * 2 %}', BatchInput: '{% {"from": $states.input.who} %}' } });
    const sized = await h.run(bySize, { who: 'me' }, 'dmap-bytes');
    expect((await sized.describe()).output).toBe(
      JSON.stringify([{ done: { Items: ['aaaa', 'bbbb'], BatchInput: { from: 'me' } } }, { done: { Items: ['cccc'], BatchInput: { from: 'me' } } }]),
    );
  });

  it('fails on a ToleratedFailureCount expression and redrives the Map Run with the parent, as for JSONPath', async () => {
    work.failFirst = new Set([1, 3]);
    const definition = jsonataMap({ Items: '{% $states.input.orders %}', ToleratedFailureCount: '{% $states.input.tolerate %}', MaxConcurrency: 1 });
    const { executionArn, describe } = await h.run(definition, { tolerate: 1, orders: orders(5) }, 'dmap-tolerate');
    const cause = 'The specified tolerated failure threshold was exceeded';
    expect(await describe()).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold', cause });
    const mapRunArn = await mapRunOf(executionArn);
    expect(await h.sfn.send(new DescribeMapRunCommand({ mapRunArn }))).toMatchObject({
      status: 'FAILED',
      toleratedFailureCount: 1,
      toleratedFailurePercentage: 0,
      itemCounts: { pending: 1, succeeded: 2, failed: 2, total: 5 },
    });

    await h.sfn.send(new RedriveExecutionCommand({ executionArn }));
    await h.emulator.waitForIdle();
    expect(await describe()).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, output: JSON.stringify(orders(5).map((item) => ({ done: item }))) });
    // Items 1 and 3 failed and ran twice; item 4 never started and ran once; the others were not rerun.
    expect([...work.calls.values()]).toEqual([1, 2, 1, 2, 1]);
    const events = await history(executionArn);
    const redriven = events.find((e) => e.type === 'MapRunRedriven')!;
    expect(redriven.mapRunRedrivenEventDetails).toEqual({ mapRunArn, redriveCount: 1 });
    expect(events.slice(events.indexOf(redriven)).map((e) => e.type)).toEqual(['MapRunRedriven', 'MapRunSucceeded', 'MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
    expect(await h.sfn.send(new DescribeMapRunCommand({ mapRunArn }))).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, itemCounts: { succeeded: 5, failed: 0, total: 5 } });
  });

  it('tolerates failures up to a ToleratedFailurePercentage expression', async () => {
    work.failFirst = new Set([2]);
    const { executionArn, describe } = await h.run(jsonataMap({ Items: '{% $states.input.orders %}', ToleratedFailurePercentage: '{% 10 * 2 %}' }), { orders: orders(5) }, 'dmap-pct');
    expect(await describe()).toMatchObject({ status: 'SUCCEEDED', output: '[{"done":{"id":0}},{"done":{"id":1}},null,{"done":{"id":3}},{"done":{"id":4}}]' });
    expect(await h.sfn.send(new DescribeMapRunCommand({ mapRunArn: await mapRunOf(executionArn) }))).toMatchObject({ toleratedFailurePercentage: 20, toleratedFailureCount: 0 });
  });

  it('fails with States.QueryEvaluationError (EvaluationFailed, catchable) when Items is not an array or a number is out of range, before any Map Run', async () => {
    const items = await h.run(jsonataMap({ Items: '{% $states.input.orders %}' }), { orders: { id: 1 } }, 'dmap-items');
    const itemsCause = "An error occurred while executing the state 'Fan' (entered at the event id #2). The Items field of the Map state 'Fan' did not give an array.";
    expect(await items.describe()).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError', cause: itemsCause });
    const events = await history(items.executionArn);
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'MapStateEntered', 'EvaluationFailed', 'ExecutionFailed']);
    expect(events[2].evaluationFailedEventDetails).toEqual({ state: 'Fan', error: 'States.QueryEvaluationError', cause: itemsCause, location: 'Items' });
    expect((await h.sfn.send(new ListMapRunsCommand({ executionArn: items.executionArn }))).mapRuns).toEqual([]);

    const causeOf = async (fields: Record<string, unknown>, machine: string) => (await (await h.run(jsonataMap({ Items: [1], ...fields }), {}, machine)).describe()).cause;
    expect(await causeOf({ ToleratedFailurePercentage: '{% 150 %}' }, 'dmap-pct-range')).toBe(
      "An error occurred while executing the state 'Fan' (entered at the event id #2). The ToleratedFailurePercentage field of the Map state 'Fan' did not give a number from 0 to 100.",
    );
    expect(await causeOf({ ToleratedFailureCount: '{% 1.5 %}' }, 'dmap-count-range')).toBe(
      "An error occurred while executing the state 'Fan' (entered at the event id #2). The ToleratedFailureCount field of the Map state 'Fan' did not give a non-negative integer.",
    );
    expect(await causeOf({ ItemBatcher: { MaxItemsPerBatch: '{% 0 %}' } }, 'dmap-batch-range')).toBe(
      "An error occurred while executing the state 'Fan' (entered at the event id #2). The ItemBatcher/MaxItemsPerBatch field of the Map state 'Fan' did not give a positive integer.",
    );
    expect(await causeOf({ ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { x: '{% $states.input.missing %}' } } }, 'dmap-batch-input')).toBe(
      "An error occurred while executing the state 'Fan' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'ItemBatcher/BatchInput/x' returned nothing (undefined).",
    );

    const caught = jsonataMap(
      { Items: '{% $states.input.orders %}', Catch: [{ ErrorEquals: ['States.QueryEvaluationError'], Output: { error: '{% $states.errorOutput.Error %}' }, Next: 'After' }] },
      {},
      { Type: 'Pass', End: true },
    );
    expect(await (await h.run(caught, { orders: 'none' }, 'dmap-caught')).describe()).toMatchObject({ status: 'SUCCEEDED', output: '{"error":"States.QueryEvaluationError"}' });
  });

  it("runs the children in the ItemProcessor's QueryLanguage, else the machine's, whatever the Map state's own", async () => {
    // A JSONPath machine whose Map state alone is JSONata: without a QueryLanguage of their own the children are JSONPath.
    const jsonPathMachine = (processorLanguage?: string, child: Record<string, unknown> = {}) => ({
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          QueryLanguage: 'JSONata',
          Items: '{% $states.input.orders %}',
          ItemProcessor: { ...(processorLanguage ? { QueryLanguage: processorLanguage } : {}), ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }, StartAt: 'Shape', States: { Shape: child } },
          End: true,
        },
      },
    });
    const inherited = await h.run(jsonPathMachine(undefined, { Type: 'Pass', Parameters: { 'twice.$': 'States.MathAdd($.id, $.id)' }, End: true }), { orders: orders(2) }, 'dmap-inherit');
    expect((await inherited.describe()).output).toBe('[{"twice":0},{"twice":2}]');
    const own = await h.run(jsonPathMachine('JSONata', { Type: 'Pass', Output: { twice: '{% $states.input.id * 2 %}' }, End: true }), { orders: orders(2) }, 'dmap-own');
    expect((await own.describe()).output).toBe('[{"twice":0},{"twice":2}]');
    // Under the JSONata processor, a JSONPath field in a child is refused at create time.
    expect((await errorOf(create(jsonPathMachine('JSONata', { Type: 'Pass', Parameters: {}, End: true })))).message).toContain(
      "SCHEMA_VALIDATION_FAILED: State \"Shape\": The QueryLanguage is set to 'JSONata', but field 'Parameters' is only supported for the 'JSONPath' QueryLanguage at /States/Fan/ItemProcessor/States/Shape/Parameters",
    );
  });

  it("passes the parent's variables to the children through ItemSelector only: a child starts with no variables", async () => {
    const machine = (child: Record<string, unknown>) => ({
      QueryLanguage: 'JSONata',
      StartAt: 'Remember',
      States: {
        Remember: { Type: 'Pass', Assign: { tag: 'T-1' }, Next: 'Fan' },
        Fan: {
          Type: 'Map',
          Items: [1],
          ItemSelector: { tag: '{% $tag %}' },
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Read', States: { Read: child } },
          End: true,
        },
      },
    });
    const passed = await h.run(machine({ Type: 'Pass', Output: '{% $states.input.tag %}', End: true }), {}, 'dmap-vars');
    expect((await passed.describe()).output).toBe('["T-1"]');
    const unread = await h.run(machine({ Type: 'Pass', Output: '{% $tag %}', End: true }), {}, 'dmap-no-vars');
    expect(await unread.describe()).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    const [child] = (await h.sfn.send(new ListExecutionsCommand({ mapRunArn: await mapRunOf(unread.executionArn) }))).executions!;
    expect(await h.sfn.send(new DescribeExecutionCommand({ executionArn: child.executionArn }))).toMatchObject({
      status: 'FAILED',
      error: 'States.QueryEvaluationError',
      cause: "An error occurred while executing the state 'Read' (entered at the event id #2). The JSONata expression '$tag' specified for the field 'Output' returned nothing (undefined).",
    });
  });

  it('refuses at create time, naming the state, field and JSON pointer, the fields a JSONata Distributed Map does not take', async () => {
    const messageOf = async (fields: Record<string, unknown>) => (await errorOf(create(jsonataMap(fields)))).message;
    const jsonPathOnly = (field: string, at: string) =>
      `SCHEMA_VALIDATION_FAILED: State "Fan": The QueryLanguage is set to 'JSONata', but field '${field}' is only supported for the 'JSONPath' QueryLanguage at /States/Fan${at}`;
    expect(await messageOf({ ItemsPath: '$.orders' })).toContain(jsonPathOnly('ItemsPath', '/ItemsPath'));
    expect(await messageOf({ ToleratedFailureCountPath: '$.n' })).toContain(jsonPathOnly('ToleratedFailureCountPath', '/ToleratedFailureCountPath'));
    expect(await messageOf({ ToleratedFailurePercentagePath: '$.n' })).toContain(jsonPathOnly('ToleratedFailurePercentagePath', '/ToleratedFailurePercentagePath'));
    expect(await messageOf({ MaxConcurrencyPath: '$.n' })).toContain(jsonPathOnly('MaxConcurrencyPath', '/MaxConcurrencyPath'));
    expect(await messageOf({ ItemBatcher: { MaxItemsPerBatchPath: '$.n' } })).toContain(jsonPathOnly('MaxItemsPerBatchPath', '/ItemBatcher/MaxItemsPerBatchPath'));
    expect(await messageOf({ ResultSelector: {} })).toContain(jsonPathOnly('ResultSelector', '/ResultSelector'));
    expect(await messageOf({ Arguments: { a: 1 } })).toContain('SCHEMA_VALIDATION_FAILED: Field "Arguments" is not supported for Map state "Fan" at /States/Fan/Arguments');
    expect(await messageOf({ Items: 5 })).toContain('SCHEMA_VALIDATION_FAILED: Items must be an array or a JSONata expression at /States/Fan/Items');
    expect(await messageOf({ ToleratedFailurePercentage: 'most' })).toContain('SCHEMA_VALIDATION_FAILED: ToleratedFailurePercentage must be a number from 0 to 100 at /States/Fan/ToleratedFailurePercentage');
    expect(await messageOf({ ToleratedFailureCount: -1 })).toContain('SCHEMA_VALIDATION_FAILED: ToleratedFailureCount must be a non-negative integer at /States/Fan/ToleratedFailureCount');
    expect(await messageOf({ ItemBatcher: { MaxInputBytesPerBatch: 0 } })).toContain('SCHEMA_VALIDATION_FAILED: MaxInputBytesPerBatch must be a positive integer at /States/Fan/ItemBatcher/MaxInputBytesPerBatch');
    expect(await messageOf({ ItemBatcher: { BatchInput: {} } })).toContain('SCHEMA_VALIDATION_FAILED: ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch at /States/Fan/ItemBatcher');
    expect(await messageOf({ ItemBatcher: { MaxItemsPerBatch: '{% $states.input.n + %}' } })).toMatch(/INVALID_JSONATA_EXPRESSION: .* at \/States\/Fan\/ItemBatcher\/MaxItemsPerBatch/);
    expect(await messageOf({ ItemSelector: { v: '{% value %}' } })).toContain(
      "UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'value' at the top level is not supported. at /States/Fan/ItemSelector/v",
    );

    const withProcessorLanguage = (language: string, mode = 'DISTRIBUTED') => {
      const definition = jsonataMap({});
      Object.assign(definition.States.Fan.ItemProcessor, { QueryLanguage: language, ProcessorConfig: { Mode: mode, ...(mode === 'DISTRIBUTED' ? { ExecutionType: 'STANDARD' } : {}) } });
      return definition;
    };
    expect((await errorOf(create(withProcessorLanguage('JSONPath')))).message).toContain(
      "SCHEMA_VALIDATION_FAILED: State \"Fan\": 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine at /States/Fan/ItemProcessor/QueryLanguage",
    );
    expect((await errorOf(create(withProcessorLanguage('YAML')))).message).toContain(
      'SCHEMA_VALIDATION_FAILED: State "Fan": Value should be one of the following: [JSONPath, JSONata] at /States/Fan/ItemProcessor/QueryLanguage',
    );
    expect((await errorOf(create(withProcessorLanguage('JSONata', 'INLINE')))).message).toContain(
      'SCHEMA_VALIDATION_FAILED: Map state "Fan": Field "QueryLanguage" is only supported in the ItemProcessor of a Map state in DISTRIBUTED mode at /States/Fan/ItemProcessor/QueryLanguage',
    );
  });
});

import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateMapRunCommand,
} from '@aws-sdk/client-sfn';
import { distributedMap } from '../../support/sfn-definitions';
import { errorOf, ROLE_ARN, START_MS, type Harness } from './harness';
import { mapRunQueries, startItemWorkHarness, type ItemWork } from './item-work';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:dmap';

describe('Distributed Map', () => {
  let h: Harness;
  let work: ItemWork;
  beforeEach(async () => ({ h, work } = await startItemWorkHarness()));
  afterEach(() => h.close());
  const { history, mapRunOf } = mapRunQueries(() => h);

  const describe_ = (executionArn: string) => h.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const children = async (mapRunArn: string) => (await h.sfn.send(new ListExecutionsCommand({ mapRunArn, maxResults: 1000 }))).executions!;
  const items = (n: number) => Array.from({ length: n }, (_, id) => ({ id }));

  it('runs each item as a Standard child of a Map Run, at most MaxConcurrency at once, and outputs the child outputs in item order', async () => {
    const definition = distributedMap({ MaxConcurrency: 2, ItemSelector: { 'id.$': '$$.Map.Item.Value.id', 'index.$': '$$.Map.Item.Index', 'batch.$': '$.batch' } });
    const { executionArn, describe } = await h.run(definition, { batch: 'b-1', items: items(5) }, 'dmap');
    const expectedOutputs = [0, 1, 2, 3, 4].map((id) => ({ done: { id, index: id, batch: 'b-1' } }));
    expect(await describe()).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify(expectedOutputs) });
    expect(work.mostAtOnce).toBe(2);

    const mapRunArn = await mapRunOf(executionArn);
    expect(mapRunArn).toMatch(new RegExp(`^arn:aws:states:us-east-1:123456789012:mapRun:dmap/Orders:${UUID}$`));
    const events = await history(executionArn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'MapRunStarted', 'MapRunSucceeded', 'MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded',
    ]);
    expect(events[2].mapStateStartedEventDetails).toEqual({ length: 5 });
    expect(events[3].mapRunStartedEventDetails).toEqual({ mapRunArn });

    const listed = await children(mapRunArn);
    expect(listed).toHaveLength(5);
    for (const child of listed) {
      expect(child.executionArn).toMatch(new RegExp(`^arn:aws:states:us-east-1:123456789012:execution:dmap/Orders:${UUID}$`));
      expect(child).toMatchObject({ stateMachineArn: `${MACHINE_ARN}/Orders`, mapRunArn, status: 'SUCCEEDED', redriveCount: 0 });
    }
    const child = await describe_(listed[0].executionArn!);
    expect(child).toMatchObject({ status: 'SUCCEEDED', mapRunArn, stateMachineArn: `${MACHINE_ARN}/Orders`, redriveStatus: 'NOT_REDRIVABLE' });
    // The parent's own machine lists the parent only: children belong to the Map Run.
    expect((await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN }))).executions!.map((e) => e.executionArn)).toEqual([executionArn]);
    // Standard children send status events, like any Standard execution.
    const childEvents = h.events.filter((e) => e.detail.stateMachineArn === `${MACHINE_ARN}/Orders`);
    expect(childEvents.map((e) => e.detail.status).sort()).toEqual([...Array(5).fill('RUNNING'), ...Array(5).fill('SUCCEEDED')]);

    const counts = { pending: 0, running: 0, succeeded: 5, failed: 0, timedOut: 0, aborted: 0, total: 5, resultsWritten: 0, failuresNotRedrivable: 0, pendingRedrive: 0 };
    expect(await h.sfn.send(new DescribeMapRunCommand({ mapRunArn }))).toMatchObject({
      mapRunArn,
      executionArn,
      status: 'SUCCEEDED',
      startDate: new Date(START_MS),
      stopDate: new Date(START_MS),
      maxConcurrency: 2,
      toleratedFailurePercentage: 0,
      toleratedFailureCount: 0,
      itemCounts: counts,
      executionCounts: counts,
      redriveCount: 0,
    });
  });

  it('batches items into {Items, BatchInput} child inputs by MaxItemsPerBatch and MaxInputBytesPerBatch', async () => {
    const byCount = distributedMap({ ItemBatcher: { MaxItemsPerBatch: 3, BatchInput: { 'batch.$': '$.batch' } } });
    const { executionArn, describe } = await h.run(byCount, { batch: 'b-2', items: items(7) }, 'dmap');
    expect(JSON.parse((await describe()).output!)).toEqual([
      { done: { Items: [{ id: 0 }, { id: 1 }, { id: 2 }], BatchInput: { batch: 'b-2' } } },
      { done: { Items: [{ id: 3 }, { id: 4 }, { id: 5 }], BatchInput: { batch: 'b-2' } } },
      { done: { Items: [{ id: 6 }], BatchInput: { batch: 'b-2' } } },
    ]);
    const mapRun = await h.sfn.send(new DescribeMapRunCommand({ mapRunArn: await mapRunOf(executionArn) }));
    expect([mapRun.itemCounts?.total, mapRun.itemCounts?.succeeded, mapRun.executionCounts?.total]).toEqual([7, 7, 3]);

    // `["aaaa","bbbb"]` is 15 bytes: two such items fit in 16, a third does not.
    const bySize = distributedMap({ ItemBatcher: { MaxInputBytesPerBatch: 16 } });
    const sized = await h.run(bySize, { items: ['aaaa', 'bbbb', 'cccc'] }, 'dmap-bytes');
    expect(JSON.parse((await sized.describe()).output!)).toEqual([{ done: { Items: ['aaaa', 'bbbb'] } }, { done: { Items: ['cccc'] } }]);
  });

  it('fails the Map Run with States.ExceedToleratedFailureThreshold once failures exceed ToleratedFailureCount', async () => {
    work.failFirst = new Set([1, 3]);
    const { executionArn, describe } = await h.run(distributedMap({ ToleratedFailureCount: 1, MaxConcurrency: 1 }), { items: items(5) }, 'dmap');
    const cause = 'The specified tolerated failure threshold was exceeded';
    expect(await describe()).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold', cause });
    const events = await history(executionArn);
    expect(events.slice(-4).map((e) => e.type)).toEqual(['MapRunStarted', 'MapRunFailed', 'MapStateFailed', 'ExecutionFailed']);
    expect(events[events.length - 3].mapRunFailedEventDetails).toEqual({ error: 'States.ExceedToleratedFailureThreshold', cause });
    const mapRunArn = await mapRunOf(executionArn);
    // One at a time: items 0-3 ran, the second failure (item 3) stopped the Map Run before item 4 started.
    expect(await h.sfn.send(new DescribeMapRunCommand({ mapRunArn }))).toMatchObject({
      status: 'FAILED',
      toleratedFailureCount: 1,
      itemCounts: { pending: 1, running: 0, succeeded: 2, failed: 2, aborted: 0, total: 5 },
    });
    const failed = (await h.sfn.send(new ListExecutionsCommand({ mapRunArn, statusFilter: 'FAILED' }))).executions!;
    expect(failed).toHaveLength(2);
    expect(await describe_(failed[0].executionArn!)).toMatchObject({ status: 'FAILED', error: 'Item.Transient', redriveStatus: 'REDRIVABLE_BY_MAP_RUN' });
  });

  it('tolerates failures up to ToleratedFailurePercentage, a failed child giving null in the output', async () => {
    work.failFirst = new Set([2]);
    const { describe } = await h.run(distributedMap({ ToleratedFailurePercentage: 20 }), { items: items(5) }, 'dmap');
    expect(await describe()).toMatchObject({ status: 'SUCCEEDED', output: '[{"done":{"id":0}},{"done":{"id":1}},null,{"done":{"id":3}},{"done":{"id":4}}]' });
  });

  it('redrives the failed Map Run with the parent: only unsuccessful children run again, Standard ones through a redrive', async () => {
    work.failFirst = new Set([1, 3]);
    const { executionArn } = await h.run(distributedMap({ ToleratedFailureCount: 1, MaxConcurrency: 1 }), { items: items(5) }, 'dmap');
    const mapRunArn = await mapRunOf(executionArn);
    const failedChild = (await h.sfn.send(new ListExecutionsCommand({ mapRunArn, statusFilter: 'FAILED' }))).executions![0].executionArn!;
    expect((await errorOf(h.sfn.send(new RedriveExecutionCommand({ executionArn: failedChild }))))).toMatchObject({
      name: 'ExecutionNotRedrivable',
      message: 'Execution can only be redriven by redriving the Map Run that started it',
    });

    await h.clock.advance(60_000);
    await h.sfn.send(new RedriveExecutionCommand({ executionArn }));
    await h.emulator.waitForIdle();
    expect(await describe_(executionArn)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, output: JSON.stringify(items(5).map((item) => ({ done: item }))) });
    // Items 1 and 3 failed and ran twice; item 4 never started and ran once; the others were not rerun.
    expect([...work.calls.values()]).toEqual([1, 2, 1, 2, 1]);
    const events = await history(executionArn);
    const redriven = events.find((e) => e.type === 'MapRunRedriven');
    expect(redriven?.mapRunRedrivenEventDetails).toEqual({ mapRunArn, redriveCount: 1 });
    expect(events.slice(events.indexOf(redriven!)).map((e) => e.type)).toEqual(['MapRunRedriven', 'MapRunSucceeded', 'MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
    expect(await describe_(failedChild)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, redriveDate: new Date(START_MS + 60_000) });
    expect((await history(failedChild)).map((e) => e.type)).toContain('ExecutionRedriven');
    expect(await h.sfn.send(new DescribeMapRunCommand({ mapRunArn }))).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      redriveDate: new Date(START_MS + 60_000),
      itemCounts: { succeeded: 5, failed: 0, pending: 0, pendingRedrive: 0, total: 5 },
      executionCounts: { succeeded: 5, total: 5 },
    });
    expect(await children(mapRunArn)).toHaveLength(5);
  });

  it('fails the Map state with States.Runtime once its Map Run was redriven 1,000 times', async () => {
    work.failAlways = new Set([0]);
    const { executionArn } = await h.run(distributedMap(), { items: items(1) }, 'dmap');
    const mapRunArn = await mapRunOf(executionArn);
    for (let redrive = 1; redrive <= 1000; redrive++) {
      await h.sfn.send(new RedriveExecutionCommand({ executionArn }));
      await h.emulator.waitForIdle();
    }
    expect(await h.sfn.send(new DescribeMapRunCommand({ mapRunArn }))).toMatchObject({ status: 'FAILED', redriveCount: 1000 });
    await h.sfn.send(new RedriveExecutionCommand({ executionArn }));
    await h.emulator.waitForIdle();
    expect(await describe_(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.Runtime', redriveCount: 1001 });
    expect((await describe_(executionArn)).cause).toContain(`The Map Run ${mapRunArn} reached its limit of 1000 redrives`);
    expect(await h.sfn.send(new DescribeMapRunCommand({ mapRunArn }))).toMatchObject({ status: 'FAILED', redriveCount: 1000 });
  });

  it('starts unsuccessful Express children again on a redrive, under new ARNs, and sends no status events for them', async () => {
    work.failFirst = new Set([0]);
    const { executionArn } = await h.run(distributedMap({}, 'EXPRESS'), { items: items(2) }, 'dmap');
    expect((await describe_(executionArn)).status).toBe('FAILED');
    const mapRunArn = await mapRunOf(executionArn);
    const firstRun = await children(mapRunArn);
    for (const child of firstRun) expect(child.executionArn).toMatch(new RegExp(`^arn:aws:states:us-east-1:123456789012:express:dmap/Orders:${UUID}:${UUID}$`));
    await h.sfn.send(new RedriveExecutionCommand({ executionArn }));
    await h.emulator.waitForIdle();
    expect((await describe_(executionArn)).status).toBe('SUCCEEDED');
    // Item 0 failed, so the Map Run stopped item 1 while it ran; both started again as new executions.
    const afterRedrive = await children(mapRunArn);
    expect(afterRedrive.map((e) => e.status).sort()).toEqual(['ABORTED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(afterRedrive.map((e) => e.redriveCount)).toEqual([0, 0, 0, 0]);
    expect([...work.calls.values()]).toEqual([2, 2]);
    expect(h.events.filter((e) => e.detail.stateMachineArn.endsWith('/Orders'))).toEqual([]);
  });

  it('applies UpdateMapRun to a running Map Run, and aborts it with its children when the parent is stopped', async () => {
    const waitFirst = { Hold: { Type: 'Wait', Seconds: 10, Next: 'Work' } };
    const { executionArn } = await h.run(distributedMap({ MaxConcurrency: 1 }, 'STANDARD', waitFirst), { items: items(4) }, 'dmap');
    const mapRunArn = await mapRunOf(executionArn);
    const executionCounts = async () => (await h.sfn.send(new DescribeMapRunCommand({ mapRunArn }))).executionCounts;
    expect(await executionCounts()).toMatchObject({ running: 1, pending: 3 });
    await h.sfn.send(new UpdateMapRunCommand({ mapRunArn, maxConcurrency: 3, toleratedFailurePercentage: 50 }));
    await h.emulator.waitForIdle();
    expect(await h.sfn.send(new DescribeMapRunCommand({ mapRunArn }))).toMatchObject({ maxConcurrency: 3, toleratedFailurePercentage: 50, executionCounts: { running: 3, pending: 1 } });
    await h.sfn.send(new StopExecutionCommand({ executionArn }));
    await h.emulator.waitForIdle();
    expect(await h.sfn.send(new DescribeMapRunCommand({ mapRunArn }))).toMatchObject({ status: 'ABORTED', executionCounts: { aborted: 3, pending: 1 } });
  });

  it('answers InvalidArn, ResourceNotFound, ValidationException and ExecutionDoesNotExist from the Map Run APIs', async () => {
    const { executionArn } = await h.run(distributedMap(), { items: items(1) }, 'dmap');
    const mapRunArn = await mapRunOf(executionArn);
    expect((await errorOf(h.sfn.send(new DescribeMapRunCommand({ mapRunArn: executionArn })))).name).toBe('InvalidArn');
    expect((await errorOf(h.sfn.send(new DescribeMapRunCommand({ mapRunArn: `${mapRunArn.slice(0, -4)}0000` })))).name).toBe('ResourceNotFound');
    expect((await errorOf(h.sfn.send(new UpdateMapRunCommand({ mapRunArn, toleratedFailurePercentage: 101 })))).name).toBe('ValidationException');
    expect((await errorOf(h.sfn.send(new UpdateMapRunCommand({ mapRunArn, maxConcurrency: -1 })))).name).toBe('ValidationException');
    expect((await errorOf(h.sfn.send(new ListMapRunsCommand({ executionArn: `${executionArn}-ghost` })))).name).toBe('ExecutionDoesNotExist');
    expect((await h.sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns).toEqual([
      { executionArn, mapRunArn, stateMachineArn: `${MACHINE_ARN}/Orders`, startDate: new Date(START_MS), stopDate: new Date(START_MS) },
    ]);
  });

  it('refuses at create time what it does not run: ItemReader, ResultWriter, a missing ExecutionType, Distributed fields on an inline Map', async () => {
    const create = (definition: object) => h.sfn.send(new CreateStateMachineCommand({ name: 'bad', roleArn: ROLE_ARN, definition: JSON.stringify(definition) }));
    const reader = await errorOf(create(distributedMap({ ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b', Key: 'k' } } })));
    expect(reader.name).toBe('InvalidDefinition');
    expect(reader.message).toContain('UNSUPPORTED_FEATURE: State "Fan" (Map): distributed Map ItemReader is not supported (no S3: items come from the state input through ItemsPath or Items) at /States/Fan/ItemReader');
    expect((await errorOf(create(distributedMap({ ResultWriter: { Resource: 'arn:aws:states:::s3:putObject' } })))).message).toContain('at /States/Fan/ResultWriter');
    expect((await errorOf(create(distributedMap({}, 'BULK')))).message).toContain(
      'SCHEMA_VALIDATION_FAILED: ProcessorConfig.ExecutionType must be STANDARD or EXPRESS in DISTRIBUTED mode at /States/Fan/ItemProcessor/ProcessorConfig/ExecutionType',
    );
    const inline = { StartAt: 'M', States: { M: { Type: 'Map', Label: 'x', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true } } };
    expect((await errorOf(create(inline))).message).toContain('SCHEMA_VALIDATION_FAILED: Field "Label" is only supported for a Map state in DISTRIBUTED mode at /States/M/Label');
    const unknownStart = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: await h.createMachine('ok', distributedMap()), input: '{"items":[]}' }));
    await h.emulator.waitForIdle();
    expect(await describe_(unknownStart.executionArn!)).toMatchObject({ status: 'SUCCEEDED', output: '[]' });
  });
});

import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-sfn';
import { errorOf, passThenTask, ROLE_ARN, START_MS, startHarness, type Harness } from './harness';

const waitForever = { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 3600, End: true } } };
const passOnly = { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } };

describe('SFN emulator API conformance', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ taskHandlers: { worker: async (input) => ({ echoed: input }) } });
  });
  afterEach(() => h.close());

  async function rawCall(operation: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(h.emulator.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${operation}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  describe('state machines', () => {
    it('creates, describes and lists state machines; same config is idempotent, another is StateMachineAlreadyExists', async () => {
      const arn = await h.createMachine('orders', passOnly);
      expect(arn).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:orders');
      expect(await h.createMachine('orders', passOnly)).toBe(arn);
      const conflict = await errorOf(h.createMachine('orders', waitForever));
      expect(conflict.name).toBe('StateMachineAlreadyExists');
      const described = await h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
      expect(described).toMatchObject({ name: 'orders', status: 'ACTIVE', type: 'STANDARD', roleArn: ROLE_ARN, definition: JSON.stringify(passOnly) });
      expect(described.creationDate?.getTime()).toBe(START_MS);
      await h.createMachine('billing', passOnly, 'EXPRESS');
      const page1 = await h.sfn.send(new ListStateMachinesCommand({ maxResults: 1 }));
      expect(page1.stateMachines?.map((m) => m.name)).toEqual(['orders']);
      const page2 = await h.sfn.send(new ListStateMachinesCommand({ maxResults: 1, nextToken: page1.nextToken }));
      expect(page2.stateMachines?.map((m) => [m.name, m.type])).toEqual([['billing', 'EXPRESS']]);
      expect(page2.nextToken).toBeUndefined();
    });

    it('rejects bad names, role ARNs, missing members and unknown state machines', async () => {
      expect((await errorOf(h.createMachine('has space', passOnly))).name).toBe('InvalidName');
      const badRole = await errorOf(h.sfn.send(new CreateStateMachineCommand({ name: 'x', definition: JSON.stringify(passOnly), roleArn: 'nope' })));
      expect(badRole.name).toBe('InvalidArn');
      const missing = await rawCall('CreateStateMachine', { name: 'x', roleArn: ROLE_ARN });
      expect(missing).toEqual({ status: 400, json: { __type: 'ValidationException', message: expect.stringContaining("'definition'") } });
      const unknown = await errorOf(h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:ghost' })));
      expect(unknown.name).toBe('StateMachineDoesNotExist');
      expect((await errorOf(h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: 'arn:bad' })))).name).toBe('InvalidArn');
    });

    it('accepts every name AWS accepts (dots, non-ASCII letters) and still rejects forbidden characters', async () => {
      const arn = await h.createMachine('orders.v2', waitForever);
      expect(arn).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:orders.v2');
      expect(await h.createMachine('注文', passOnly)).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:注文');
      expect((await h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).name).toBe('orders.v2');
      const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'été-1' }));
      expect(executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:orders.v2:été-1');
      expect(await h.sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ name: 'été-1', stateMachineArn: arn, status: 'RUNNING' });
      expect((await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }))).executions?.map((e) => e.name)).toEqual(['été-1']);
      for (const name of ['has space', 'a/b']) {
        expect((await errorOf(h.createMachine(name, passOnly))).name).toBe('InvalidName');
        expect((await errorOf(h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name })))).name).toBe('InvalidName');
      }
      // An unpaired surrogate and U+FFFF survive JSON (as \ud800, \uffff) and are refused.
      for (const name of ['a\ud800', 'a\uffff']) {
        expect(await rawCall('StartExecution', { stateMachineArn: arn, name })).toEqual({ status: 400, json: expect.objectContaining({ __type: 'InvalidName' }) });
      }
    });

    it('tags, untags and lists tags; an unknown resource is ResourceNotFound', async () => {
      const arn = await h.createMachine('tagged', passOnly);
      await h.sfn.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'team', value: 'a' }, { key: 'env', value: 'dev' }] }));
      await h.sfn.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['env'] }));
      expect((await h.sfn.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual([{ key: 'team', value: 'a' }]);
      const missing = await errorOf(h.sfn.send(new ListTagsForResourceCommand({ resourceArn: `${arn}x` })));
      expect(missing.name).toBe('ResourceNotFound');
    });

    it('keeps a state machine with open executions in DELETING, refuses new starts, and removes it when they close', async () => {
      const arn = await h.createMachine('doomed', waitForever);
      const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'open' }));
      await h.sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
      expect((await h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).status).toBe('DELETING');
      expect((await errorOf(h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn })))).name).toBe('StateMachineDeleting');
      await h.sfn.send(new StopExecutionCommand({ executionArn }));
      const described = await h.sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(described).toMatchObject({ status: 'ABORTED', redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'State machine is in DELETING status' });
      expect((await errorOf(h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn })))).name).toBe('StateMachineDoesNotExist');
    });
  });

  describe('executions', () => {
    it('starts, runs and describes an execution with every field, dates as epoch seconds on the wire', async () => {
      const arn = await h.createMachine('flow', passThenTask);
      h.clock.advance(1234);
      const started = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'run-1', input: '{"n":1}' }));
      expect(started.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:flow:run-1');
      expect(started.startDate?.getTime()).toBe(START_MS + 1234);
      await h.emulator.waitForIdle();
      const raw = await rawCall('DescribeExecution', { executionArn: started.executionArn });
      expect(raw.status).toBe(200);
      expect(raw.json).toEqual({
        executionArn: started.executionArn,
        stateMachineArn: arn,
        name: 'run-1',
        status: 'SUCCEEDED',
        startDate: (START_MS + 1234) / 1000,
        stopDate: (START_MS + 1234) / 1000,
        input: '{"n":1}',
        inputDetails: { included: true },
        output: JSON.stringify({ echoed: { n: 1, prepare: { step: 'prepared' } } }),
        outputDetails: { included: true },
        redriveCount: 0,
        redriveStatus: 'NOT_REDRIVABLE',
        redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
      });
      expect(String(raw.json.startDate)).toMatch(/^\d{10}\.234$/);
    });

    it('applies StartExecution name rules and idempotency', async () => {
      const arn = await h.createMachine('idem', waitForever);
      expect((await errorOf(h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'x'.repeat(81) })))).name).toBe('ValidationException');
      expect((await errorOf(h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'a/b' })))).name).toBe('InvalidName');
      expect((await errorOf(h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{oops' })))).name).toBe('InvalidExecutionInput');
      const first = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'same', input: '{"a":1}' }));
      h.clock.advance(5000);
      const again = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'same', input: '{"a":1}' }));
      expect(again.startDate).toEqual(first.startDate);
      expect(h.emulator.stats().executions.total).toBe(1);
      const otherInput = await errorOf(h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'same', input: '{"a":2}' })));
      expect(otherInput.name).toBe('ExecutionAlreadyExists');
      await h.sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
      const closed = await errorOf(h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'same', input: '{"a":1}' })));
      expect(closed.name).toBe('ExecutionAlreadyExists');
      const ghost = await errorOf(h.sfn.send(new StartExecutionCommand({ stateMachineArn: `${arn}-ghost` })));
      expect(ghost.name).toBe('StateMachineDoesNotExist');
    });

    it('StopExecution aborts with error and cause, records ExecutionAborted and emits ABORTED', async () => {
      const arn = await h.createMachine('stoppable', waitForever);
      const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 's' }));
      h.clock.advance(2000);
      const stopped = await h.sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'manual stop' }));
      expect(stopped.stopDate?.getTime()).toBe(START_MS + 2000);
      await h.emulator.waitForIdle();
      expect(await h.sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'manual stop', redriveStatus: 'REDRIVABLE' });
      const history = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
      expect(history.events?.[0]).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Operator', cause: 'manual stop' } });
      expect(h.clock.pendingTimers()).toBe(0);
      expect(h.events.map((e) => e.detail.status)).toEqual(['RUNNING', 'ABORTED']);
      expect(h.events[1].detail).toMatchObject({ startDate: START_MS, stopDate: START_MS + 2000, error: 'Operator', redriveStatus: 'REDRIVABLE' });
    });

    it('emits status events shaped like EventBridge, with epoch-millisecond dates and null stopDate while running', async () => {
      const arn = await h.createMachine('evented', passOnly);
      await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'e', input: '{"k":"v"}' }));
      await h.emulator.waitForIdle();
      expect(h.events.map((e) => e.detail.status)).toEqual(['RUNNING', 'SUCCEEDED']);
      const [running, succeeded] = h.events;
      expect(running).toEqual({
        version: '0',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        account: '123456789012',
        time: new Date(START_MS).toISOString().replace('.000Z', 'Z'),
        region: 'us-east-1',
        resources: ['arn:aws:states:us-east-1:123456789012:execution:evented:e'],
        detail: {
          executionArn: 'arn:aws:states:us-east-1:123456789012:execution:evented:e',
          stateMachineArn: arn,
          name: 'e',
          status: 'RUNNING',
          startDate: START_MS,
          stopDate: null,
          input: '{"k":"v"}',
          inputDetails: { included: true },
          output: null,
          outputDetails: null,
          stateMachineVersionArn: null,
          stateMachineAliasArn: null,
          redriveCount: 0,
          redriveDate: null,
          redriveStatus: 'NOT_REDRIVABLE',
          redriveStatusReason: 'Execution is RUNNING and cannot be redriven',
          error: null,
          cause: null,
        },
      });
      expect(succeeded.detail).toMatchObject({ status: 'SUCCEEDED', stopDate: START_MS, output: '{"k":"v"}', outputDetails: { included: true } });
    });

    it('a throwing status-event consumer cannot fail the API call or the execution', async () => {
      const failing = await startHarness({ onStatusChange: () => { throw new Error('consumer bug'); } });
      const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const arn = await failing.createMachine('robust', passOnly);
        await expect(failing.sfn.send(new StartExecutionCommand({ stateMachineArn: arn }))).resolves.toHaveProperty('executionArn');
        await failing.emulator.waitForIdle();
        expect(consoleError).toHaveBeenCalledWith('sfn emulator: onStatusChange threw', expect.any(Error));
        expect(failing.emulator.stats().executions).toEqual({ total: 1, open: 0 });
      } finally {
        consoleError.mockRestore();
        await failing.close();
      }
    });

    it('runs Express executions without events and hides them from history APIs', async () => {
      const arn = await h.createMachine('fast', passOnly, 'EXPRESS');
      const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'x' }));
      expect(executionArn).toMatch(/^arn:aws:states:us-east-1:123456789012:express:fast:x:[0-9a-f-]{36}$/);
      await h.emulator.waitForIdle();
      expect(h.emulator.execution(executionArn!)?.status).toBe('SUCCEEDED');
      expect(h.events).toHaveLength(0);
      expect((await errorOf(h.sfn.send(new DescribeExecutionCommand({ executionArn })))).name).toBe('InvalidArn');
      expect((await errorOf(h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn })))).name).toBe('StateMachineTypeNotSupported');
    });
  });

  describe('GetExecutionHistory', () => {
    it('numbers events from 1 with previousEventId, pages forwards and backwards, and can omit data', async () => {
      const arn = await h.createMachine('hist', passThenTask);
      const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"secret":1}' }));
      await h.emulator.waitForIdle();
      const all = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
      expect(all.events?.map((e) => e.type)).toEqual([
        'ExecutionStarted', 'PassStateEntered', 'PassStateExited', 'TaskStateEntered', 'TaskScheduled',
        'TaskStarted', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded',
      ]);
      expect(all.events?.map((e) => [e.id, e.previousEventId])).toEqual([[1, 0], [2, 0], [3, 2], [4, 3], [5, 4], [6, 5], [7, 6], [8, 7], [9, 8]]);
      const forward: number[] = [];
      let nextToken: string | undefined;
      do {
        const page = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 4, nextToken }));
        forward.push(...page.events!.map((e) => e.id!));
        nextToken = page.nextToken;
      } while (nextToken);
      expect(forward).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const reversed = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }));
      expect(reversed.events?.map((e) => e.id)).toEqual([9, 8]);
      const next = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2, nextToken: reversed.nextToken }));
      expect(next.events?.map((e) => e.id)).toEqual([7, 6]);
      const lean = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false, maxResults: 1 }));
      expect(lean.events?.[0].executionStartedEventDetails).toEqual({ inputDetails: { truncated: false }, roleArn: ROLE_ARN });
      expect(all.events?.[0].executionStartedEventDetails?.input).toBe('{"secret":1}');
    });

    it('rejects garbled, foreign and expired tokens with InvalidToken, and maxResults above 1000', async () => {
      const arn = await h.createMachine('tokens', passThenTask);
      const { executionArn } = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
      await h.emulator.waitForIdle();
      const page = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1 }));
      expect((await errorOf(h.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: `${page.nextToken}x` })))).name).toBe('InvalidToken');
      const foreign = await errorOf(h.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, nextToken: page.nextToken })));
      expect(foreign.name).toBe('InvalidToken');
      await h.clock.advance(24 * 3600 * 1000 + 1);
      const expired = await errorOf(h.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: page.nextToken })));
      expect(expired).toMatchObject({ name: 'InvalidToken', message: expect.stringContaining('expired') });
      expect((await errorOf(h.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1001 })))).name).toBe('ValidationException');
      const ghost = await errorOf(h.sfn.send(new GetExecutionHistoryCommand({ executionArn: `${executionArn}-ghost` })));
      expect(ghost.name).toBe('ExecutionDoesNotExist');
    });

    it('serves a seeded 24,999-event history cheaply, newest id equal to the count', async () => {
      const arn = await h.createMachine('big', passOnly);
      const executionArn = h.emulator.seedExecution({ stateMachineArn: arn, status: 'FAILED', startDateMs: START_MS - 1000, stopDateMs: START_MS, historyEventCount: 24_999, error: 'E' });
      const newest = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }));
      expect(newest.events?.map((e) => [e.id, e.type])).toEqual([[24_999, 'ExecutionFailed'], [24_998, 'PassStateExited']]);
      expect(newest.events?.[0].executionFailedEventDetails?.error).toBe('E');
    });
  });

  describe('ListExecutions', () => {
    it('lists newest first with status and redrive filters and paging', async () => {
      const arn = await h.createMachine('listed', passOnly);
      const seed = (name: string, offsetMs: number, status: 'FAILED' | 'SUCCEEDED', redriveCount = 0) =>
        h.emulator.seedExecution({ stateMachineArn: arn, name, status, startDateMs: START_MS + offsetMs, stopDateMs: START_MS + offsetMs + 10, redriveCount });
      seed('b', 2000, 'FAILED');
      seed('a', 1000, 'SUCCEEDED');
      seed('c', 3000, 'FAILED', 2);
      seed('d', 4000, 'FAILED');
      const names = async (input: Partial<ConstructorParameters<typeof ListExecutionsCommand>[0]>) =>
        (await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, ...input }))).executions!.map((e) => e.name);
      expect(await names({})).toEqual(['d', 'c', 'b', 'a']);
      expect(await names({ statusFilter: 'FAILED' })).toEqual(['d', 'c', 'b']);
      expect(await names({ redriveFilter: 'REDRIVEN' })).toEqual(['c']);
      expect(await names({ statusFilter: 'FAILED', redriveFilter: 'NOT_REDRIVEN' })).toEqual(['d', 'b']);
      const first = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 3 }));
      expect(first.executions?.map((e) => e.name)).toEqual(['d', 'c', 'b']);
      const second = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 3, nextToken: first.nextToken }));
      expect(second.executions?.map((e) => e.name)).toEqual(['a']);
      expect(second.nextToken).toBeUndefined();
      expect(first.executions?.[1]).toMatchObject({ redriveCount: 2, stopDate: new Date(START_MS + 3010) });
    });

    it('needs exactly one of stateMachineArn and mapRunArn, and knows missing machines and Map Runs', async () => {
      expect((await errorOf(h.sfn.send(new ListExecutionsCommand({})))).name).toBe('ValidationException');
      const ghost = await errorOf(h.sfn.send(new ListExecutionsCommand({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:none' })));
      expect(ghost.name).toBe('StateMachineDoesNotExist');
      const arn = await h.createMachine('parent', passOnly);
      const mapRunArn = 'arn:aws:states:us-east-1:123456789012:mapRun:parent/ProcessAll:6f1b0a2e-0000-4000-8000-000000000001';
      const child = h.emulator.seedExecution({ stateMachineArn: arn, mapRunArn, name: 'child-1', status: 'FAILED', startDateMs: START_MS, stopDateMs: START_MS });
      expect(child).toBe('arn:aws:states:us-east-1:123456789012:execution:parent/ProcessAll:child-1');
      const listed = await h.sfn.send(new ListExecutionsCommand({ mapRunArn }));
      expect(listed.executions?.map((e) => [e.executionArn, e.mapRunArn, e.stateMachineArn])).toEqual([[child, mapRunArn, `${arn}/ProcessAll`]]);
      const missingRun = await errorOf(h.sfn.send(new ListExecutionsCommand({ mapRunArn: mapRunArn.replace('0001', '0002') })));
      expect(missingRun.name).toBe('ResourceNotFound');
      const both = await errorOf(h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, mapRunArn })));
      expect(both.name).toBe('ValidationException');
    });

    it('pages filtered results across 100,000 seeded executions, newest first', async () => {
      const arn = await h.createMachine('bulk', passOnly);
      for (let i = 0; i < 100_000; i++) {
        h.emulator.seedExecution({ stateMachineArn: arn, status: i % 2 ? 'FAILED' : 'SUCCEEDED', startDateMs: START_MS - 100_000 + i, stopDateMs: START_MS });
      }
      const page = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'FAILED', maxResults: 1000 }));
      expect(page.executions).toHaveLength(1000);
      expect(page.executions?.[0].startDate?.getTime()).toBe(START_MS - 1);
      const next = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'FAILED', maxResults: 1000, nextToken: page.nextToken }));
      expect(next.executions?.[0].startDate?.getTime()).toBe(START_MS - 2001);
    });
  });

  describe('throttling and faults', () => {
    it('answers ThrottlingException "Rate exceeded" once the bucket is empty and refills it on the stack clock', async () => {
      const throttled = await startHarness({ throttling: { enabled: true, region: 'eu-central-1' } });
      try {
        const arn = await throttled.createMachine('t', passOnly);
        const executionArn = throttled.emulator.seedExecution({ stateMachineArn: arn, status: 'FAILED', startDateMs: START_MS, stopDateMs: START_MS });
        const describe = () => throttled.sfn.send(new DescribeExecutionCommand({ executionArn }));
        for (let i = 0; i < 250; i++) await describe(); // eu-central-1 bucket: 250, refill 10/s
        const error = await errorOf(describe());
        expect(error).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
        await throttled.clock.advance(1000);
        for (let i = 0; i < 10; i++) await describe();
        expect((await errorOf(describe())).name).toBe('ThrottlingException');
        expect(throttled.emulator.stats().apis.DescribeExecution).toEqual({ calls: 262, throttled: 2, faulted: 0, errors: 2 });
      } finally {
        await throttled.close();
      }
    });

    it('uses the larger buckets in us-east-1', async () => {
      const throttled = await startHarness({ throttling: { enabled: true } });
      try {
        const arn = await throttled.createMachine('t', passOnly);
        const executionArn = throttled.emulator.seedExecution({ stateMachineArn: arn, status: 'FAILED', startDateMs: START_MS, stopDateMs: START_MS });
        for (let i = 0; i < 300; i++) await throttled.sfn.send(new DescribeExecutionCommand({ executionArn }));
        expect((await errorOf(throttled.sfn.send(new DescribeExecutionCommand({ executionArn })))).name).toBe('ThrottlingException');
      } finally {
        await throttled.close();
      }
    });

    it('injects forced errors for the next N calls and 5xx faults at a rate', async () => {
      const arn = await h.createMachine('faulty', passOnly);
      h.emulator.setFaults({ forcedErrors: { ListExecutions: { code: 'ServiceUnavailable', count: 2 } } });
      const first = await errorOf(h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn })));
      expect(first).toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
      await errorOf(h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn })));
      await expect(h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }))).resolves.toBeDefined();
      h.emulator.setFaults({ serverErrorRate: 1 });
      const raw = await rawCall('ListStateMachines', {});
      expect([500, 503]).toContain(raw.status);
      expect(['InternalServerError', 'ServiceUnavailable']).toContain(raw.json.__type);
      h.emulator.setFaults({ serverErrorRate: 0 });
      expect(h.emulator.stats().apis.ListExecutions).toMatchObject({ calls: 3, faulted: 2 });
    });

    it('drops status events matching the drop predicate', async () => {
      const arn = await h.createMachine('lossy', passOnly);
      h.emulator.setFaults({ dropStatusEvents: (event) => event.detail.status === 'SUCCEEDED' });
      await h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
      await h.emulator.waitForIdle();
      expect(h.events.map((e) => e.detail.status)).toEqual(['RUNNING']);
      expect(h.emulator.stats().statusEvents).toEqual({ emitted: 1, dropped: 1 });
    });
  });
});

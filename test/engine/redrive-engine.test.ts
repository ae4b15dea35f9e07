import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SFNClient,
  SFNServiceException,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import 'aws-sdk-client-mock-jest';
import { SnsAlertPublisher } from '../../adapters/alert-publisher';
import { IntakeQueue } from '../../adapters/intake-queue';
import type { Ledger } from '../../adapters/ledger';
import { alertEmailText } from '../../core/alerts';
import { clientTokenFor } from '../../core/client-token';
import type { AutoRedriveConfigInput } from '../../core/config';
import { RECHECK_KIND } from '../../core/messages';
import { RedriveEngine, type EngineLogger, type MetricName } from '../../engine/redrive-engine';
import { ACCOUNT, config, evidence, executionArn, NOW_MS, REGION, statusChangeEvent } from '../support/fixtures';
import { useDynamoDbLocal } from '../support/dynamo';
import { useEngineMocks } from '../support/engine-mocks';

const harness = useDynamoDbLocal();
const { sfnMock, sqsMock, snsMock } = useEngineMocks();
const QUEUE_URL = 'http://queue.local/123456789012/intake';
const DLQ_URL = 'http://queue.local/123456789012/intake-dlq';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`;

const silentLogger: EngineLogger = { debug() {}, info() {}, warn() {}, error() {} };
const throttled = () => new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
const serverError = () => new SFNServiceException({ name: 'InternalServerError', $fault: 'server', message: 'Internal failure', $metadata: { httpStatusCode: 500 } });

interface Setup {
  engine: RedriveEngine;
  ledger: Ledger;
  clock: { nowMs: () => number; advance: (ms: number) => void };
  metrics: MetricName[];
}

async function setup(overrides: AutoRedriveConfigInput = {}): Promise<Setup> {
  const { ledger } = await harness.newLedger();
  let now = NOW_MS;
  const clock = { nowMs: () => now, advance: (ms: number) => (now += ms) };
  const metrics: MetricName[] = [];
  const engine = new RedriveEngine({
    config: config({ backoff: { initialDelaySeconds: 0, maxDelaySeconds: 1 }, ...overrides }),
    clock,
    sfn: new SFNClient({ region: REGION }),
    ledger,
    queue: new IntakeQueue(new SQSClient({ region: REGION }), QUEUE_URL, DLQ_URL),
    alerts: new SnsAlertPublisher(new SNSClient({ region: REGION }), TOPIC_ARN),
    logger: silentLogger,
    metrics: { count: (m) => metrics.push(m) },
    home: { partition: 'aws', region: REGION, account: ACCOUNT },
    actor: 'worker',
    random: () => 1 - Number.EPSILON,
  });
  return { engine, ledger, clock, metrics };
}

const body = (detail: Record<string, unknown> = {}) => JSON.stringify(statusChangeEvent(detail));

describe('evidence at minimum API cost', () => {
  it('an event with every field costs one RedriveExecution and nothing else', async () => {
    const { engine, ledger } = await setup();
    const outcome = await engine.handleMessage(body(), 'm1');
    expect(outcome).toMatchObject({ place: 'REDRIVEN', redriven: true, generation: 0 });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
    expect(sfnMock).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 0);
    expect(sfnMock).toHaveReceivedCommandWith(RedriveExecutionCommand, { executionArn: executionArn(), clientToken: clientTokenFor(executionArn(), 0) });
    expect(await ledger.get(executionArn())).toMatchObject({ phase: 'REDRIVEN', attemptsUsed: 1 });
  });

  it('an event without redrive fields costs one DescribeExecution first', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: executionArn(), stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Orders-Process', status: 'FAILED',
      startDate: new Date(NOW_MS - 3_600_000), stopDate: new Date(NOW_MS - 60_000), redriveCount: 2, redriveStatus: 'REDRIVABLE', error: 'Boom',
    });
    const { engine } = await setup();
    const outcome = await engine.handleMessage(body({ redriveCount: undefined, redriveStatus: undefined, error: undefined, cause: undefined }), 'm1');
    expect(outcome).toMatchObject({ place: 'REDRIVEN', generation: 2 });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(RedriveExecutionCommand, { clientToken: clientTokenFor(executionArn(), 2) });
  });

  it('with history headroom, counts history with one reverse-order call of maxResults 1', async () => {
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 24_500, type: 'ExecutionFailed', timestamp: new Date() }] });
    const { engine } = await setup({ historyHeadroomEvents: 1000 });
    expect(await engine.handleMessage(body(), 'm1')).toMatchObject({ place: 'SKIPPED', reason: 'HISTORY_LIMIT' });
    expect(sfnMock).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { reverseOrder: true, maxResults: 1, includeExecutionData: false });
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 0);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });
});

describe('exactly once per failure generation', () => {
  it('three deliveries of one event redrive once', async () => {
    const { engine } = await setup();
    const outcomes = await Promise.all([engine.handleMessage(body(), 'a'), engine.handleMessage(body(), 'b'), engine.handleMessage(body(), 'c')]);
    expect(outcomes.filter((o) => o.redriven)).toHaveLength(1);
    expect(outcomes.filter((o) => o.reason === 'ALREADY_HANDLED')).toHaveLength(2);
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 1);
  });

  it('a late event for an older generation does nothing', async () => {
    const { engine } = await setup();
    await engine.handleMessage(body({ redriveCount: 1 }), 'new');
    expect(await engine.handleMessage(body({ redriveCount: 0 }), 'late')).toMatchObject({ reason: 'ALREADY_HANDLED' });
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 1);
  });
});

describe('the next failure overtakes the record of a redrive', () => {
  it('still logs the attempt when the redriven execution failed again and was claimed before we recorded', async () => {
    const s = await setup();
    sfnMock.on(RedriveExecutionCommand).callsFake(async () => {
      // While our call returns, the execution fails again and the worker claims generation 1.
      await s.ledger.transition({ evidence: evidence({ redriveCount: 1 }), generation: 1, expect: { newGeneration: true }, phase: 'WAITING', reason: 'BACKOFF', nowMs: NOW_MS, dueAtMs: NOW_MS + 60_000, recheckEnqueued: true });
      return { redriveDate: new Date(NOW_MS) };
    });
    const outcome = await s.engine.handleMessage(body(), 'm');
    expect(outcome).toMatchObject({ place: 'REDRIVEN', redriven: true });
    expect(outcome.confirmedOnly).toBeUndefined();
    const record = await s.ledger.get(executionArn());
    expect(record).toMatchObject({ generation: 1, phase: 'WAITING', attemptsUsed: 1 });
    // Logged once: by the claim of generation 1, which found generation 0 still REDRIVING.
    expect(record!.attempts).toEqual([expect.objectContaining({ generation: 0, outcome: 'ALREADY_REDRIVEN', clientToken: clientTokenFor(executionArn(), 0) })]);
  });
});

describe('backoff through chained SQS timers', () => {
  it('claims, sends a delayed recheck, and redrives when it comes due', async () => {
    const { engine, ledger, clock } = await setup({ backoff: { initialDelaySeconds: 1800, multiplier: 1, maxDelaySeconds: 1800, jitter: 'none' } });
    expect(await engine.handleMessage(body(), 'm1')).toMatchObject({ place: 'WAITING' });
    const sent = sqsMock.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(sent).toMatchObject({ QueueUrl: QUEUE_URL, DelaySeconds: 900 });
    const recheck = JSON.parse(sent.MessageBody!);
    expect(recheck).toEqual({ kind: RECHECK_KIND, executionArn: executionArn(), generation: 0, dueAtMs: NOW_MS + 1_800_000 });
    expect(await ledger.get(executionArn())).toMatchObject({ phase: 'WAITING', recheckEnqueued: true, dueAtMs: NOW_MS + 1_800_000 });

    clock.advance(900_000);
    expect(await engine.handleMessage(sent.MessageBody!, 'r1')).toMatchObject({ place: 'WAITING' });
    expect(sqsMock.commandCalls(SendMessageCommand)[1].args[0].input.DelaySeconds).toBe(900);
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 0);

    clock.advance(900_000);
    expect(await engine.handleMessage(sent.MessageBody!, 'r2')).toMatchObject({ place: 'REDRIVEN' });
    // A duplicate recheck after the redrive is stale.
    expect(await engine.handleMessage(sent.MessageBody!, 'r3')).toMatchObject({ reason: 'ALREADY_HANDLED' });
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 1);
  });

  it('when the window closes during the backoff: skip with an alert, no API call', async () => {
    const { engine, clock } = await setup({ backoff: { initialDelaySeconds: 1800, multiplier: 1, maxDelaySeconds: 1800, jitter: 'none' }, windowSafetyMarginSeconds: 0 });
    const stopDate = NOW_MS - 14 * 86_400_000 + 600_000; // 10 minutes left
    await engine.handleMessage(body({ stopDate }), 'm1');
    const recheck = sqsMock.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(JSON.parse(recheck.MessageBody!).dueAtMs).toBe(stopDate + 14 * 86_400_000);
    clock.advance(700_000);
    expect(await engine.handleMessage(recheck.MessageBody!, 'r')).toMatchObject({ place: 'SKIPPED', reason: 'REDRIVE_WINDOW_EXPIRED' });
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 0);
    const alert = JSON.parse(JSON.parse(snsMock.commandCalls(PublishCommand)[0].args[0].input.Message!).default);
    expect(alert).toMatchObject({ kind: 'NOT_REDRIVABLE', reason: 'REDRIVE_WINDOW_EXPIRED', executionArn: executionArn() });
  });
});

describe('Step Functions answers', () => {
  it('ExecutionNotRedrivable becomes a skip with AWS reason and one alert, never a retry', async () => {
    sfnMock.on(RedriveExecutionCommand).rejects(new ExecutionNotRedrivable({ message: 'Execution history event limit exceeded', $metadata: {} }));
    const { engine, ledger } = await setup();
    expect(await engine.handleMessage(body(), 'm1')).toMatchObject({ place: 'SKIPPED', reason: 'NOT_REDRIVABLE_PER_AWS', detail: 'Execution history event limit exceeded' });
    expect(await engine.handleMessage(body(), 'm2')).toMatchObject({ reason: 'ALREADY_HANDLED' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const published = snsMock.commandCalls(PublishCommand)[0].args[0].input;
    expect(JSON.parse(JSON.parse(published.Message!).default)).toMatchObject({ kind: 'NOT_REDRIVABLE', detail: 'Execution history event limit exceeded' });
    expect(published.Subject!.length).toBeLessThan(100);
    expect((await ledger.get(executionArn()))?.phase).toBe('SKIPPED');
  });

  it('ExecutionNotRedrivable because it is running again is a quiet NOT_FAILED', async () => {
    sfnMock.on(RedriveExecutionCommand).rejects(new ExecutionNotRedrivable({ message: 'Execution is RUNNING and cannot be redriven', $metadata: {} }));
    const { engine } = await setup();
    expect(await engine.handleMessage(body(), 'm1')).toMatchObject({ reason: 'NOT_FAILED' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('ExecutionDoesNotExist on DescribeExecution is a recorded skip', async () => {
    sfnMock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    const { engine, ledger } = await setup();
    expect(await engine.handleMessage(body({ redriveCount: undefined }), 'm1')).toMatchObject({ place: 'SKIPPED', reason: 'EXECUTION_NOT_FOUND' });
    expect((await ledger.get(executionArn()))?.reason).toBe('EXECUTION_NOT_FOUND');
  });

  it.each([
    ['ThrottlingException (Rate exceeded)', throttled],
    ['a 5xx', serverError],
  ])('%s propagates for an SQS retry, which then reuses the same token', async (_label, makeError) => {
    sfnMock.on(RedriveExecutionCommand).rejectsOnce(makeError()).resolves({ redriveDate: new Date(NOW_MS) });
    const { engine, ledger, clock } = await setup();
    await expect(engine.handleMessage(body(), 'm1')).rejects.toMatchObject({ name: makeError().name });
    expect(await ledger.get(executionArn())).toMatchObject({ phase: 'REDRIVING' });
    // A duplicate delivery while the claim is fresh leaves it to its owner...
    expect(await engine.handleMessage(body(), 'dup')).toMatchObject({ reason: 'ALREADY_HANDLED' });
    // ...and SQS hands the failed message back after the visibility timeout (6 x the worker timeout).
    clock.advance(6 * 60_000);
    expect(await engine.handleMessage(body(), 'm1')).toMatchObject({ place: 'REDRIVEN' });
    const tokens = sfnMock.commandCalls(RedriveExecutionCommand).map((c) => c.args[0].input.clientToken);
    expect(tokens).toEqual([clientTokenFor(executionArn(), 0), clientTokenFor(executionArn(), 0)]);
    expect((await ledger.get(executionArn()))?.attemptsUsed).toBe(1);
  });
});

describe('crash between RedriveExecution and the ledger update', () => {
  async function crashAfterRedrive(s: Setup): Promise<void> {
    // The claim was written and the call went through, then the worker died before recording it.
    await s.ledger.transition({
      evidence: evidence(),
      generation: 0, expect: { newGeneration: true }, phase: 'REDRIVING', reason: 'ELIGIBLE', nowMs: NOW_MS,
      clientToken: clientTokenFor(executionArn(), 0), tokenFirstUsedAtMs: NOW_MS, attemptsIncrement: 1,
    });
  }

  it('within 15 minutes the retry repeats the call with the same token (idempotent at AWS)', async () => {
    const s = await setup();
    await crashAfterRedrive(s);
    s.clock.advance(5 * 60_000);
    expect(await s.engine.handleMessage(body(), 'retry')).toMatchObject({ place: 'REDRIVEN' });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
    expect(sfnMock).toHaveReceivedCommandWith(RedriveExecutionCommand, { clientToken: clientTokenFor(executionArn(), 0) });
  });

  it('after 15 minutes redriveCount shows it went through, so no second call', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: executionArn(), status: 'SUCCEEDED', redriveCount: 1, startDate: new Date(NOW_MS - 3_600_000), stateMachineArn: 'x' });
    const s = await setup();
    await crashAfterRedrive(s);
    s.clock.advance(20 * 60_000);
    expect(await s.engine.handleMessage(body(), 'retry')).toMatchObject({ place: 'REDRIVEN', redriven: true });
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 0);
    expect((await s.ledger.get(executionArn()))?.attempts[0]).toMatchObject({ outcome: 'ALREADY_REDRIVEN' });
  });

  it('after 15 minutes with redriveCount unchanged, it calls again', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: executionArn(), status: 'FAILED', redriveCount: 0, startDate: new Date(NOW_MS - 3_600_000), stateMachineArn: 'x' });
    const s = await setup();
    await crashAfterRedrive(s);
    s.clock.advance(20 * 60_000);
    expect(await s.engine.handleMessage(body(), 'retry')).toMatchObject({ place: 'REDRIVEN' });
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 1);
  });
});

describe('giving up, dry run, bad input', () => {
  const mapRun = (label: string) => `arn:aws:states:us-east-1:123456789012:mapRun:Orders-Process/${label}:7e1c2f0a-0000-4000-8000-000000000001`;

  it('gives up at the attempt cap with one alert however many deliveries', async () => {
    const { engine } = await setup({ maxAttempts: 1 });
    await engine.handleMessage(body({ redriveCount: 0 }), 'g0');
    const again = await Promise.all([engine.handleMessage(body({ redriveCount: 1 }), 'g1a'), engine.handleMessage(body({ redriveCount: 1 }), 'g1b')]);
    expect(again.map((o) => o.place).sort()).toEqual(['GAVE_UP', 'SKIPPED']);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const alert = JSON.parse(JSON.parse(snsMock.commandCalls(PublishCommand)[0].args[0].input.Message!).default);
    expect(alert).toMatchObject({ kind: 'GAVE_UP', attemptsUsed: 1, attemptsLeft: 0, error: 'PaymentGatewayTimeout' });
    expect(alert.consoleUrl).toContain('https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1');
  });

  it('a GAVE_UP alert names the failed state, and says when it is a Fail state no redrive gets past (one history page)', async () => {
    sfnMock.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 12, type: 'ExecutionFailed', timestamp: new Date(NOW_MS), executionFailedEventDetails: { error: 'PaymentGatewayTimeout' } },
        { id: 11, type: 'FailStateEntered', timestamp: new Date(NOW_MS), stateEnteredEventDetails: { name: 'PaymentFailed' } },
        { id: 10, type: 'TaskStateEntered', timestamp: new Date(NOW_MS), stateEnteredEventDetails: { name: 'Charge' } },
      ],
    });
    const { engine, ledger } = await setup({ maxAttempts: 1 });
    await engine.handleMessage(body({ redriveCount: 0 }), 'g0');
    expect(sfnMock).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 0);
    await engine.handleMessage(body({ redriveCount: 1 }), 'g1');
    expect(sfnMock).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: executionArn(), reverseOrder: true, maxResults: 100, includeExecutionData: false });
    const alert = JSON.parse(JSON.parse(snsMock.commandCalls(PublishCommand)[0].args[0].input.Message!).default);
    expect(alert).toMatchObject({ kind: 'GAVE_UP', failedState: 'PaymentFailed', failedInFailState: true });
    expect(alertEmailText(alert)).toContain('Failed state: PaymentFailed (a Fail state: a redrive reruns it with the same input and fails again; fix forward with `sfn-autoredrive restart`)');
    // The ledger keeps what was read, for a later plan: the GAVE_UP attempt of generation 1.
    expect((await ledger.get(executionArn()))!.attempts.at(-1)).toMatchObject({ generation: 1, outcome: 'GAVE_UP', failedState: 'PaymentFailed', failedInFailState: true });
  });

  it('a GAVE_UP alert whose history cannot be read still goes, without the failed state', async () => {
    sfnMock.on(GetExecutionHistoryCommand).rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    const { engine } = await setup({ maxAttempts: 1 });
    await engine.handleMessage(body({ redriveCount: 0 }), 'g0');
    expect(await engine.handleMessage(body({ redriveCount: 1 }), 'g1')).toMatchObject({ place: 'GAVE_UP' });
    const alert = JSON.parse(JSON.parse(snsMock.commandCalls(PublishCommand)[0].args[0].input.Message!).default);
    expect(alert).toMatchObject({ kind: 'GAVE_UP', error: 'PaymentGatewayTimeout' });
    expect(alert.failedState).toBeUndefined();
  });

  it('a parent its Distributed Map failed: the alert names the failed Map Run and its failing children, at 4 extra calls', async () => {
    sfnMock.on(ListMapRunsCommand).resolves({ mapRuns: [
      { executionArn: executionArn(), mapRunArn: mapRun('older'), stateMachineArn: 'x', startDate: new Date(NOW_MS - 7_200_000) },
      { executionArn: executionArn(), mapRunArn: mapRun('newer'), stateMachineArn: 'x', startDate: new Date(NOW_MS - 3_600_000) },
    ] });
    sfnMock.on(DescribeMapRunCommand, { mapRunArn: mapRun('newer') }).resolves({ status: 'FAILED', executionCounts: { failed: 12, timedOut: 1, aborted: 0 } as never });
    sfnMock.on(ListExecutionsCommand, { statusFilter: 'FAILED' }).resolves({ executions: Array.from({ length: 10 }, (_, i) => ({ name: `child-${i}` })) as never });
    const { engine } = await setup({ maxAttempts: 1 });
    const failedByChildren = { error: 'States.ExceedToleratedFailureThreshold', cause: 'The specified tolerated failure threshold was exceeded' };
    expect(await engine.handleMessage(body({ ...failedByChildren, redriveCount: 0 }), 'g0')).toMatchObject({ place: 'REDRIVEN' });
    expect(await engine.handleMessage(body({ ...failedByChildren, redriveCount: 1 }), 'g1')).toMatchObject({ place: 'GAVE_UP' });
    const alert = JSON.parse(JSON.parse(snsMock.commandCalls(PublishCommand)[0].args[0].input.Message!).default);
    expect(alert.mapRun).toEqual({ mapRunArn: mapRun('newer'), failed: 12, timedOut: 1, aborted: 0, listedStatus: 'FAILED', children: Array.from({ length: 10 }, (_, i) => `child-${i}`) });
    expect(alertEmailText(alert)).toContain(`Failing children: 12 failed, 1 timed out; FAILED: child-0, child-1, child-2, child-3, child-4, child-5, child-6, child-7, child-8, child-9 … and 2 more`);
    expect(alertEmailText(alert)).toContain(`List them with: aws stepfunctions list-executions --region us-east-1 --map-run-arn ${mapRun('newer')} --status-filter FAILED`);
    // The newest run first; one page of its most common failing status.
    expect(sfnMock).toHaveReceivedCommandTimes(ListMapRunsCommand, 1);
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeMapRunCommand, 1);
    expect(sfnMock).toHaveReceivedCommandTimes(ListExecutionsCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(ListExecutionsCommand, { mapRunArn: mapRun('newer'), statusFilter: 'FAILED', maxResults: 10 });
  });

  it('finds the failed Map Run on a later ListMapRuns page, and keeps its counts when listing its children fails', async () => {
    const runs = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ executionArn: executionArn(), mapRunArn: mapRun(`run-${from + i}`), stateMachineArn: 'x', startDate: new Date(NOW_MS - 3_600_000 + from + i) }));
    sfnMock.on(ListMapRunsCommand).resolves({ mapRuns: runs(0, 100), nextToken: 'page-2' });
    sfnMock.on(ListMapRunsCommand, { nextToken: 'page-2' }).resolves({ mapRuns: runs(100, 1) });
    sfnMock.on(DescribeMapRunCommand).resolves({ status: 'SUCCEEDED', executionCounts: { failed: 0, timedOut: 0, aborted: 0 } as never });
    sfnMock.on(DescribeMapRunCommand, { mapRunArn: mapRun('run-100') }).resolves({ status: 'FAILED', executionCounts: { failed: 1, timedOut: 4, aborted: 2 } as never });
    sfnMock.on(ListExecutionsCommand).rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    const { engine } = await setup({ maxAttempts: 1 });
    const detail = { error: 'States.ExceedToleratedFailureThreshold' };
    await engine.handleMessage(body({ ...detail, redriveCount: 0 }), 'g0');
    await engine.handleMessage(body({ ...detail, redriveCount: 1 }), 'g1');
    const alert = JSON.parse(JSON.parse(snsMock.commandCalls(PublishCommand)[0].args[0].input.Message!).default);
    expect(alert.mapRun).toEqual({ mapRunArn: mapRun('run-100'), failed: 1, timedOut: 4, aborted: 2, listedStatus: 'TIMED_OUT', children: [] });
    expect(sfnMock).toHaveReceivedCommandTimes(ListMapRunsCommand, 2);
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeMapRunCommand, 1);
  });

  it('an alert whose Map Run cannot be read still goes, without it; other errors read no Map Run', async () => {
    sfnMock.on(ListMapRunsCommand).rejects(new SFNServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'not authorized', $metadata: { httpStatusCode: 400 } }));
    const { engine } = await setup({ maxAttempts: 1 });
    for (const detail of [{ error: 'States.ExceedToleratedFailureThreshold' }, { executionArn: executionArn('other') }]) {
      await engine.handleMessage(body({ ...detail, redriveCount: 0 }), 'g0');
      await engine.handleMessage(body({ ...detail, redriveCount: 1 }), 'g1');
    }
    const alerts = snsMock.commandCalls(PublishCommand).map((call) => JSON.parse(JSON.parse(call.args[0].input.Message!).default));
    expect(alerts.map((a) => [a.kind, a.error, a.mapRun])).toEqual([['GAVE_UP', 'States.ExceedToleratedFailureThreshold', undefined], ['GAVE_UP', 'PaymentGatewayTimeout', undefined]]);
    expect(sfnMock).toHaveReceivedCommandTimes(ListMapRunsCommand, 1);
  });

  it('dry run decides and ledgers but never calls RedriveExecution', async () => {
    const { engine, ledger, metrics } = await setup({ dryRun: true });
    expect(await engine.handleMessage(body(), 'm')).toMatchObject({ place: 'DRY_RUN' });
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 0);
    expect((await ledger.get(executionArn()))?.attempts[0]).toMatchObject({ outcome: 'DRY_RUN', clientToken: clientTokenFor(executionArn(), 0) });
    expect(metrics).toContain('DryRun');
  });

  it('parks a malformed message in the DLQ with the problem, and calls nothing else', async () => {
    const { engine, metrics } = await setup();
    const outcome = await engine.handleMessage('{"source":"aws.states"', 'bad-1');
    expect(outcome).toMatchObject({ place: 'PARKED', reason: 'MALFORMED' });
    const parked = sqsMock.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(parked.QueueUrl).toBe(DLQ_URL);
    expect(parked.MessageAttributes?.error.StringValue).toMatch(/body is not JSON/);
    expect(sfnMock.calls()).toHaveLength(0);
    expect(metrics).toEqual(['Parked']);
  });

  it('an ARN from another account is skipped as out of scope, with no API or ledger call', async () => {
    const { engine, ledger } = await setup();
    const foreign = 'arn:aws:states:us-east-1:999999999999:execution:Orders-Process:x';
    expect(await engine.handleMessage(body({ executionArn: foreign }), 'f')).toMatchObject({ place: 'SKIPPED', reason: 'OUT_OF_SCOPE' });
    expect(sfnMock.calls()).toHaveLength(0);
    expect(await ledger.get(foreign)).toBeUndefined();
  });
});

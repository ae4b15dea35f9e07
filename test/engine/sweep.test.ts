import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient, SFNServiceException, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SnsAlertPublisher } from '../../adapters/alert-publisher';
import { IntakeQueue } from '../../adapters/intake-queue';
import type { Ledger } from '../../adapters/ledger';
import type { AutoRedriveConfigInput } from '../../core/config';
import { parseIntakeMessage } from '../../core/messages';
import { sweep } from '../../engine/sweep';
import { ACCOUNT, config, evidence, executionArn, NOW_MS, REGION, STATE_MACHINE_ARN } from '../support/fixtures';
import { useDynamoDbLocal } from '../support/dynamo';

const harness = useDynamoDbLocal();
const sfnMock = mockClient(SFNClient);
const sqsMock = mockClient(SQSClient);
const snsMock = mockClient(SNSClient);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const BILLING_ARN = STATE_MACHINE_ARN.replace('Orders-Process', 'Orders-Billing');

beforeEach(() => {
  sfnMock.reset();
  sqsMock.reset();
  snsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({});
  snsMock.on(PublishCommand).resolves({});
  sfnMock.on(ListStateMachinesCommand).resolves({
    stateMachines: [
      { stateMachineArn: STATE_MACHINE_ARN, name: 'Orders-Process', type: 'STANDARD', creationDate: new Date() },
      { stateMachineArn: STATE_MACHINE_ARN.replace('Orders-Process', 'Billing'), name: 'Billing', type: 'STANDARD', creationDate: new Date() },
      { stateMachineArn: STATE_MACHINE_ARN.replace('Orders-Process', 'Orders-Express'), name: 'Orders-Express', type: 'EXPRESS', creationDate: new Date() },
    ],
  });
  sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
});

const item = (name: string, stopAgoMs: number, redriveCount = 0, runMs = 1000): ExecutionListItem => ({
  executionArn: executionArn(name),
  stateMachineArn: STATE_MACHINE_ARN,
  name,
  status: 'FAILED',
  startDate: new Date(NOW_MS - stopAgoMs - runMs),
  stopDate: new Date(NOW_MS - stopAgoMs),
  redriveCount,
});

/** ListExecutions answers per status and redrive filter, as AWS filters them (redriveCount > 0 is REDRIVEN). */
function listing(byStatus: Record<string, ExecutionListItem[]>, stateMachineArn = STATE_MACHINE_ARN): void {
  for (const [status, items] of Object.entries(byStatus)) {
    for (const redriveFilter of ['REDRIVEN', 'NOT_REDRIVEN'] as const) {
      const executions = items.filter((i) => (i.redriveCount! > 0) === (redriveFilter === 'REDRIVEN')).sort((a, b) => b.startDate!.getTime() - a.startDate!.getTime());
      sfnMock.on(ListExecutionsCommand, { stateMachineArn, statusFilter: status as ExecutionListItem['status'], redriveFilter }).resolves({ executions });
    }
  }
}

function run(ledger: Ledger, overrides: AutoRedriveConfigInput = {}, nowMs = NOW_MS) {
  return sweep({
    config: config(overrides),
    clock: { nowMs: () => nowMs },
    sfn: new SFNClient({ region: REGION }),
    ledger,
    alerts: new SnsAlertPublisher(new SNSClient({ region: REGION }), 'arn:aws:sns:us-east-1:123456789012:t'),
    logger: silent,
    home: { partition: 'aws', region: REGION, account: ACCOUNT },
    handOver: { queue: new IntakeQueue(new SQSClient({ region: REGION }), 'http://q/intake', 'http://q/dlq') },
  });
}

const enqueuedNames = () =>
  sqsMock.commandCalls(SendMessageCommand).map((c) => {
    const m = parseIntakeMessage(c.args[0].input.MessageBody!);
    return m.type === 'event' ? `${m.event.detail.name}@${m.event.detail.redriveCount}` : 'recheck';
  });
const published = () => snsMock.commandCalls(PublishCommand).map((c) => JSON.parse(JSON.parse(c.args[0].input.Message!).default));

/** Watching began a week ago, so every failure in these tests is after it unless a test says otherwise. */
async function watchingSinceAWeekAgo(ledger: Ledger, stateMachineArn = STATE_MACHINE_ARN) {
  await ledger.watchingSince(stateMachineArn, NOW_MS - 7 * DAY_MS);
}

it('enqueues failures with no ledger entry for their generation, and leaves handled ones alone', async () => {
  const { ledger } = await harness.newLedger();
  await watchingSinceAWeekAgo(ledger);
  await ledger.transition({ evidence: evidence({ executionArn: executionArn('handled') }), generation: 0, expect: { newGeneration: true }, phase: 'REDRIVEN', reason: 'ELIGIBLE', nowMs: NOW_MS });
  await ledger.transition({ evidence: evidence({ executionArn: executionArn('stale') }), generation: 0, expect: { newGeneration: true }, phase: 'REDRIVEN', reason: 'ELIGIBLE', nowMs: NOW_MS });
  listing({
    FAILED: [item('missed', HOUR_MS), item('handled', 2 * HOUR_MS), item('stale', 3 * HOUR_MS, 1), item('too-old', 15 * DAY_MS)],
    TIMED_OUT: [{ ...item('timed-out', HOUR_MS), status: 'TIMED_OUT' }],
  });
  const report = await run(ledger);
  expect(report.stateMachines).toEqual([STATE_MACHINE_ARN]);
  expect(report.listed).toBe(4);
  expect(report.missed.sort()).toEqual([executionArn('missed'), executionArn('stale'), executionArn('timed-out')].sort());
  expect(enqueuedNames().sort()).toEqual(['missed@0', 'stale@1', 'timed-out@0']);
  expect(report.problems).toEqual([]);
  expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
});

it('leaves a restarted execution alone even when a later generation of it failed (the restart carries the work on)', async () => {
  const { ledger } = await harness.newLedger();
  await watchingSinceAWeekAgo(ledger);
  const restarted = executionArn('restarted');
  await ledger.transition({ evidence: evidence({ executionArn: restarted }), generation: 0, expect: { newGeneration: true }, phase: 'RESTARTED', reason: 'RESTART', nowMs: NOW_MS, restartedAs: `${restarted}-restart-1`, restartTarget: 'latest' });
  // Someone redrove the original by hand since, and it failed again: generation 1, which the ledger never saw.
  listing({ FAILED: [item('restarted', HOUR_MS, 1)] });
  const report = await run(ledger);
  expect(report.listed).toBe(1);
  expect(report.missed).toEqual([]);
  expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 0);
});

describe('WINDOW_CLOSING comes from the ledger, whatever the start date', () => {
  it('alerts once per generation for failures that ran 3 days or were redriven twice, and never for redriven ones', async () => {
    const { ledger } = await harness.newLedger();
    await watchingSinceAWeekAgo(ledger);
    const closingStop = NOW_MS - 14 * DAY_MS + 10 * HOUR_MS;
    // Ran three days before failing: started 17 days ago, far past the listing's start horizon.
    await ledger.transition({ evidence: evidence({ executionArn: executionArn('long-run'), executionName: 'long-run', startDateMs: closingStop - 3 * DAY_MS, stopDateMs: closingStop }), generation: 0, expect: { newGeneration: true }, phase: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR', nowMs: NOW_MS - 13 * DAY_MS });
    // Redriven twice, failed a third time, gave up.
    await ledger.transition({ evidence: evidence({ executionArn: executionArn('twice'), executionName: 'twice', startDateMs: closingStop - 5 * DAY_MS, stopDateMs: closingStop, redriveCount: 2 }), generation: 2, expect: { newGeneration: true }, phase: 'GAVE_UP', reason: 'MAX_ATTEMPTS_REACHED', nowMs: NOW_MS - 13 * DAY_MS });
    // Redriven: no alert. Closing in 30 h: outside the 24 h band.
    await ledger.transition({ evidence: evidence({ executionArn: executionArn('redriven'), executionName: 'redriven', stopDateMs: closingStop }), generation: 0, expect: { newGeneration: true }, phase: 'REDRIVEN', reason: 'ELIGIBLE', nowMs: NOW_MS - 13 * DAY_MS });
    await ledger.transition({ evidence: evidence({ executionArn: executionArn('later'), executionName: 'later', stopDateMs: NOW_MS - 14 * DAY_MS + 30 * HOUR_MS }), generation: 0, expect: { newGeneration: true }, phase: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR', nowMs: NOW_MS - 13 * DAY_MS });

    const report = await run(ledger);
    expect(report.windowClosing.map((w) => [w.executionArn, w.windowLeftMs, w.alerted]).sort()).toEqual([
      [executionArn('long-run'), 10 * HOUR_MS, true],
      [executionArn('twice'), 10 * HOUR_MS, true],
    ]);
    expect(published().map((a) => [a.kind, a.executionName]).sort()).toEqual([['WINDOW_CLOSING', 'long-run'], ['WINDOW_CLOSING', 'twice']]);
    // One ListExecutions call per status and redrive filter, however old the executions: no paging back.
    expect(sfnMock).toHaveReceivedCommandTimes(ListExecutionsCommand, 4);

    const again = await run(ledger);
    expect(again.windowClosing.map((w) => w.alerted)).toEqual([false, false]);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 2);
    // The alert bookkeeping did not change what decisions read.
    expect(await ledger.get(executionArn('twice'))).toMatchObject({ generation: 2, phase: 'GAVE_UP', windowClosingAlertedGeneration: 2 });
  });

  it('a redriven execution that failed again is listed whatever its start date', async () => {
    const { ledger } = await harness.newLedger();
    await watchingSinceAWeekAgo(ledger);
    // Started 20 days ago, redriven, failed again an hour ago: only the REDRIVEN listing, unbounded by start date, finds it.
    listing({ FAILED: [item('old-start', HOUR_MS, 1, 20 * DAY_MS)] });
    const report = await run(ledger);
    expect(report.missed).toEqual([executionArn('old-start')]);
    expect(enqueuedNames()).toEqual(['old-start@1']);
  });
});

describe('the starting point of automatic redrive', () => {
  it('by default, failures that stopped before watching began are recorded, alerted once with the command, and not handed over', async () => {
    const { ledger } = await harness.newLedger();
    listing({ FAILED: [item('before-1', 3 * DAY_MS), item('before-2', 2 * DAY_MS), item('after', 5 * 60_000)] });
    // First sight: watching began one sweep interval (15 min) before this first sweep.
    const report = await run(ledger);
    expect(report.beforeWatching.sort()).toEqual([executionArn('before-1'), executionArn('before-2')]);
    expect(report.missed).toEqual([executionArn('after')]);
    expect(enqueuedNames()).toEqual(['after@0']);
    expect(await ledger.get(executionArn('before-1'))).toMatchObject({ phase: 'SKIPPED', reason: 'BEFORE_WATCHING', generation: 0, attemptsUsed: 0 });
    const alerts = published();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'NOT_BACKFILLED', reason: 'BEFORE_WATCHING', stateMachineArn: STATE_MACHINE_ARN });
    expect(alerts[0].detail).toContain(`npx sfn-autoredrive redrive --state-machine ${STATE_MACHINE_ARN} --since ${new Date(NOW_MS - 3 * DAY_MS).toISOString()} --until ${new Date(NOW_MS - 15 * 60_000).toISOString()}`);

    // The next sweep finds them handled: nothing enqueued, no second alert.
    sqsMock.resetHistory();
    await ledger.transition({ evidence: evidence({ executionArn: executionArn('after') }), generation: 0, expect: { newGeneration: true }, phase: 'REDRIVEN', reason: 'ELIGIBLE', nowMs: NOW_MS });
    const next = await run(ledger, {}, NOW_MS + 15 * 60_000);
    expect(next.beforeWatching).toEqual([]);
    expect(next.missed).toEqual([]);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('recording a failure from before watching began sends the alert an older generation still owed, once', async () => {
    const { ledger } = await harness.newLedger();
    const owed = { kind: 'GAVE_UP' as const, executionArn: executionArn('owing'), reason: 'MAX_ATTEMPTS_REACHED' as const, detail: 'gave up after 3 redrives', atMs: NOW_MS - 4 * DAY_MS };
    // Its worker recorded GAVE_UP for generation 0 and died before publishing; someone redrove it since, and it failed again.
    await ledger.transition({ evidence: evidence({ executionArn: executionArn('owing') }), generation: 0, expect: { newGeneration: true }, phase: 'GAVE_UP', reason: 'MAX_ATTEMPTS_REACHED', nowMs: NOW_MS - 4 * DAY_MS, pendingAlert: owed });
    listing({ FAILED: [item('owing', 3 * DAY_MS, 1)] });
    const report = await run(ledger);
    expect(report.beforeWatching).toEqual([executionArn('owing')]);
    expect(await ledger.get(executionArn('owing'))).toMatchObject({ phase: 'SKIPPED', reason: 'BEFORE_WATCHING', generation: 1 });
    expect(published().map((alert) => alert.kind).sort()).toEqual(['GAVE_UP', 'NOT_BACKFILLED']);
    expect(published().find((alert) => alert.kind === 'GAVE_UP')).toMatchObject({ executionArn: executionArn('owing'), detail: 'gave up after 3 redrives' });
  });

  it('with sweep.backfill, every failure within the lookback is handed over on the first sweep', async () => {
    const { ledger } = await harness.newLedger();
    listing({ FAILED: [item('before-1', 3 * DAY_MS), item('after', 5 * 60_000)] });
    const report = await run(ledger, { sweep: { backfill: true } });
    expect(report.beforeWatching).toEqual([]);
    expect(enqueuedNames().sort()).toEqual(['after@0', 'before-1@0']);
  });
});

describe('one bad item or state machine never stops the others', () => {
  it('a failing state machine and an unparsable item are counted and alerted once; every other failure is handed over', async () => {
    const { ledger } = await harness.newLedger();
    const prefixes = { watch: { stateMachineNamePrefixes: ['Orders-'] } };
    sfnMock.on(ListStateMachinesCommand).resolves({
      stateMachines: [
        { stateMachineArn: BILLING_ARN, name: 'Orders-Billing', type: 'STANDARD', creationDate: new Date() },
        { stateMachineArn: STATE_MACHINE_ARN, name: 'Orders-Process', type: 'STANDARD', creationDate: new Date() },
      ],
    });
    await watchingSinceAWeekAgo(ledger);
    await watchingSinceAWeekAgo(ledger, BILLING_ARN);
    sfnMock.on(ListExecutionsCommand, { stateMachineArn: BILLING_ARN }).rejects(new SFNServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'not authorized', $metadata: {} }));
    listing({ FAILED: [item('good-1', HOUR_MS), { ...item('bad', 2 * HOUR_MS), executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Orders-Process:has space' }, item('good-2', 3 * HOUR_MS)] });

    const report = await run(ledger, prefixes);
    expect(enqueuedNames().sort()).toEqual(['good-1@0', 'good-2@0']);
    expect(report.problems.map((p) => p.subject).sort()).toEqual(['arn:aws:states:us-east-1:123456789012:execution:Orders-Process:has space', BILLING_ARN].sort());
    expect(published()).toHaveLength(1);
    expect(published()[0]).toMatchObject({ kind: 'PIPELINE_ERROR' });
    expect(published()[0].detail).toContain('AccessDeniedException');

    // The same problems on the next sweep: no second alert. Fixed, then broken again: alerted again.
    await run(ledger, prefixes);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    sfnMock.on(ListExecutionsCommand, { stateMachineArn: BILLING_ARN }).resolves({ executions: [] });
    listing({ FAILED: [] });
    expect((await run(ledger, prefixes)).problems).toEqual([]);
    sfnMock.on(ListExecutionsCommand, { stateMachineArn: BILLING_ARN }).rejects(new Error('boom'));
    await run(ledger, prefixes);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 2);
  });
});

/**
 * Approvals against DynamoDB Local with the real engine and ledger (Step Functions, SQS and SNS are
 * mocked): a failure an `approve` rule matches waits for a person, and however many clicks or people
 * arrive at once, exactly one RedriveExecution is made.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, RedriveExecutionCommand, SFNClient, SFNServiceException } from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SnsAlertPublisher } from '../../adapters/alert-publisher';
import { IntakeQueue } from '../../adapters/intake-queue';
import type { Ledger } from '../../adapters/ledger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import 'aws-sdk-client-mock-jest';
import { alertFields, type Alert } from '../../core/alerts';
import { clientTokenFor } from '../../core/client-token';
import { APPROVAL_KIND, RERUN_WATCH_KIND, type ApprovalMessage, type RerunWatchMessage } from '../../core/messages';
import { sweep } from '../../engine/sweep';
import { ACCOUNT, config, evidence, executionArn, NOW_MS, REGION, STATE_MACHINE_ARN } from '../support/fixtures';
import { useDynamoDbLocal } from '../support/dynamo';
import { useEngineMocks, workerEngine } from '../support/engine-mocks';

const harness = useDynamoDbLocal();
const { sfnMock, snsMock, sqsMock } = useEngineMocks();
const DAY_MS = 86_400_000;
const RESPONSE_URL = 'https://hooks.slack.com/actions/T024BE7LD/1234567890/abcdefABCDEF';

const failure = evidence({ error: 'CardDeclined', cause: 'card 4242 declined' });

beforeEach(() => {
  sfnMock.on(GetExecutionHistoryCommand).resolves({
    events: [
      { id: 7, type: 'ExecutionFailed', timestamp: new Date(NOW_MS - 60_000), executionFailedEventDetails: { error: 'CardDeclined', cause: 'card 4242 declined' } },
      { id: 6, type: 'TaskFailed', timestamp: new Date(NOW_MS - 60_000) },
      { id: 5, type: 'TaskStateEntered', timestamp: new Date(NOW_MS - 61_000), stateEnteredEventDetails: { name: 'ChargeCard' } },
    ],
  });
  sfnMock.on(DescribeExecutionCommand).resolves({
    executionArn: executionArn(),
    stateMachineArn: STATE_MACHINE_ARN,
    name: 'exec-1',
    status: 'FAILED',
    startDate: new Date(failure.startDateMs),
    stopDate: new Date(failure.stopDateMs!),
    redriveCount: 0,
    redriveStatus: 'REDRIVABLE',
    error: 'CardDeclined',
    cause: 'card 4242 declined',
  });
});

async function setup() {
  const { ledger } = await harness.newLedger();
  let nowMs = NOW_MS;
  const clock = { nowMs: () => nowMs, advance: (ms: number) => (nowMs += ms) };
  const engine = workerEngine(ledger, config({ errorPolicy: { rules: [{ match: ['CardDeclined'], action: 'approve' }] } }), clock);
  return { engine, ledger, clock };
}

function approval(overrides: Partial<ApprovalMessage> = {}): string {
  const message: ApprovalMessage = { kind: APPROVAL_KIND, executionArn: executionArn(), generation: 0, verdict: 'APPROVED', via: 'slack', by: 'U024BE7LH', byName: 'alice', decidedAtMs: NOW_MS, responseUrl: RESPONSE_URL, ...overrides };
  return JSON.stringify(message);
}

function publishedAlerts(): Alert[] {
  return snsMock.commandCalls(PublishCommand).map((call) => JSON.parse(JSON.parse(call.args[0].input.Message!).default) as Alert);
}

describe('an approve rule', () => {
  it('records APPROVAL_PENDING and asks with the error, cause, failed state, attempts, window and the CLI commands; no redrive', async () => {
    const { engine, ledger } = await setup();
    const outcome = await engine.handleEvidence(failure, 'event');
    expect(outcome).toMatchObject({ place: 'APPROVAL_PENDING', reason: 'APPROVAL_REQUIRED', redriven: false });
    expect(sfnMock).not.toHaveReceivedCommand(RedriveExecutionCommand);
    expect(await ledger.get(executionArn())).toMatchObject({ phase: 'APPROVAL_PENDING', generation: 0, approvalRequestedAtMs: NOW_MS, attemptsUsed: 0 });
    expect(publishedAlerts()).toEqual([
      expect.objectContaining({
        kind: 'APPROVAL_NEEDED',
        executionArn: executionArn(),
        generation: 0,
        error: 'CardDeclined',
        cause: 'card 4242 declined',
        failedState: 'ChargeCard',
        attemptsUsed: 0,
        attemptsLeft: 3,
        windowLeftMs: 14 * DAY_MS - 60_000,
        commands: [
          'sfn-autoredrive approve arn:aws:states:us-east-1:123456789012:execution:Orders-Process:exec-1 --generation 0 --reason "…"',
          'sfn-autoredrive reject arn:aws:states:us-east-1:123456789012:execution:Orders-Process:exec-1 --generation 0 --reason "…"',
        ],
      }),
    ]);
    expect(publishedAlerts()[0].failedInFailState).toBeUndefined();
    // The owed alert was published, so none is left owed.
    expect((await ledger.get(executionArn()))?.pendingAlert).toBeUndefined();
  });

  it('says when the failed state is a Fail state (a Catch led there): approving would fail there again', async () => {
    sfnMock.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 9, type: 'ExecutionFailed', timestamp: new Date(NOW_MS - 60_000), executionFailedEventDetails: { error: 'CardDeclined', cause: 'card 4242 declined' } },
        { id: 8, type: 'FailStateEntered', timestamp: new Date(NOW_MS - 60_000), stateEnteredEventDetails: { name: 'PaymentFailed' } },
        { id: 7, type: 'TaskStateExited', timestamp: new Date(NOW_MS - 61_000) },
        { id: 6, type: 'TaskFailed', timestamp: new Date(NOW_MS - 61_000) },
        { id: 5, type: 'TaskStateEntered', timestamp: new Date(NOW_MS - 62_000), stateEnteredEventDetails: { name: 'ChargeCard' } },
      ],
    });
    const { engine } = await setup();
    await engine.handleEvidence(failure, 'event');
    const [asked] = publishedAlerts();
    expect(asked).toMatchObject({ kind: 'APPROVAL_NEEDED', failedState: 'PaymentFailed', failedInFailState: true });
    expect(alertFields(asked)).toContainEqual([
      'Failed state',
      'PaymentFailed (a Fail state: a redrive reruns it with the same input and fails again; fix forward with `sfn-autoredrive restart`)',
    ]);
  });
});

describe('approvals', () => {
  it('an approval redrives once with the generation\'s token and records who, when and from where', async () => {
    const { engine, ledger } = await setup();
    await engine.handleEvidence(failure, 'event');
    snsMock.resetHistory();
    const outcome = await engine.handleMessage(approval(), 'm-1');
    expect(outcome).toMatchObject({ place: 'REDRIVEN', redriven: true });
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(RedriveExecutionCommand, { executionArn: executionArn(), clientToken: clientTokenFor(executionArn(), 0) });
    const record = await ledger.get(executionArn());
    expect(record).toMatchObject({
      phase: 'REDRIVEN',
      attemptsUsed: 1,
      approval: { generation: 0, verdict: 'APPROVED', via: 'slack', by: 'U024BE7LH', byName: 'alice', decidedAtMs: NOW_MS },
    });
    expect(record?.attempts.at(-1)).toMatchObject({ outcome: 'REDRIVEN', actor: 'slack U024BE7LH (alice)' });
    expect(publishedAlerts()).toEqual([
      expect.objectContaining({ kind: 'APPROVAL_DECIDED', responseUrl: RESPONSE_URL, decision: { verdict: 'APPROVED', by: 'U024BE7LH', byName: 'alice', via: 'slack', decidedAtMs: NOW_MS, outcome: 'REDRIVEN' } }),
    ]);
  });

  it('a double click makes exactly one RedriveExecution and one announcement', async () => {
    const { engine, ledger } = await setup();
    await engine.handleEvidence(failure, 'event');
    snsMock.resetHistory();
    const outcomes = await Promise.all([engine.handleMessage(approval(), 'm-1'), engine.handleMessage(approval(), 'm-2')]);
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 1);
    expect(outcomes.filter((o) => o.redriven)).toHaveLength(1);
    expect(outcomes.map((o) => o.reason).sort()).toEqual(['ALREADY_HANDLED', 'ELIGIBLE']);
    expect(await ledger.get(executionArn())).toMatchObject({ phase: 'REDRIVEN', attemptsUsed: 1 });
    expect(publishedAlerts().map((a) => a.kind)).toEqual(['APPROVAL_DECIDED']);
  });

  it('two approvers at once make exactly one RedriveExecution, recorded under the one who won', async () => {
    const { engine, ledger } = await setup();
    await engine.handleEvidence(failure, 'event');
    const bob = approval({ by: 'U0BOB0000', byName: 'bob' });
    const outcomes = await Promise.all([engine.handleMessage(approval(), 'm-1'), engine.handleMessage(bob, 'm-2')]);
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 1);
    const winner = outcomes[0].redriven ? 'alice' : 'bob';
    expect(await ledger.get(executionArn())).toMatchObject({ phase: 'REDRIVEN', approval: { byName: winner } });
  });

  it('an approval and a rejection at once: one of them wins, and the ledger says which', async () => {
    const { engine, ledger } = await setup();
    await engine.handleEvidence(failure, 'event');
    const reject = approval({ verdict: 'REJECTED', by: 'U0BOB0000', byName: 'bob', reason: 'customer refunded' });
    const [approved, rejected] = await Promise.all([engine.handleMessage(approval(), 'm-1'), engine.handleMessage(reject, 'm-2')]);
    const record = await ledger.get(executionArn());
    if (approved.redriven) {
      // Lost at the conditional write, or read the item after the claim: either way nothing was written.
      expect(['ALREADY_HANDLED', 'APPROVAL_NOT_PENDING']).toContain(rejected.reason);
      expect(record).toMatchObject({ phase: 'REDRIVEN', approval: { verdict: 'APPROVED' } });
      expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 1);
    } else {
      expect(rejected).toMatchObject({ place: 'REJECTED' });
      expect(record).toMatchObject({ phase: 'REJECTED', approval: { verdict: 'REJECTED', reason: 'customer refunded' } });
      expect(sfnMock).not.toHaveReceivedCommand(RedriveExecutionCommand);
    }
  });

  it('a rejection is final: the ledger records it, and a later approval changes nothing', async () => {
    const { engine, ledger } = await setup();
    await engine.handleEvidence(failure, 'event');
    const outcome = await engine.handleMessage(approval({ verdict: 'REJECTED', via: 'cli', by: 'arn:aws:iam::123456789012:user/carol', byName: undefined, reason: 'INC-9 refunded', responseUrl: undefined }), 'm-1');
    expect(outcome).toMatchObject({ place: 'REJECTED', reason: 'REJECTED' });
    const record = await ledger.get(executionArn());
    expect(record).toMatchObject({ phase: 'REJECTED', approval: { verdict: 'REJECTED', via: 'cli', by: 'arn:aws:iam::123456789012:user/carol', reason: 'INC-9 refunded' } });
    expect(record?.attempts.at(-1)).toMatchObject({ decision: 'REJECT', outcome: 'REJECTED', actor: 'operator arn:aws:iam::123456789012:user/carol: INC-9 refunded' });
    // A person decided with the window in view: no WINDOW_CLOSING alert will follow.
    expect(record?.unredrivenWindowClosesAtMs).toBeUndefined();
    expect(await engine.handleMessage(approval(), 'm-2')).toMatchObject({ place: 'SKIPPED', reason: 'APPROVAL_NOT_PENDING' });
    expect(sfnMock).not.toHaveReceivedCommand(RedriveExecutionCommand);
  });

  it('an approval after the window (less the safety margin) closed redrives nothing and alerts NOT_REDRIVABLE', async () => {
    const { engine, ledger, clock } = await setup();
    await engine.handleEvidence(failure, 'event');
    snsMock.resetHistory();
    // Stopped a minute before NOW: 14 days less the 900 s margin later, only 14 minutes are left.
    clock.advance(14 * DAY_MS - 15 * 60_000);
    const outcome = await engine.handleMessage(approval({ decidedAtMs: clock.nowMs() }), 'm-1');
    expect(outcome).toMatchObject({ place: 'SKIPPED', reason: 'REDRIVE_WINDOW_EXPIRED' });
    expect(sfnMock).not.toHaveReceivedCommand(RedriveExecutionCommand);
    expect(await ledger.get(executionArn())).toMatchObject({ phase: 'SKIPPED', reason: 'REDRIVE_WINDOW_EXPIRED', approval: { verdict: 'APPROVED' } });
    expect(publishedAlerts().map((a) => a.kind)).toEqual(['NOT_REDRIVABLE', 'APPROVAL_DECIDED']);
  });

  it('an approval for an unknown execution, or an older generation, changes nothing', async () => {
    const { engine, ledger } = await setup();
    expect(await engine.handleMessage(approval({ executionArn: executionArn('never-seen') }), 'm-1')).toMatchObject({ place: 'SKIPPED', reason: 'APPROVAL_NOT_PENDING' });
    expect(await ledger.get(executionArn('never-seen'))).toBeUndefined();
    await engine.handleEvidence(evidence({ error: 'CardDeclined', redriveCount: 2 }), 'event');
    expect(await engine.handleMessage(approval({ generation: 1 }), 'm-2')).toMatchObject({ reason: 'APPROVAL_NOT_PENDING' });
    expect(await ledger.get(executionArn())).toMatchObject({ phase: 'APPROVAL_PENDING', generation: 2 });
    expect(sfnMock).not.toHaveReceivedCommand(RedriveExecutionCommand);
    expect(snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes?.kind?.StringValue)).toEqual(['APPROVAL_NEEDED']);
  });

  it('an approval of an execution that moved on since (redriven elsewhere) redrives nothing', async () => {
    const { engine } = await setup();
    await engine.handleEvidence(failure, 'event');
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: executionArn(), stateMachineArn: STATE_MACHINE_ARN, name: 'exec-1', status: 'RUNNING', startDate: new Date(failure.startDateMs), redriveCount: 1 });
    const outcome = await engine.handleMessage(approval(), 'm-1');
    expect(outcome.redriven).toBe(false);
    expect(sfnMock).not.toHaveReceivedCommand(RedriveExecutionCommand);
  });
});

describe('the rerun an approval started', () => {
  const sentWatches = () => sqsMock.commandCalls(SendMessageCommand).map((call) => ({ body: JSON.parse(call.args[0].input.MessageBody!) as RerunWatchMessage, delaySeconds: call.args[0].input.DelaySeconds }));
  const lastWatch = () => sentWatches().at(-1)!.body;
  const rerun = (status: string, redriveCount: number, extra: Record<string, unknown> = {}) =>
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: executionArn(), stateMachineArn: STATE_MACHINE_ARN, name: 'exec-1', status: status as never, startDate: new Date(failure.startDateMs), redriveCount, ...extra });
  const told = () => publishedAlerts().filter((a) => a.reason === 'RERUN_ENDED');

  /** A failure asked about, approved in Slack and redriven: the watch is recorded and its first look sent. */
  async function approved() {
    const s = await setup();
    await s.engine.handleEvidence(failure, 'event');
    await s.engine.handleMessage(approval(), 'click');
    snsMock.resetHistory();
    sfnMock.resetHistory();
    return s;
  }

  it('is recorded in the ledger, and looked at after 1, 2, 4, 8 and then every 15 minutes while it runs, one DescribeExecution a look', async () => {
    const { engine, ledger, clock } = await approved();
    expect((await ledger.get(executionArn()))?.rerunWatch).toEqual({
      generation: 0, via: 'slack', by: 'U024BE7LH', byName: 'alice', decidedAtMs: NOW_MS, responseUrlSha256: createHash('sha256').update(RESPONSE_URL).digest('hex'),
    });
    expect(sentWatches()).toEqual([{ delaySeconds: 60, body: { kind: RERUN_WATCH_KIND, executionArn: executionArn(), generation: 0, checks: 0, dueAtMs: NOW_MS + 60_000, responseUrl: RESPONSE_URL } }]);
    rerun('RUNNING', 1);
    sfnMock.resetHistory();
    for (let look = 0; look < 6; look++) {
      clock.advance(lastWatch().dueAtMs - clock.nowMs());
      expect(await engine.handleMessage(JSON.stringify(lastWatch()), `look-${look}`)).toMatchObject({ place: 'WAITING', reason: 'RERUN_RUNNING' });
    }
    expect(sentWatches().slice(1).map((w) => w.delaySeconds)).toEqual([120, 240, 480, 900, 900, 900]);
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 6);
    expect(publishedAlerts()).toEqual([]);
  });

  it('ended: the clicked message is replaced with how it ended, once, however many copies of the look arrive', async () => {
    const { engine, clock } = await approved();
    const look = lastWatch();
    clock.advance(10 * 60_000);
    rerun('SUCCEEDED', 1, { stopDate: new Date(NOW_MS + 9 * 60_000) });
    expect(await engine.handleMessage(JSON.stringify(look), 'look')).toMatchObject({ place: 'REPORTED', reason: 'RERUN_ENDED', detail: 'SUCCEEDED' });
    expect(await engine.handleMessage(JSON.stringify(look), 'look-again')).toMatchObject({ place: 'SKIPPED', reason: 'RERUN_NOT_FOLLOWED' });
    expect(told()).toEqual([
      expect.objectContaining({ kind: 'APPROVAL_DECIDED', responseUrl: RESPONSE_URL, generation: 0, decision: { verdict: 'APPROVED', by: 'U024BE7LH', byName: 'alice', via: 'slack', decidedAtMs: NOW_MS, outcome: 'SUCCEEDED' } }),
    ]);
    expect(told()[0].windowLeftMs).toBeUndefined();
    // One look read the execution; nothing was redriven again.
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
    expect(sfnMock).not.toHaveReceivedCommand(RedriveExecutionCommand);
  });

  it('a redelivered look that already queued its next one makes a second chain, but the end is told once', async () => {
    const { engine, clock } = await approved();
    rerun('RUNNING', 1);
    clock.advance(60_000);
    const look = lastWatch();
    for (const id of ['m', 'm']) await engine.handleMessage(JSON.stringify(look), id);
    const chains = sentWatches().slice(-2).map((w) => w.body);
    rerun('SUCCEEDED', 1, { stopDate: new Date(NOW_MS) });
    clock.advance(40 * 60_000);
    for (const [i, next] of chains.entries()) await engine.handleMessage(JSON.stringify(next), `n${i}`);
    expect(told()).toHaveLength(1);
    // Past Slack's 30 minutes the response_url is left out: the notifier posts anew instead of being refused.
    expect(told()[0].responseUrl).toBeUndefined();
  });

  it.each([
    ['FAILED', 1, { error: 'CardDeclined' }, 'FAILED (CardDeclined)'],
    ['TIMED_OUT', 1, {}, 'TIMED_OUT'],
    ['FAILED', 3, {}, 'ended unsuccessfully, then redriven 2 more time(s): now FAILED'],
  ])('ended %s at redriveCount %d: tells %j', async (status, redriveCount, extra, result) => {
    const { engine, clock } = await approved();
    clock.advance(60_000);
    rerun(status, redriveCount, extra);
    expect(await engine.handleMessage(JSON.stringify(lastWatch()), 'look')).toMatchObject({ place: 'REPORTED', detail: result });
    expect(told().map((a) => a.decision?.outcome)).toEqual([result]);
  });

  it('still running 24 hours after the decision: told so, and no longer followed, whatever the message says is due', async () => {
    const { engine, clock } = await approved();
    rerun('RUNNING', 1);
    const farFuture = { ...lastWatch(), dueAtMs: NOW_MS + 10 * 365 * 86_400_000 };
    clock.advance(24 * 3_600_000);
    sqsMock.resetHistory();
    expect(await engine.handleMessage(JSON.stringify(farFuture), 'late')).toMatchObject({ place: 'REPORTED', detail: 'still RUNNING after 24 h: no longer followed' });
    expect(sentWatches()).toEqual([]);
  });

  it('a look that arrives early is sent on unread; a throttled look is tried again later, not dead-lettered', async () => {
    const { engine, clock } = await approved();
    const first = lastWatch();
    sqsMock.resetHistory();
    expect(await engine.handleMessage(JSON.stringify(first), 'early')).toMatchObject({ place: 'WAITING', reason: 'RERUN_RUNNING', detail: 'next look not due yet' });
    expect(sentWatches().map((w) => w.delaySeconds)).toEqual([60]);
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
    clock.advance(60_000);
    sfnMock.on(DescribeExecutionCommand).rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    expect(await engine.handleMessage(JSON.stringify(lastWatch()), 'throttled')).toMatchObject({ place: 'WAITING', reason: 'RERUN_RUNNING' });
    expect(sentWatches().at(-1)).toMatchObject({ delaySeconds: 120, body: { checks: 1 } });
  });

  it('a forged look (no such watch in the ledger, another generation, or another response_url) changes nothing and posts nothing', async () => {
    const { engine, clock } = await approved();
    clock.advance(60_000);
    rerun('SUCCEEDED', 1, { stopDate: new Date(NOW_MS) });
    sfnMock.resetHistory();
    const genuine = lastWatch();
    const forgeries = [
      { ...genuine, executionArn: executionArn('never-approved') },
      { ...genuine, generation: 1 },
      { ...genuine, responseUrl: 'https://hooks.slack.com/actions/TATTACKER/1/secret' },
      { kind: RERUN_WATCH_KIND, executionArn: genuine.executionArn, generation: 0, checks: 0, dueAtMs: 0 },
    ];
    for (const [i, forged] of forgeries.entries()) expect(await engine.handleMessage(JSON.stringify(forged), `forged-${i}`)).toMatchObject({ place: 'SKIPPED', reason: 'RERUN_NOT_FOLLOWED' });
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
    expect(publishedAlerts()).toEqual([]);
  });
});

describe('expiry by the sweep', () => {
  function sweepAt(ledger: Ledger, nowMs: number) {
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
    return sweep({
      config: config({ watch: { stateMachineArns: [STATE_MACHINE_ARN] }, errorPolicy: { rules: [{ match: ['CardDeclined'], action: 'approve' }] } }),
      clock: { nowMs: () => nowMs },
      sfn: new SFNClient({ region: REGION }),
      ledger,
      alerts: new SnsAlertPublisher(new SNSClient({ region: REGION }), `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      home: { partition: 'aws', region: REGION, account: ACCOUNT },
      handOver: { queue: new IntakeQueue(new SQSClient({ region: REGION }), 'http://q/intake', 'http://q/dlq') },
    });
  }

  it('the window-closing alert names the pending approval and how to decide it', async () => {
    const { engine, ledger } = await setup();
    await engine.handleEvidence(failure, 'event');
    snsMock.resetHistory();
    // Stopped a minute before NOW: 13 days later, 23 h 59 m are left.
    const report = await sweepAt(ledger, NOW_MS + 13 * DAY_MS);
    expect(report.approvalsExpired).toEqual([]);
    expect(publishedAlerts()).toEqual([
      expect.objectContaining({
        kind: 'WINDOW_CLOSING',
        detail: '23h 59m left, and an approval is pending: it expires when the window (less the safety margin) closes',
        commands: [expect.stringMatching(/^sfn-autoredrive approve /), expect.stringMatching(/^sfn-autoredrive reject /)],
      }),
    ]);
  });

  it('a pending approval expires when the window less the margin closes: SKIPPED, one NOT_REDRIVABLE alert, and a late click changes nothing', async () => {
    const { engine, ledger, clock } = await setup();
    await engine.handleEvidence(failure, 'event');
    snsMock.resetHistory();
    // 14 minutes left, under the 15-minute margin.
    const atMs = NOW_MS - 60_000 + 14 * DAY_MS - 14 * 60_000;
    const report = await sweepAt(ledger, atMs);
    expect(report.approvalsExpired).toEqual([executionArn()]);
    expect(await ledger.get(executionArn())).toMatchObject({ phase: 'SKIPPED', reason: 'REDRIVE_WINDOW_EXPIRED' });
    expect(publishedAlerts()).toEqual([
      expect.objectContaining({ kind: 'NOT_REDRIVABLE', reason: 'REDRIVE_WINDOW_EXPIRED', detail: `the approval pending since ${new Date(NOW_MS).toISOString()} expired: 14m left in the window, under the 15m safety margin` }),
    ]);
    // A second sweep repeats nothing.
    expect((await sweepAt(ledger, atMs + 60_000)).approvalsExpired).toEqual([]);
    expect(publishedAlerts()).toHaveLength(1);
    clock.advance(atMs - NOW_MS);
    expect(await engine.handleMessage(approval({ decidedAtMs: atMs }), 'late')).toMatchObject({ reason: 'APPROVAL_NOT_PENDING' });
    expect(sfnMock).not.toHaveReceivedCommand(RedriveExecutionCommand);
  });
});

describe('a late second click', () => {
  it('after the redrive started (the execution is RUNNING) changes nothing and announces nothing', async () => {
    const { engine } = await setup();
    await engine.handleEvidence(failure, 'event');
    await engine.handleMessage(approval(), 'm-1');
    snsMock.resetHistory();
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: executionArn(), stateMachineArn: STATE_MACHINE_ARN, name: 'exec-1', status: 'RUNNING', startDate: new Date(failure.startDateMs), redriveCount: 1 });
    // bob clicked too; by the time his click is handled, the execution has been redriven and runs.
    const outcome = await engine.handleMessage(approval({ by: 'U0BOB0000', byName: 'bob' }), 'm-2');
    expect(outcome).toMatchObject({ redriven: false });
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 1);
    expect(publishedAlerts()).toEqual([]);
  });
});

describe('an approval whose worker died after RedriveExecution (found by the model test, seed 1465691816)', () => {
  it('is finished by the redelivered approval: the redrive is recorded under the approver, not left REDRIVING', async () => {
    const { engine, ledger, clock } = await setup();
    await engine.handleEvidence(failure, 'event');
    sfnMock.on(RedriveExecutionCommand).rejectsOnce(new Error('the worker died after the call')).resolves({ redriveDate: new Date(NOW_MS) });
    await expect(engine.handleMessage(approval(), 'm-1')).rejects.toThrow('the worker died after the call');
    expect(await ledger.get(executionArn())).toMatchObject({ phase: 'REDRIVING', generation: 0 });
    // The redrive went through: the execution runs again (AWS counts it), and SQS hands the approval back.
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: executionArn(), stateMachineArn: STATE_MACHINE_ARN, name: 'exec-1', status: 'RUNNING', startDate: new Date(failure.startDateMs), redriveCount: 1 });
    clock.advance(6 * 60_000);
    expect(await engine.handleMessage(approval(), 'm-1')).toMatchObject({ redriven: true });
    const record = await ledger.get(executionArn());
    expect(record).toMatchObject({ phase: 'REDRIVEN', generation: 0, attemptsUsed: 1 });
    expect(record!.attempts.at(-1)).toMatchObject({ decision: 'REDRIVE', actor: 'slack U024BE7LH (alice)' });
  });
});

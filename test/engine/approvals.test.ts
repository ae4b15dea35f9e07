/**
 * Approvals against DynamoDB Local with the real engine and ledger (Step Functions, SQS and SNS are
 * mocked): a failure an `approve` rule matches waits for a person, and however many clicks or people
 * arrive at once, exactly one RedriveExecution is made.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, RedriveExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SnsAlertPublisher } from '../../adapters/alert-publisher';
import { IntakeQueue } from '../../adapters/intake-queue';
import type { Ledger } from '../../adapters/ledger';
import { SQSClient } from '@aws-sdk/client-sqs';
import 'aws-sdk-client-mock-jest';
import type { Alert } from '../../core/alerts';
import { clientTokenFor } from '../../core/client-token';
import { APPROVAL_KIND, type ApprovalMessage } from '../../core/messages';
import { sweep } from '../../engine/sweep';
import { ACCOUNT, config, evidence, executionArn, NOW_MS, REGION, STATE_MACHINE_ARN } from '../support/fixtures';
import { useDynamoDbLocal } from '../support/dynamo';
import { useEngineMocks, workerEngine } from '../support/engine-mocks';

const harness = useDynamoDbLocal();
const { sfnMock, snsMock } = useEngineMocks();
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
    // The owed alert was published, so none is left owed.
    expect((await ledger.get(executionArn()))?.pendingAlert).toBeUndefined();
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

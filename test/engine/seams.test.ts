/**
 * Loss paths found where two parts meet (issue 8): sweep ↔ worker ↔ ledger. Each test failed on the
 * code before the fix.
 */
import { DescribeExecutionCommand, ExecutionNotRedrivable, RedriveExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-jest';
import type { AutoRedriveConfigInput } from '../../core/config';
import { RECHECK_KIND, syntheticStatusEvent } from '../../core/messages';
import { evidenceFromListItem } from '../../engine/sweep';
import { ACCOUNT, config, evidence, executionArn, NOW_MS, REGION, STATE_MACHINE_ARN } from '../support/fixtures';
import { useDynamoDbLocal } from '../support/dynamo';
import { useEngineMocks, workerEngine } from '../support/engine-mocks';

const harness = useDynamoDbLocal();
const { sfnMock, sqsMock, snsMock } = useEngineMocks();
const HOME = { partition: 'aws', region: REGION, account: ACCOUNT };

async function setup(overrides: AutoRedriveConfigInput = {}) {
  const { ledger, doc, tableName } = await harness.newLedger();
  let nowMs = NOW_MS;
  const clock = { nowMs: () => nowMs, advance: (ms: number) => (nowMs += ms) };
  const engine = workerEngine(ledger, config({ backoff: { initialDelaySeconds: 0, maxDelaySeconds: 1, jitter: 'none' }, ...overrides }), clock);
  return { engine, ledger, doc, tableName, clock };
}

/** What the sweep hands over for a listed failure: a rebuilt event with no error, cause or redrive status. */
function handOverBody(name: string): string {
  const listed = evidenceFromListItem({
    executionArn: executionArn(name),
    stateMachineArn: STATE_MACHINE_ARN,
    name,
    status: 'FAILED',
    startDate: new Date(NOW_MS - 7_200_000),
    stopDate: new Date(NOW_MS - 3_600_000),
    redriveCount: 0,
  });
  return JSON.stringify(syntheticStatusEvent(listed, HOME, NOW_MS));
}

const described = (name: string, error: string) => ({
  executionArn: executionArn(name),
  stateMachineArn: STATE_MACHINE_ARN,
  name,
  status: 'FAILED' as const,
  startDate: new Date(NOW_MS - 7_200_000),
  stopDate: new Date(NOW_MS - 3_600_000),
  redriveCount: 0,
  redriveStatus: 'REDRIVABLE' as const,
  error,
  cause: `${error} happened`,
});

describe('1. alert bookkeeping never reads as handling', () => {
  it('an item with no generation (an older sweep\'s window-closing mark) is not handled: the failure is redriven', async () => {
    const { engine, ledger, doc, tableName } = await setup();
    // Exactly what the earlier claimWindowClosingAlert wrote on an unledgered failure.
    await doc.send(new UpdateCommand({
      TableName: tableName,
      Key: { executionArn: executionArn('marked') },
      UpdateExpression: 'SET windowClosingAlertedGeneration = :g, expiresAtEpochSeconds = :e',
      ExpressionAttributeValues: { ':g': 0, ':e': Math.floor(NOW_MS / 1000) + 86_400 },
    }));
    expect(await ledger.get(executionArn('marked'))).toBeUndefined();
    sfnMock.on(DescribeExecutionCommand).resolves(described('marked', 'Lambda.ServiceException'));
    const outcome = await engine.handleMessage(handOverBody('marked'), 'm1');
    expect(outcome).toMatchObject({ place: 'REDRIVEN', generation: 0 });
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 1);
    expect(await ledger.get(executionArn('marked'))).toMatchObject({ phase: 'REDRIVEN', generation: 0, attemptsUsed: 1 });
  });

  it('the window-closing claim needs the item at its generation and creates nothing', async () => {
    const { ledger } = await setup();
    expect(await ledger.claimWindowClosingAlert(executionArn('absent'), 0)).toBe(false);
    expect(await ledger.get(executionArn('absent'))).toBeUndefined();
    await ledger.transition({ evidence: evidence(), generation: 1, expect: { newGeneration: true }, phase: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR', nowMs: NOW_MS });
    expect(await ledger.claimWindowClosingAlert(executionArn(), 0)).toBe(false);
    expect(await ledger.claimWindowClosingAlert(executionArn(), 1)).toBe(true);
    expect(await ledger.claimWindowClosingAlert(executionArn(), 1)).toBe(false);
    expect(await ledger.get(executionArn())).toMatchObject({ generation: 1, phase: 'SKIPPED', windowClosingAlertedGeneration: 1 });
  });
});

describe('2. a missing error is read, never assumed', () => {
  it('with onlyRetry, a sweep hand-over reads the error (one DescribeExecution) and redrives a retryable one', async () => {
    const { engine } = await setup({ errorPolicy: { onlyRetry: ['Lambda.*'] } });
    sfnMock.on(DescribeExecutionCommand).resolves(described('listed', 'Lambda.ServiceException'));
    expect(await engine.handleMessage(handOverBody('listed'), 'm1')).toMatchObject({ place: 'REDRIVEN' });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 1);
  });

  it('with onlyRetry, a non-matching error read from DescribeExecution is skipped under its own name', async () => {
    const { engine } = await setup({ errorPolicy: { onlyRetry: ['Lambda.*'] } });
    sfnMock.on(DescribeExecutionCommand).resolves(described('listed', 'Payment.Declined'));
    const outcome = await engine.handleMessage(handOverBody('listed'), 'm1');
    expect(outcome).toMatchObject({ place: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR' });
    expect(outcome.detail).toContain('Payment.Declined');
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 0);
  });

  it('the default never-retry list also reads the error of a listed failure before skipping it', async () => {
    const { engine } = await setup();
    sfnMock.on(DescribeExecutionCommand).resolves(described('listed', 'States.Permissions'));
    expect(await engine.handleMessage(handOverBody('listed'), 'm1')).toMatchObject({ place: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR' });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
  });
});

describe('3. a refused redrive ends in a final phase and costs no attempt', () => {
  it.each([
    ['RUNNING', 'Execution is RUNNING and cannot be redriven', 'NOT_FAILED'],
    ['SUCCEEDED', 'Execution is SUCCEEDED and cannot be redriven', 'NOT_FAILED'],
    ['history limit', 'Execution history event limit exceeded', 'NOT_REDRIVABLE_PER_AWS'],
  ])('%s: SKIPPED, attemptsUsed back to 0, the next generation still gets all 3 attempts', async (_case, message, reason) => {
    const { engine, ledger } = await setup({ maxAttempts: 3 });
    sfnMock.on(RedriveExecutionCommand).rejectsOnce(new ExecutionNotRedrivable({ message, $metadata: {} })).resolves({ redriveDate: new Date(NOW_MS) });
    const first = await engine.handleEvidence(evidence(), 'event');
    expect(first).toMatchObject({ place: 'SKIPPED', reason, redriven: false });
    const record = await ledger.get(executionArn());
    expect(record).toMatchObject({ phase: 'SKIPPED', reason, generation: 0, attemptsUsed: 0 });
    // Three more failure generations are each redriven: the refusal did not use up one of the 3.
    for (const generation of [1, 2, 3]) {
      expect(await engine.handleEvidence(evidence({ redriveCount: generation }), 'event')).toMatchObject({ place: 'REDRIVEN', generation });
    }
    expect(await engine.handleEvidence(evidence({ redriveCount: 4 }), 'event')).toMatchObject({ place: 'GAVE_UP' });
  });
});

describe('7. a claim or recheck holds only for its own generation', () => {
  it('a claim for generation 0 expecting WAITING loses against generation 1 in WAITING', async () => {
    const { ledger } = await setup();
    await ledger.transition({ evidence: evidence({ redriveCount: 1 }), generation: 1, expect: { newGeneration: true }, phase: 'WAITING', reason: 'BACKOFF', nowMs: NOW_MS, dueAtMs: NOW_MS + 60_000, recheckEnqueued: true });
    const stale = await ledger.transition({ evidence: evidence(), generation: 0, expect: { phases: ['WAITING'] }, phase: 'REDRIVING', reason: 'ELIGIBLE', nowMs: NOW_MS, attemptsIncrement: 1 });
    expect(stale.won).toBe(false);
    expect(await ledger.get(executionArn())).toMatchObject({ generation: 1, phase: 'WAITING', attemptsUsed: 0 });
  });

  it('a recheck for generation 0 does nothing to generation 1: no call, no message, no write', async () => {
    const { engine, ledger } = await setup();
    await ledger.transition({ evidence: evidence({ redriveCount: 1 }), generation: 1, expect: { newGeneration: true }, phase: 'WAITING', reason: 'BACKOFF', nowMs: NOW_MS, dueAtMs: NOW_MS + 60_000, recheckEnqueued: true });
    const before = await ledger.get(executionArn());
    const recheck = JSON.stringify({ kind: RECHECK_KIND, executionArn: executionArn(), generation: 0, dueAtMs: NOW_MS });
    expect(await engine.handleMessage(recheck, 'r1')).toMatchObject({ place: 'SKIPPED', reason: 'ALREADY_HANDLED' });
    expect(sfnMock).toHaveReceivedCommandTimes(RedriveExecutionCommand, 0);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 0);
    expect(await ledger.get(executionArn())).toEqual(before);
  });
});

describe('found by the model-based test', () => {
  it('stale-ledger-evidence: a new generation does not inherit the previous one\'s error and cause', async () => {
    const { ledger } = await setup();
    await ledger.transition({ evidence: evidence({ error: 'States.Permissions', cause: 'denied' }), generation: 0, expect: { newGeneration: true }, phase: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR', nowMs: NOW_MS });
    await ledger.transition({ evidence: evidence({ redriveCount: 1, status: 'ABORTED', error: undefined, cause: undefined }), generation: 1, expect: { newGeneration: true }, phase: 'WAITING', reason: 'BACKOFF', nowMs: NOW_MS, dueAtMs: NOW_MS + 1000, recheckEnqueued: false });
    const record = await ledger.get(executionArn());
    expect(record).toMatchObject({ generation: 1, status: 'ABORTED' });
    expect(record!.error).toBeUndefined();
    expect(record!.cause).toBeUndefined();
  });

  it('unrecorded-redrive: a later generation replacing a claim left in REDRIVING logs that redrive', async () => {
    const { ledger } = await setup();
    await ledger.transition({ evidence: evidence(), generation: 0, expect: { newGeneration: true }, phase: 'REDRIVING', reason: 'ELIGIBLE', nowMs: NOW_MS, clientToken: 'token-0', attemptsIncrement: 1 });
    // The worker died after RedriveExecution; the rerun failed and generation 1 is claimed.
    await ledger.transition({ evidence: evidence({ redriveCount: 1 }), generation: 1, expect: { newGeneration: true }, phase: 'GAVE_UP', reason: 'MAX_ATTEMPTS_REACHED', nowMs: NOW_MS + 1000 });
    const record = await ledger.get(executionArn());
    expect(record).toMatchObject({ generation: 1, phase: 'GAVE_UP', attemptsUsed: 1 });
    expect(record!.attempts).toEqual([expect.objectContaining({ generation: 0, outcome: 'ALREADY_REDRIVEN', clientToken: 'token-0' })]);
    // The slow worker that made the call then logs it too, whatever it read before: the log keeps one entry.
    expect(await ledger.appendAttempt(executionArn(), { generation: 0, decision: 'REDRIVE', reason: 'ELIGIBLE', decidedAtMs: NOW_MS, outcome: 'REDRIVEN', actor: 'worker' })).toBe(false);
    expect((await ledger.get(executionArn()))!.attempts).toHaveLength(1);
  });

  it('decision-on-redriven: a late event that would give up is confirmed first; the execution moved on, so no alert', async () => {
    const { engine, ledger } = await setup({ maxAttempts: 1 });
    await ledger.transition({ evidence: evidence(), generation: 0, expect: { newGeneration: true }, phase: 'REDRIVEN', reason: 'ELIGIBLE', nowMs: NOW_MS - 13 * 86_400_000, attemptsIncrement: 1 });
    // Generation 1's event arrives 13 days late; the execution has been redriven since and succeeded.
    const lateStopMs = NOW_MS - 13 * 86_400_000;
    sfnMock.on(DescribeExecutionCommand).resolves({ ...described('exec-1', 'X'), status: 'SUCCEEDED', redriveCount: 2, stopDate: new Date(lateStopMs + 60_000), error: undefined, cause: undefined });
    const outcome = await engine.handleEvidence(evidence({ redriveCount: 1, stopDateMs: lateStopMs, startDateMs: lateStopMs - 60_000 }), 'event');
    expect(outcome).toMatchObject({ place: 'SKIPPED', reason: 'NOT_FAILED' });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('a prompt event that gives up alerts without a DescribeExecution', async () => {
    const { engine, ledger } = await setup({ maxAttempts: 1 });
    await ledger.transition({ evidence: evidence(), generation: 0, expect: { newGeneration: true }, phase: 'REDRIVEN', reason: 'ELIGIBLE', nowMs: NOW_MS - 120_000, attemptsIncrement: 1 });
    expect(await engine.handleEvidence(evidence({ redriveCount: 1 }), 'event')).toMatchObject({ place: 'GAVE_UP' });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 0);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });
});

describe('alert-lost-on-crash (found by the model-based test)', () => {
  it('a delivery that died between the final ledger write and the alert publishes it on the next delivery, once', async () => {
    const { engine, ledger, clock } = await setup({ maxAttempts: 1 });
    await ledger.transition({ evidence: evidence(), generation: 0, expect: { newGeneration: true }, phase: 'REDRIVEN', reason: 'ELIGIBLE', nowMs: NOW_MS - 120_000, attemptsIncrement: 1 });
    snsMock.on(PublishCommand).rejectsOnce(new Error('the worker died here')).resolves({ MessageId: 'p' });
    await expect(engine.handleEvidence(evidence({ redriveCount: 1 }), 'event')).rejects.toThrow('the worker died here');
    expect(await ledger.get(executionArn())).toMatchObject({ phase: 'GAVE_UP', pendingAlert: expect.objectContaining({ kind: 'GAVE_UP' }) });
    // A concurrent duplicate within the worker timeout leaves the alert to its (maybe live) writer.
    expect(await engine.handleEvidence(evidence({ redriveCount: 1 }), 'event')).toMatchObject({ reason: 'ALREADY_HANDLED' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    // SQS delivers the message again after the visibility timeout (6 × the 60 s worker timeout): the owed alert goes out.
    clock.advance(6 * 60_000);
    expect(await engine.handleEvidence(evidence({ redriveCount: 1 }), 'event')).toMatchObject({ reason: 'ALREADY_HANDLED' });
    expect(await engine.handleEvidence(evidence({ redriveCount: 1 }), 'event')).toMatchObject({ reason: 'ALREADY_HANDLED' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 2);
    const sent = JSON.parse(JSON.parse(snsMock.commandCalls(PublishCommand)[1].args[0].input.Message!).default);
    expect(sent).toMatchObject({ kind: 'GAVE_UP', executionArn: executionArn() });
    expect((await ledger.get(executionArn()))!.pendingAlert).toBeUndefined();
  });

  it('an alert owed by a generation that a newer one replaced is sent by the newer one\'s delivery, not dropped with it', async () => {
    const { engine, ledger } = await setup({ errorPolicy: { neverRetry: ['Fatal.Bug'] }, alerts: { notifyOnNonRetryableSkip: true } });
    const fatal = { error: 'Fatal.Bug', cause: 'division by zero' };
    snsMock.on(PublishCommand).rejectsOnce(new Error('the worker died here')).resolves({ MessageId: 'p' });
    await expect(engine.handleEvidence(evidence({ ...fatal, redriveCount: 0 }), 'event')).rejects.toThrow('the worker died here');
    expect(await ledger.get(executionArn())).toMatchObject({ generation: 0, phase: 'SKIPPED', pendingAlert: expect.objectContaining({ kind: 'SKIPPED_NON_RETRYABLE' }) });
    // Someone redrove it by hand at once; it failed again, and that event comes before generation 0's redelivery.
    expect(await engine.handleEvidence(evidence({ ...fatal, redriveCount: 1 }), 'event')).toMatchObject({ generation: 1, reason: 'NON_RETRYABLE_ERROR' });
    const sent = snsMock.commandCalls(PublishCommand).slice(1).map((c) => JSON.parse(JSON.parse(c.args[0].input.Message!).default));
    expect(sent.map((a) => a.kind)).toEqual(['SKIPPED_NON_RETRYABLE', 'SKIPPED_NON_RETRYABLE']);
    expect((await ledger.get(executionArn()))!.pendingAlert).toBeUndefined();
  });
});

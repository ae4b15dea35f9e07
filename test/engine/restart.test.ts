/**
 * Fix-forward restarts through the engine, against the emulator (versions, aliases, StartExecution's
 * idempotency) and DynamoDB Local (the ledger claim): one new execution per original however often or
 * concurrently it is asked for, the link recorded both ways, and the original never redriven after.
 */
import { CreateStateMachineAliasCommand, DescribeExecutionCommand, ListExecutionsCommand, RedriveExecutionCommand, StartExecutionCommand, UpdateStateMachineCommand } from '@aws-sdk/client-sfn';
import type { Alert } from '../../core/alerts';
import { parseConfig, type AutoRedriveConfigInput } from '../../core/config';
import type { ExecutionEvidence } from '../../core/evidence';
import { parseRestartTarget } from '../../core/restart';
import { RedriveEngine } from '../../engine/redrive-engine';
import { useDynamoDbLocal } from '../support/dynamo';
import { startHarness, type Harness } from '../local/sfn/harness';

const harness = useDynamoDbLocal();
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders.v2';
const ORIGINAL = 'arn:aws:states:us-east-1:123456789012:execution:orders.v2:order-42';
const RESTART = 'arn:aws:states:us-east-1:123456789012:execution:orders.v2:order-42-restart-1';
const buggy = { StartAt: 'Charge', States: { Charge: { Type: 'Fail', Error: 'Bug', Cause: 'v1 divides by zero' } } };
const fixed = { StartAt: 'Charge', States: { Charge: { Type: 'Pass', Result: 'charged', ResultPath: '$.charge', End: true } } };

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

/**
 * A fresh ledger and an engine over it and the emulator, with `orders.v2` created on `buggy`: its
 * execution order-42 has failed, and version 1 (`aliasDefinition`) sits behind the alias prod.
 */
async function setup(config: AutoRedriveConfigInput, actor: string, aliasDefinition: object) {
  const { ledger } = await harness.newLedger();
  const alerts: Alert[] = [];
  const engine = () =>
    new RedriveEngine({
      config: parseConfig({ watch: { stateMachineNamePrefixes: ['orders'] }, ...config }),
      clock: h.clock,
      sfn: h.sfn,
      ledger,
      alerts: { publish: async (alert) => void alerts.push(alert) },
      logger: silent,
      metrics: { count() {} },
      actor,
    });
  await h.createMachine('orders.v2', buggy);
  await h.sfn.send(new StartExecutionCommand({ stateMachineArn: SM, name: 'order-42', input: '{"order":42}' }));
  await h.emulator.waitForIdle();
  await h.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: SM, definition: JSON.stringify(aliasDefinition), publish: true }));
  await h.sfn.send(new CreateStateMachineAliasCommand({ name: 'prod', routingConfiguration: [{ stateMachineVersionArn: `${SM}:1`, weight: 100 }] }));
  return { ledger, alerts, engine };
}

/** An operator's engine; version 1 behind prod is the fixed definition. */
const operatorSetup = () => setup({ errorPolicy: { neverRetry: ['Bug'] }, alerts: { notifyOnNonRetryableSkip: true } }, 'operator arn:aws:iam::123456789012:user/alice: INC-7 fix deployed', fixed);

const original: ExecutionEvidence = { executionArn: ORIGINAL, stateMachineArn: SM, executionName: 'order-42', status: 'FAILED', startDateMs: 0, sources: ['list'] };
const startCalls = () => h.emulator.stats().apis.StartExecution?.calls ?? 0;

it('starts one execution on the alias with the same input, links both ways and alerts once', async () => {
  const { ledger, alerts, engine } = await operatorSetup();
  const callsBefore = startCalls();
  const outcome = await engine().restart(original, parseRestartTarget('alias:prod'));
  expect(outcome).toMatchObject({ place: 'RESTARTED', reason: 'RESTART', restartedAs: RESTART, redriven: false });
  await h.emulator.waitForIdle();
  expect(startCalls() - callsBefore).toBe(1);
  expect(await h.sfn.send(new DescribeExecutionCommand({ executionArn: RESTART }))).toMatchObject({
    status: 'SUCCEEDED',
    input: '{"order":42}',
    output: '{"order":42,"charge":"charged"}',
    stateMachineAliasArn: `${SM}:prod`,
    stateMachineVersionArn: `${SM}:1`,
  });
  expect(await ledger.get(ORIGINAL)).toMatchObject({ phase: 'RESTARTED', restartedAs: RESTART, restartTarget: 'alias:prod', attempts: [expect.objectContaining({ decision: 'RESTART', outcome: 'RESTARTED', actor: 'operator arn:aws:iam::123456789012:user/alice: INC-7 fix deployed' })] });
  expect(await ledger.restartOf(RESTART)).toBe(ORIGINAL);
  expect(alerts).toEqual([expect.objectContaining({ kind: 'RESTARTED', executionArn: ORIGINAL, restartedAs: RESTART })]);
});

it('is idempotent: asked again, or by two operators at once, it still makes exactly one execution', async () => {
  const { alerts, engine } = await operatorSetup();
  const [a, b] = await Promise.all([engine().restart(original, parseRestartTarget('latest')), engine().restart(original, parseRestartTarget('latest'))]);
  const again = await engine().restart(original, parseRestartTarget('latest'));
  await h.emulator.waitForIdle();
  const restarts = (await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: SM }))).executions!.filter((e) => e.name !== 'order-42');
  expect(restarts.map((e) => e.name)).toEqual(['order-42-restart-1']);
  // Exactly one concurrent call recorded the restart; the other lost the claim or only confirmed it.
  expect([a, b].filter((o) => o.place === 'RESTARTED' && !o.confirmedOnly)).toHaveLength(1);
  expect(again).toMatchObject({ place: 'SKIPPED', reason: 'RESTARTED', restartedAs: RESTART });
  expect(alerts.filter((alert) => alert.kind === 'RESTARTED')).toHaveLength(1);
});

it('resumes a claim a crashed restarter left after StartExecution: the closed restart is confirmed by its input, not started again', async () => {
  const { ledger, engine } = await operatorSetup();
  // The crashed run: claimed, linked and started, but never recorded.
  await ledger.transition({ evidence: { ...original, redriveCount: 0, status: 'FAILED' }, generation: 0, expect: { newGeneration: true }, phase: 'RESTARTING', reason: 'RESTART', nowMs: h.clock.nowMs(), restartTarget: 'latest' });
  await h.sfn.send(new StartExecutionCommand({ stateMachineArn: SM, name: 'order-42-restart-1', input: '{"order":42}' }));
  await h.emulator.waitForIdle();
  const callsBefore = startCalls();
  const outcome = await engine().restart(original, parseRestartTarget('latest'));
  expect(outcome).toMatchObject({ place: 'RESTARTED', detail: `already restarted on latest as ${RESTART}` });
  expect(startCalls() - callsBefore).toBe(1);
  expect((await ledger.get(ORIGINAL))?.attempts.at(-1)).toMatchObject({ outcome: 'ALREADY_RESTARTED' });
});

it('a name taken by another input, or a missing alias, ends SKIPPED with a RESTART_FAILED alert and no link to a restart', async () => {
  const { ledger, alerts, engine } = await operatorSetup();
  const missing = await engine().restart(original, parseRestartTarget('alias:green'));
  expect(missing).toMatchObject({ place: 'SKIPPED', reason: 'RESTART_TARGET_MISSING' });
  expect(await ledger.get(ORIGINAL)).toMatchObject({ phase: 'SKIPPED', reason: 'RESTART_TARGET_MISSING' });
  expect((await ledger.get(ORIGINAL))?.restartedAs).toBeUndefined();

  await h.sfn.send(new StartExecutionCommand({ stateMachineArn: SM, name: 'order-42-restart-1', input: '{"order":"someone else"}' }));
  await h.emulator.waitForIdle();
  const taken = await engine().restart(original, parseRestartTarget('latest'));
  expect(taken).toMatchObject({ place: 'SKIPPED', reason: 'RESTART_NAME_TAKEN', detail: `${RESTART} exists with another input` });
  // The execution under that name is not this one's restart: no link is left on it.
  expect(await ledger.restartOf(RESTART)).toBeUndefined();
  expect(alerts.map((a) => [a.kind, a.reason])).toEqual([
    ['RESTART_FAILED', 'RESTART_TARGET_MISSING'],
    ['RESTART_FAILED', 'RESTART_NAME_TAKEN'],
  ]);
});

it('the original is never redriven after, and a failing restart\'s alert names the execution it restarted', async () => {
  const { alerts, engine } = await operatorSetup();
  // Version 1 is the fixed one; restarting on the buggy latest revision makes the restart fail too.
  await h.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: SM, definition: JSON.stringify(buggy) }));
  await engine().restart(original, parseRestartTarget('latest'));
  await h.emulator.waitForIdle();
  const redrivesBefore = h.emulator.stats().apis.RedriveExecution?.calls ?? 0;
  const onOriginal = await engine().handleEvidence({ ...original, redriveCount: 0, error: 'Bug', cause: 'v1 divides by zero', stopDateMs: h.clock.nowMs() }, 'operator');
  expect(onOriginal).toMatchObject({ place: 'SKIPPED', reason: 'RESTARTED' });
  const onRestart = await engine().handleEvidence({ executionArn: RESTART, stateMachineArn: SM, executionName: 'order-42-restart-1', status: 'FAILED', startDateMs: h.clock.nowMs(), stopDateMs: h.clock.nowMs(), redriveCount: 0, error: 'Bug', cause: 'v1 divides by zero', sources: ['event'] }, 'event');
  expect(onRestart).toMatchObject({ place: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR' });
  expect(h.emulator.stats().apis.RedriveExecution?.calls ?? 0).toBe(redrivesBefore);
  expect(alerts.at(-1)).toMatchObject({ kind: 'SKIPPED_NON_RETRYABLE', executionArn: RESTART, restartOf: ORIGINAL });
});

it('a worker that died after claiming a restart: its redelivered event finishes it once the claim is older than the worker timeout', async () => {
  const { ledger, alerts, engine } = await setup({ errorPolicy: { rules: [{ match: ['Bug'], action: 'restart', target: { alias: 'prod' } }] } }, 'worker', fixed);
  const failed: ExecutionEvidence = { ...original, redriveCount: 0, stopDateMs: h.clock.nowMs(), error: 'Bug', cause: 'v1 divides by zero', sources: ['event'] };
  // The dead worker's claim, made on its event, before StartExecution.
  await ledger.transition({ evidence: failed, generation: 0, expect: { newGeneration: true }, phase: 'RESTARTING', reason: 'RESTART', nowMs: h.clock.nowMs(), restartTarget: 'alias:prod' });
  expect(await engine().handleEvidence(failed, 'event')).toMatchObject({ place: 'SKIPPED', reason: 'ALREADY_HANDLED' });
  // SQS hands the event back after the visibility timeout (6 × the 60 s worker timeout).
  await h.clock.advance(6 * 60_000);
  expect(await engine().handleEvidence(failed, 'event')).toMatchObject({ place: 'RESTARTED', restartedAs: RESTART });
  await h.emulator.waitForIdle();
  expect(await h.sfn.send(new DescribeExecutionCommand({ executionArn: RESTART }))).toMatchObject({ status: 'SUCCEEDED', stateMachineAliasArn: `${SM}:prod` });
  expect(alerts.map((a) => a.kind)).toEqual(['RESTARTED']);
});

it('a restart rule makes the worker restart on the rule\'s target; a line that keeps failing is given up after maxAttempts restarts', async () => {
  // The alias routes to a version as buggy as the original: every restart fails like its original.
  const { alerts, engine } = await setup({ maxAttempts: 2, errorPolicy: { rules: [{ match: ['Bug'], action: 'restart', target: { alias: 'prod' } }] } }, 'worker', buggy);
  const worker = engine();
  const failedEvent = (name: string): ExecutionEvidence => ({
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:orders.v2:${name}`,
    stateMachineArn: SM,
    executionName: name,
    status: 'FAILED',
    startDateMs: h.clock.nowMs(),
    stopDateMs: h.clock.nowMs(),
    redriveCount: 0,
    error: 'Bug',
    cause: 'v1 divides by zero',
    sources: ['event'],
  });
  const places: string[] = [];
  for (const name of ['order-42', 'order-42-restart-1', 'order-42-restart-2']) {
    const outcome = await worker.handleEvidence(failedEvent(name), 'event');
    await h.emulator.waitForIdle();
    places.push(`${name}: ${outcome.place} ${outcome.reason}`);
  }
  expect(places).toEqual(['order-42: RESTARTED RESTART', 'order-42-restart-1: RESTARTED RESTART', 'order-42-restart-2: GAVE_UP MAX_ATTEMPTS_REACHED']);
  expect(await h.sfn.send(new DescribeExecutionCommand({ executionArn: RESTART }))).toMatchObject({ status: 'FAILED', stateMachineAliasArn: `${SM}:prod`, input: '{"order":42}' });
  expect(alerts.map((a) => [a.kind, a.executionName])).toEqual([
    ['RESTARTED', 'order-42'],
    ['RESTARTED', 'order-42-restart-1'],
    ['GAVE_UP', 'order-42-restart-2'],
  ]);
  expect(alerts[2].restartOf).toBe(RESTART);
});

it('an alert the worker owed for its decision is sent when a restart replaces that decision, not dropped with it (found by the model test, seed 1039822435)', async () => {
  const { ledger, alerts, engine } = await operatorSetup();
  let dies = true;
  const worker = new RedriveEngine({
    config: parseConfig({ watch: { stateMachineNamePrefixes: ['orders'] }, errorPolicy: { neverRetry: ['Bug'] }, alerts: { notifyOnNonRetryableSkip: true } }),
    clock: h.clock,
    sfn: h.sfn,
    ledger,
    alerts: {
      publish: async (alert) => {
        if (dies) throw new Error('the worker died before alerting');
        alerts.push(alert);
      },
    },
    logger: silent,
    metrics: { count() {} },
    actor: 'worker',
  });
  await expect(worker.handleEvidence({ ...original, sources: ['list'] }, 'event')).rejects.toThrow('the worker died before alerting');
  dies = false;
  expect(await ledger.get(ORIGINAL)).toMatchObject({ phase: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR', pendingAlert: expect.objectContaining({ kind: 'SKIPPED_NON_RETRYABLE' }) });
  // An operator restarts it before SQS hands the worker's message back.
  expect(await engine().restart(original, parseRestartTarget('alias:prod'))).toMatchObject({ place: 'RESTARTED' });
  expect(alerts.map((a) => a.kind).sort()).toEqual(['RESTARTED', 'SKIPPED_NON_RETRYABLE']);
  expect((await ledger.get(ORIGINAL))!.pendingAlert).toBeUndefined();
});

it('asked with another target, a restart finishes a claimed one where the claim said and keeps its link (found by the model test, seed -978408341)', async () => {
  const { ledger, alerts, engine } = await operatorSetup();
  // A worker claimed a restart on latest, linked and started it, and died before recording it.
  await ledger.transition({ evidence: { ...original, redriveCount: 0, status: 'FAILED' }, generation: 0, expect: { newGeneration: true }, phase: 'RESTARTING', reason: 'RESTART', nowMs: h.clock.nowMs(), restartTarget: 'latest' });
  await ledger.linkRestart(RESTART, ORIGINAL, h.clock.nowMs());
  await h.sfn.send(new StartExecutionCommand({ stateMachineArn: SM, name: 'order-42-restart-1', input: '{"order":42}' }));
  await h.emulator.waitForIdle();
  // An operator restarts it on an alias that does not exist.
  expect(await engine().restart(original, parseRestartTarget('alias:green'))).toMatchObject({ place: 'RESTARTED', restartedAs: RESTART });
  expect(await ledger.get(ORIGINAL)).toMatchObject({ phase: 'RESTARTED', restartedAs: RESTART, restartTarget: 'latest' });
  expect(await ledger.restartOf(RESTART)).toBe(ORIGINAL);
  expect(alerts.map((a) => a.kind)).toEqual(['RESTARTED']);
});

it.each([
  ['started its restart before it died: the restart is recorded', true],
  ['died before starting it: the claim is released, with no restart started', false],
])('a claim whose execution was redriven elsewhere since, by a restarter that %s (found by the model test, seed -1723032670)', async (_label, startedBeforeCrash) => {
  const { ledger, alerts, engine } = await setup({ errorPolicy: { rules: [{ match: ['Bug'], action: 'restart', target: { alias: 'prod' } }] } }, 'worker', fixed);
  const failed: ExecutionEvidence = { ...original, redriveCount: 0, stopDateMs: h.clock.nowMs(), error: 'Bug', cause: 'v1 divides by zero', sources: ['event'] };
  await ledger.transition({ evidence: failed, generation: 0, expect: { newGeneration: true }, phase: 'RESTARTING', reason: 'RESTART', nowMs: h.clock.nowMs(), restartTarget: 'alias:prod' });
  if (startedBeforeCrash) {
    await ledger.linkRestart(RESTART, ORIGINAL, h.clock.nowMs());
    await h.sfn.send(new StartExecutionCommand({ stateMachineArn: `${SM}:prod`, name: 'order-42-restart-1', input: '{"order":42}' }));
  }
  // Someone redrives the original in the console: it reruns v1 and fails again, generation 1.
  await h.sfn.send(new RedriveExecutionCommand({ executionArn: ORIGINAL }));
  await h.emulator.waitForIdle();
  await h.clock.advance(6 * 60_000);
  const startsBefore = startCalls();
  const outcome = await engine().handleEvidence(failed, 'event');
  expect(startCalls()).toBe(startsBefore);
  const record = await ledger.get(ORIGINAL);
  if (startedBeforeCrash) {
    expect(outcome).toMatchObject({ place: 'RESTARTED', restartedAs: RESTART, generation: 0 });
    expect(record).toMatchObject({ generation: 0, phase: 'RESTARTED', restartedAs: RESTART });
    expect(record?.attempts.at(-1)).toMatchObject({ outcome: 'ALREADY_RESTARTED' });
    expect(alerts.map((a) => [a.kind, a.restartedAs])).toEqual([['RESTARTED', RESTART]]);
  } else {
    expect(outcome).toMatchObject({ place: 'SKIPPED', reason: 'ALREADY_HANDLED', generation: 0 });
    expect(record).toMatchObject({ generation: 0, phase: 'SKIPPED', reason: 'ALREADY_HANDLED' });
    expect(await ledger.restartOf(RESTART)).toBeUndefined();
    expect(alerts).toEqual([]);
    await expect(h.sfn.send(new DescribeExecutionCommand({ executionArn: RESTART }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  }
});

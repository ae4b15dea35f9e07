/**
 * Carries out decisions: gathers the evidence the core asks for (at most one call of each API), asks
 * the core, and applies the answer through conditional ledger writes, so every failure ends in exactly
 * one place: redriven, waiting for its backoff, skipped with a reason, or given up with an alert.
 *
 * The worker Lambda, the sweep and the operator CLI all go through here. It takes its clients, clock,
 * logger and metrics as parameters.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { approvalCommands, buildExecutionAlert, alertKindFor, type Alert } from '../core/alerts';
import { parseExecutionArn } from '../core/arn';
import type { Clock } from '../core/clock';
import type { AutoRedriveConfig } from '../core/config';
import { decide, EvidenceMissingError, tokenMayHaveExpired, type Decision, type HomeEnvironment, type PolicyOverrides, type Trigger } from '../core/decide';
import { missingEvidence, type ExecutionEvidence } from '../core/evidence';
import { approverActor, type ApprovalRecord, type LedgerRecord } from '../core/ledger-record';
import { evidenceFromEvent, MalformedMessageError, parseIntakeMessage, RERUN_WATCH_KIND, type ApprovalMessage, type RecheckMessage, type RerunWatchMessage } from '../core/messages';
import { nextLookDelayMs, RERUN_WATCH_MS, SLACK_RESPONSE_URL_LIFE_MS, viewRerun } from '../core/rerun-watch';
import { createHash } from 'node:crypto';
import { failedStateFields } from '../core/fail-state';
import type { ReasonCode } from '../core/reasons';
import type { AlertSink } from '../adapters/alert-publisher';
import type { IntakeQueue } from '../adapters/intake-queue';
import { attemptEntry, type ClaimExpectation, type Ledger, type TransitionInput, type TransitionResult } from '../adapters/ledger';
import { describeInto, describeWithInput, ExecutionNotFoundError, existingRestart, failedMapRun, isThrottling, FAILED_STATE_HISTORY_PAGE, gatherEvidence, historyTailInto, redriveExecution, startRestart } from '../adapters/sfn';
import { describeRestartTarget, parseRestartTarget, restartExecutionArn, restartRefusal, restartTargetArn, restartTargetFromConfig, type RestartTarget } from '../core/restart';

export type MetricName = 'Redriven' | 'Restarted' | 'Skipped' | 'GaveUp' | 'Waiting' | 'DryRun' | 'Parked' | 'Errors' | 'Throttled' | 'AwaitingApproval' | 'Rejected';

export interface EngineMetrics {
  count(metric: MetricName, reason?: string): void;
}

export interface EngineLogger {
  debug(message: string, ...extra: Array<Record<string, unknown>>): void;
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

export interface EngineDeps {
  config: AutoRedriveConfig;
  clock: Clock;
  sfn: SFNClient;
  ledger: Ledger;
  alerts: AlertSink;
  logger: EngineLogger;
  metrics: EngineMetrics;
  /** Needed for backoff (WAIT) and parking; the operator CLI redrives at once and has none. */
  queue?: IntakeQueue;
  home?: HomeEnvironment;
  /** Recorded in the ledger: `worker`, `sweep`, or `operator <identity>: <reason>`. */
  actor: string;
  random?: () => number;
  /** Policy rules an operator lifted for this run (the CLI's `--override-…`); recorded in each attempt they change. */
  overrides?: PolicyOverrides;
  /** The person's decision this engine carries out: recorded with the claim it makes (see handleApproval). */
  approval?: ApprovalRecord;
}

/** Where one message or execution ended. */
export type FinalPlace = 'REDRIVEN' | 'RESTARTED' | 'WAITING' | 'SKIPPED' | 'GAVE_UP' | 'DRY_RUN' | 'PARKED' | 'APPROVAL_PENDING' | 'REJECTED' | 'REPORTED';

export interface Outcome {
  place: FinalPlace;
  reason: ReasonCode | 'MALFORMED';
  detail: string;
  executionArn?: string;
  generation?: number;
  /** True if this call made (or confirmed) a RedriveExecution that AWS accepted. */
  redriven: boolean;
  /** RESTARTED: the new execution. */
  restartedAs?: string;
  /**
   * Set when a concurrent caller resumed the same claim and recorded the redrive first: this call only
   * confirmed it (same client token, so AWS redrove once). Lets the CLI count each redrive once.
   */
  confirmedOnly?: boolean;
}

/**
 * The error a Distributed Map state fails its execution with when its children's failures pass the
 * tolerated threshold. https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html
 */
const MAP_RUN_FAILED_PARENT_ERROR = 'States.ExceedToleratedFailureThreshold';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Events normally arrive within seconds; an older one may describe a generation that has moved on. */
const LATE_EVIDENCE_MS = 5 * 60_000;

/**
 * Every ledger transition of the engine and the sweep: an owed alert that the write displaced (an older
 * generation's, or an earlier decision's of this generation) is sent here (at least once: its own worker
 * died before sending it, or sends it too).
 */
export async function transitionSendingDisplaced(deps: Pick<EngineDeps, 'ledger' | 'alerts' | 'logger'>, input: TransitionInput): Promise<TransitionResult> {
  const result = await deps.ledger.transition(input);
  if (result.displacedAlert) {
    deps.logger.warn('Publishing an alert an earlier decision owed, displaced by this write', { executionArn: input.evidence.executionArn, generation: input.generation, kind: result.displacedAlert.kind });
    await deps.alerts.publish(result.displacedAlert);
  }
  return result;
}

/** What a caller of `handleEvidence` already read. */
export interface KnownState {
  /** The ledger item, just read: saves a second read (the conditional writes still guard against races). */
  record: LedgerRecord | undefined;
  /**
   * The caller read all the evidence it means to (the operator's reviewed plan, one call per execution at
   * most): decide on it and make no further read; RedriveExecution's answer arbitrates the rest.
   */
  evidenceComplete?: boolean;
}

/** Reasons decided by the event (or the ledger) alone: logged and counted, but not worth a ledger write. */
const UNLEDGERED: ReadonlySet<ReasonCode> = new Set<ReasonCode>(['OUT_OF_SCOPE', 'NOT_FAILED', 'STATUS_NOT_WATCHED', 'ALREADY_HANDLED', 'APPROVAL_NOT_PENDING', 'RESTARTED']);


/** A restart replaces any decision but a redrive (in flight or done) or a restart: a person waiting to approve or having rejected a redrive included. */
const RESTART_CLAIM: ClaimExpectation = { newGeneration: true, phases: ['WAITING', 'SKIPPED', 'GAVE_UP', 'DRY_RUN', 'APPROVAL_PENDING', 'REJECTED'] };

export class RedriveEngine {
  constructor(private readonly deps: EngineDeps) {}

  /** One intake-queue message (status event or recheck). Throws only for retryable trouble. */
  async handleMessage(body: string, messageId: string): Promise<Outcome> {
    let message;
    try {
      message = parseIntakeMessage(body);
    } catch (error) {
      if (!(error instanceof MalformedMessageError)) throw error;
      return this.parkMalformed(body, error, messageId);
    }
    if (message.type === 'recheck') return this.handleRecheck(message.recheck);
    if (message.type === 'approval') return this.handleApproval(message.approval);
    if (message.type === 'rerunWatch') return this.handleRerunWatch(message.watch);
    return this.handleEvidence(evidenceFromEvent(message.event), 'event');
  }

  /**
   * A person's Redrive or Skip, from Slack (through the intake queue) or the CLI. It acts only on the
   * generation it names and only while that generation is APPROVAL_PENDING: the claim is the same
   * conditional write as any redrive's, so two clicks, or two people, make one redrive. The decision,
   * once carried out, is announced (APPROVAL_DECIDED), which updates the clicked Slack message.
   */
  async handleApproval(message: ApprovalMessage): Promise<Outcome> {
    const record = await this.deps.ledger.get(message.executionArn);
    await this.flushOwedAlert(record);
    const approval: ApprovalRecord = {
      generation: message.generation,
      verdict: message.verdict,
      via: message.via,
      by: message.by,
      ...(message.byName && { byName: message.byName }),
      ...(message.reason && { reason: message.reason }),
      decidedAtMs: message.decidedAtMs,
    };
    const approver = new RedriveEngine({ ...this.deps, actor: approverActor(approval), approval });
    let outcome: Outcome;
    if (!record || record.generation !== message.generation) {
      const where = record ? `the ledger is at generation ${record.generation}, ${record.phase}` : 'the ledger has no entry';
      outcome = this.report({ place: 'SKIPPED', reason: 'APPROVAL_NOT_PENDING', detail: `no approval is pending for generation ${message.generation}: ${where}`, executionArn: message.executionArn, generation: message.generation, redriven: false }, 'Skipped');
    } else if (message.verdict === 'REJECTED') {
      outcome = await approver.reject(record);
    } else {
      // Read afresh (one DescribeExecution): the execution may have moved on since the approval was asked.
      // But a REDRIVING claim this approval made, whose worker died after the call, is finished like a
      // redelivered event's: from the failure's own evidence (afresh, the redrive it made already runs).
      const resuming = record.phase === 'REDRIVING';
      outcome = await approver.handleEvidence(resuming ? evidenceFromLedger(record) : { ...evidenceFromLedger(record), redriveCount: undefined }, 'approval', { record });
    }
    // Only the delivery whose decision was written announces it: a second click finds the failure
    // handled, or no longer failed (it is being rerun), and must not overwrite the first one's message.
    const decidedHere = !UNLEDGERED.has(outcome.reason as ReasonCode) && !outcome.confirmedOnly;
    if (decidedHere) await this.announceDecision(message, outcome, record);
    // From Slack (through the queue), the clicked message later tells how the rerun ended too.
    if (decidedHere && outcome.redriven && this.deps.queue) await this.watchRerun(message);
    return outcome;
  }

  /**
   * Records the watch in the ledger (who decided, and the hash of the message to update), then sends the
   * first look. A worker that dies before both are done leaves the rerun unfollowed: the decision stays
   * the message's last word.
   */
  private async watchRerun(message: ApprovalMessage): Promise<void> {
    const nowMs = this.deps.clock.nowMs();
    const { executionArn, generation, via, by, byName, decidedAtMs, responseUrl } = message;
    await this.deps.ledger.startRerunWatch(executionArn, { generation, via, by, ...(byName && { byName }), decidedAtMs, ...(responseUrl && { responseUrlSha256: sha256(responseUrl) }) });
    const watch: RerunWatchMessage = { kind: RERUN_WATCH_KIND, executionArn, generation, ...(responseUrl && { responseUrl }), checks: 0, dueAtMs: nowMs + nextLookDelayMs(0) };
    await this.requireQueue().sendRerunWatch(watch, nowMs);
  }

  /**
   * A look at an approved redrive's rerun (one DescribeExecution): still running, look again later;
   * ended, tell it once in the decision's message. Only a look that matches the ledger's watch is acted
   * on (a forged or stale message changes nothing), and the watch ends 24 hours after the decision.
   */
  private async handleRerunWatch(watch: RerunWatchMessage): Promise<Outcome> {
    const { clock, config, sfn, ledger, logger } = this.deps;
    const nowMs = clock.nowMs();
    const base = { executionArn: watch.executionArn, generation: watch.generation, redriven: false };
    const record = await ledger.get(watch.executionArn);
    const followed = record?.rerunWatch;
    const toldAlready = () => this.report({ ...base, place: 'SKIPPED', reason: 'RERUN_NOT_FOLLOWED', detail: 'its end was told already' }, 'Skipped');
    if (followed?.told && followed.generation === watch.generation) return toldAlready();
    if (!followed || followed.generation !== watch.generation || followed.responseUrlSha256 !== (watch.responseUrl && sha256(watch.responseUrl))) {
      logger.warn('A rerun-watch message matches no watch in the ledger; ignored', { executionArn: watch.executionArn, generation: watch.generation });
      return this.report({ ...base, place: 'SKIPPED', reason: 'RERUN_NOT_FOLLOWED', detail: 'no such watch in the ledger' }, 'Skipped');
    }
    const endsAtMs = followed.decidedAtMs + RERUN_WATCH_MS;
    const lookAgain = async (detail: string) => {
      const checks = watch.checks + 1;
      await this.requireQueue().sendRerunWatch({ ...watch, checks, dueAtMs: Math.min(endsAtMs, nowMs + nextLookDelayMs(checks)) }, nowMs);
      return this.report({ ...base, place: 'WAITING', reason: 'RERUN_RUNNING', detail: `${detail}, look ${checks + 1} queued` });
    };
    if (nowMs < Math.min(watch.dueAtMs, endsAtMs)) {
      await this.requireQueue().sendRerunWatch(watch, nowMs);
      return this.report({ ...base, place: 'WAITING', reason: 'RERUN_RUNNING', detail: 'next look not due yet' });
    }
    const { stateMachineArn, executionName } = parseExecutionArn(watch.executionArn);
    let evidence: ExecutionEvidence;
    try {
      evidence = await describeInto(sfn, { executionArn: watch.executionArn, stateMachineArn, executionName, status: 'RUNNING', startDateMs: 0, sources: [] });
    } catch (error) {
      if (error instanceof ExecutionNotFoundError) return this.report({ ...base, place: 'REPORTED', reason: 'EXECUTION_NOT_FOUND', detail: 'the execution no longer exists: nothing to tell' });
      // A cosmetic update is not worth a retry storm or a dead letter: look again later.
      if (isThrottling(error) || (error as { $fault?: string }).$fault === 'server') return lookAgain(`DescribeExecution failed (${(error as Error).name})`);
      throw error;
    }
    const view = viewRerun(evidence, watch.generation, nowMs - followed.decidedAtMs);
    if (view.kind === 'running') return lookAgain(evidence.status);
    if (!(await ledger.claimRerunTold(watch.executionArn, watch.generation))) return toldAlready();
    const { generation, told, responseUrlSha256, ...decision } = followed;
    await this.deps.alerts.publish({
      ...buildExecutionAlert('APPROVAL_DECIDED', evidence, 'RERUN_ENDED', `the rerun of generation ${generation} ended ${view.result}`, record!.attemptsUsed, config, nowMs),
      generation,
      decision: { verdict: 'APPROVED', ...decision, outcome: view.result },
      // Slack takes a response_url for 30 minutes; after that the notifier would only be refused.
      ...(watch.responseUrl && nowMs < decision.decidedAtMs + SLACK_RESPONSE_URL_LIFE_MS && { responseUrl: watch.responseUrl }),
      // A rerun that succeeded has nothing left to redrive: no window to count down.
      ...(evidence.status === 'SUCCEEDED' && { windowLeftMs: undefined }),
    });
    return this.report({ ...base, place: 'REPORTED', reason: 'RERUN_ENDED', detail: view.result });
  }

  private async reject(record: LedgerRecord): Promise<Outcome> {
    const { clock, actor, approval } = this.deps;
    const evidence = evidenceFromLedger(record);
    const decision: Decision = { action: 'SKIP', reason: 'REJECTED', detail: `rejected by ${actor}`, generation: record.generation, attemptNumber: record.attemptsUsed };
    if (record.phase !== 'APPROVAL_PENDING') {
      return this.report({ place: 'SKIPPED', reason: 'APPROVAL_NOT_PENDING', detail: `generation ${record.generation} is ${record.phase}, not waiting for approval`, executionArn: record.executionArn, generation: record.generation, redriven: false }, 'Skipped');
    }
    const written = await this.transition({
      evidence,
      generation: record.generation,
      expect: this.expectationFor('approval'),
      phase: 'REJECTED',
      reason: 'REJECTED',
      nowMs: clock.nowMs(),
      attempt: { ...attemptEntry(decision, 'REJECTED', clock.nowMs(), actor), decision: 'REJECT' },
      approval,
    });
    if (!written.won) return this.lostClaim(decision, evidence, written.current);
    return this.report({ place: 'REJECTED', reason: 'REJECTED', detail: decision.detail, executionArn: record.executionArn, generation: record.generation, redriven: false }, 'Rejected');
  }

  /** Tells the channel (and email) what came of a decision; from Slack, it replaces the clicked message. */
  private async announceDecision(message: ApprovalMessage, outcome: Outcome, record: LedgerRecord | undefined): Promise<void> {
    const { config, clock } = this.deps;
    const evidence = record ? evidenceFromLedger(record) : undefined;
    const result = outcome.place === 'REDRIVEN' || outcome.place === 'REJECTED' ? outcome.place : `not redriven: ${outcome.reason} (${outcome.detail})`;
    const alert: Alert = {
      ...(evidence
        ? buildExecutionAlert('APPROVAL_DECIDED', evidence, outcome.reason as ReasonCode, outcome.detail, record!.attemptsUsed + (outcome.redriven ? 1 : 0), config, clock.nowMs())
        : { kind: 'APPROVAL_DECIDED', executionArn: message.executionArn, reason: outcome.reason as ReasonCode, detail: outcome.detail, atMs: clock.nowMs() }),
      generation: message.generation,
      decision: { verdict: message.verdict, by: message.by, ...(message.byName && { byName: message.byName }), via: message.via, decidedAtMs: message.decidedAtMs, outcome: result },
      ...(message.responseUrl && { responseUrl: message.responseUrl }),
    };
    await this.deps.alerts.publish(alert);
  }

  /**
   * A failure seen through an event, the sweep, or an operator's selection. `known.record` is the ledger
   * item the caller just read, to save a second read; the conditional writes still guard against races.
   */
  async handleEvidence(initial: ExecutionEvidence, trigger: Trigger, known?: KnownState): Promise<Outcome> {
    const { config, ledger } = this.deps;
    let evidence = initial;
    // The ARN alone rules out another account, region, partition or an unwatched machine: decide that
    // before any call, since AWS would deny (not answer) a DescribeExecution on another account's ARN.
    const byArn = this.decideIfEvidenced(evidence, undefined, trigger);
    if (byArn?.reason === 'OUT_OF_SCOPE') return this.finish(byArn, evidence, 0, this.expectationFor(trigger));
    try {
      // The generation must be known before the ledger can say whether this failure was handled.
      if (evidence.redriveCount === undefined && missingEvidence(evidence, config.historyHeadroomEvents).includes('describe')) {
        evidence = await describeInto(this.deps.sfn, evidence);
      }
      const record = known ? known.record : await ledger.get(evidence.executionArn);
      await this.flushOwedAlert(record);
      let decision = this.decideIfEvidenced(evidence, record, trigger);
      // Evidence a rule needs, or that a redrive should be checked against, is read before deciding,
      // never assumed from its absence: one DescribeExecution (and a history count if configured).
      if (decision === undefined || ((decision.action === 'REDRIVE' || decision.action === 'WAIT') && !decision.resume)) {
        const needs = known?.evidenceComplete ? [] : missingEvidence(evidence, config.historyHeadroomEvents);
        if (needs.length > 0) evidence = await gatherEvidence(this.deps.sfn, evidence, needs);
        decision = this.decide(evidence, record, trigger);
      }
      // A late event may describe a generation that has since moved on (redriven elsewhere, succeeded):
      // an alerting final decision on it is confirmed against AWS first, never alerted on stale evidence.
      if (trigger === 'event' && this.alertsOnLateEvidence(decision, evidence)) {
        evidence = await describeInto(this.deps.sfn, evidence);
        decision = this.decide(evidence, record, trigger);
      }
      return await this.apply(decision, evidence, record, trigger);
    } catch (error) {
      if (error instanceof ExecutionNotFoundError) {
        return this.finish(this.skipDecision(evidence, 'EXECUTION_NOT_FOUND', error.message), evidence, 0, this.expectationFor(trigger));
      }
      throw error;
    }
  }

  /**
   * Fix-forward: a new execution of `target` (latest revision, version or alias) with this execution's
   * input (one DescribeExecution) under a deterministic name, after the same conditional ledger claim as
   * a redrive. The original ends RESTARTED and is never redriven again. Concurrent or repeated restarts
   * start one execution: StartExecution with the same name and input is idempotent, and a closed one's
   * ExecutionAlreadyExists is confirmed by its input.
   */
  async restart(initial: ExecutionEvidence, target: RestartTarget, known?: KnownState): Promise<Outcome> {
    const { ledger, clock, sfn, actor, config } = this.deps;
    let evidence = initial;
    let input: string | undefined;
    try {
      ({ evidence, input } = await describeWithInput(sfn, initial));
    } catch (error) {
      if (!(error instanceof ExecutionNotFoundError)) throw error;
      return this.finish(this.skipDecision(evidence, 'EXECUTION_NOT_FOUND', error.message), evidence, 0, this.expectationFor('operator'));
    }
    const record = known ? known.record : await ledger.get(evidence.executionArn);
    const generation = evidence.redriveCount ?? 0;
    // A claim whose execution moved on since (redriven elsewhere, or no longer failed) is finished by
    // what its restarter did: confirmed if the restart exists, released if it never started.
    if (record?.phase === 'RESTARTING' && (record.generation !== generation || restartRefusal(evidence, undefined)?.reason === 'NOT_FAILED')) {
      return this.settleMovedOnRestart(evidence, record, input ?? '{}');
    }
    const refusal = restartRefusal(evidence, record);
    if (refusal) {
      const outcome = { place: 'SKIPPED' as const, reason: refusal.reason, detail: refusal.detail, executionArn: evidence.executionArn, generation, redriven: false, ...(record?.restartedAs && { restartedAs: record.restartedAs }) };
      return this.report(outcome, 'Skipped');
    }
    // A claimed restart (its restarter died, maybe after StartExecution) is finished where the claim said:
    // a caller with another target must not start nothing, or a second execution, and unlink the first.
    const resuming = record?.phase === 'RESTARTING' && record.generation === generation;
    if (resuming && record.restartTarget) target = parseRestartTarget(record.restartTarget);
    const targetText = describeRestartTarget(target);
    const restartArn = restartExecutionArn(evidence.executionArn);
    const decision: Decision = { action: 'SKIP', reason: 'RESTART', detail: `restart on ${targetText} as ${restartArn}`, generation, attemptNumber: record?.attemptsUsed ?? 0 };
    if (config.dryRun) {
      const dry = await this.transition({
        evidence,
        generation,
        expect: RESTART_CLAIM,
        phase: 'DRY_RUN',
        reason: 'RESTART',
        nowMs: clock.nowMs(),
        attempt: { generation, decision: 'RESTART', reason: 'RESTART', decidedAtMs: clock.nowMs(), outcome: 'DRY_RUN', actor, note: `dry run: would ${decision.detail}` },
      });
      if (!dry.won) return this.lostClaim(decision, evidence, dry.current);
      return this.report({ place: 'DRY_RUN', reason: 'RESTART', detail: `dry run: would ${decision.detail}`, executionArn: evidence.executionArn, generation, redriven: false }, 'DryRun');
    }
    if (!resuming) {
      const claim = await this.transition({
        evidence,
        generation,
        expect: RESTART_CLAIM,
        phase: 'RESTARTING',
        reason: 'RESTART',
        nowMs: clock.nowMs(),
        restartTarget: targetText,
      });
      if (!claim.won) return this.lostClaim(decision, evidence, claim.current);
    }
    // The link first: a restart that exists always names its original.
    await ledger.linkRestart(restartArn, evidence.executionArn, clock.nowMs());
    const started = await startRestart(sfn, { targetArn: restartTargetArn(evidence.stateMachineArn, target), name: restartArn.split(':').pop()!, input: input ?? '{}', restartArn });
    if (started.kind === 'nameTaken' || started.kind === 'targetMissing') {
      await this.deps.ledger.unlinkRestart(restartArn, evidence.executionArn);
      const reason = started.kind === 'nameTaken' ? 'RESTART_NAME_TAKEN' : 'RESTART_TARGET_MISSING';
      const alert = buildExecutionAlert('RESTART_FAILED', evidence, reason, started.detail, record?.attemptsUsed ?? 0, config, clock.nowMs());
      const failed = await this.transition({
        evidence,
        generation,
        expect: { phases: ['RESTARTING'] },
        phase: 'SKIPPED',
        reason,
        nowMs: clock.nowMs(),
        attempt: { generation, decision: 'RESTART', reason, decidedAtMs: clock.nowMs(), outcome: 'SKIPPED', actor, note: started.detail },
        pendingAlert: alert,
      });
      if (failed.won) await this.publishOwedAlert(evidence.executionArn, generation, alert);
      return this.report({ place: 'SKIPPED', reason, detail: started.detail, executionArn: evidence.executionArn, generation, redriven: false }, 'Skipped');
    }
    const detail = `${started.kind === 'started' ? 'restarted' : 'already restarted'} on ${targetText} as ${restartArn}`;
    const alert = { ...buildExecutionAlert('RESTARTED', evidence, 'RESTART', detail, record?.attemptsUsed ?? 0, config, clock.nowMs()), restartedAs: restartArn };
    const recorded = await this.transition({
      evidence,
      generation,
      expect: { phases: ['RESTARTING'] },
      phase: 'RESTARTED',
      reason: 'RESTART',
      nowMs: clock.nowMs(),
      restartedAs: restartArn,
      restartTarget: targetText,
      attempt: { generation, decision: 'RESTART', reason: 'RESTART', decidedAtMs: clock.nowMs(), outcome: started.kind === 'started' ? 'RESTARTED' : 'ALREADY_RESTARTED', outcomeAtMs: clock.nowMs(), actor, note: detail },
      pendingAlert: alert,
    });
    // A lost write: a concurrent restarter recorded this very restart (one execution, same name) and alerts.
    if (recorded.won) await this.publishOwedAlert(evidence.executionArn, generation, alert);
    return this.report({ place: 'RESTARTED', reason: 'RESTART', detail, executionArn: evidence.executionArn, generation, redriven: false, restartedAs: restartArn, ...(!recorded.won && { confirmedOnly: true }) }, 'Restarted');
  }

  /**
   * A restarter died holding a RESTARTING claim, and the execution has moved on since (someone redrove it).
   * Starting a restart now would run the work twice, so only what was done is recorded: the restart
   * (the same deterministic name and input) exists, RESTARTED; it does not, the claim is released as
   * SKIPPED, and its link taken back.
   */
  private async settleMovedOnRestart(evidence: ExecutionEvidence, record: LedgerRecord, input: string): Promise<Outcome> {
    const { clock, config, actor, sfn, ledger } = this.deps;
    const { generation } = record;
    const restartArn = restartExecutionArn(evidence.executionArn);
    const claimed = { ...evidence, redriveCount: generation, status: record.status as ExecutionEvidence['status'] };
    const started = await existingRestart(sfn, restartArn, input);
    const detail = started
      ? `already restarted on ${record.restartTarget} as ${restartArn} (the execution has moved on since: ${evidence.status}, redriveCount ${evidence.redriveCount ?? 0})`
      : `released: the restart never started, and the execution has moved on since (${evidence.status}, redriveCount ${evidence.redriveCount ?? 0})`;
    if (!started) await ledger.unlinkRestart(restartArn, evidence.executionArn);
    const alert = started ? { ...buildExecutionAlert('RESTARTED', claimed, 'RESTART', detail, record.attemptsUsed, config, clock.nowMs()), restartedAs: restartArn } : undefined;
    const written = await this.transition({
      evidence: claimed,
      generation,
      expect: { phases: ['RESTARTING'] },
      phase: started ? 'RESTARTED' : 'SKIPPED',
      reason: started ? 'RESTART' : 'ALREADY_HANDLED',
      nowMs: clock.nowMs(),
      ...(started && { restartedAs: restartArn, restartTarget: record.restartTarget }),
      attempt: { generation, decision: 'RESTART', reason: started ? 'RESTART' : 'ALREADY_HANDLED', decidedAtMs: clock.nowMs(), outcome: started ? 'ALREADY_RESTARTED' : 'SKIPPED', outcomeAtMs: clock.nowMs(), actor, note: detail },
      ...(alert && { pendingAlert: alert }),
    });
    if (!written.won) return this.report({ place: 'SKIPPED', reason: 'ALREADY_HANDLED', detail: 'another delivery settled the claim first', executionArn: evidence.executionArn, generation, redriven: false }, 'Skipped');
    if (alert) await this.publishOwedAlert(evidence.executionArn, generation, alert);
    return started
      ? this.report({ place: 'RESTARTED', reason: 'RESTART', detail, executionArn: evidence.executionArn, generation, redriven: false, restartedAs: restartArn }, 'Restarted')
      : this.report({ place: 'SKIPPED', reason: 'ALREADY_HANDLED', detail, executionArn: evidence.executionArn, generation, redriven: false }, 'Skipped');
  }

  private async handleRecheck(recheck: RecheckMessage): Promise<Outcome> {
    const record = await this.deps.ledger.get(recheck.executionArn);
    await this.flushOwedAlert(record);
    if (!record || record.generation !== recheck.generation || (record.phase !== 'WAITING' && record.phase !== 'REDRIVING')) {
      const detail = record ? `ledger is at generation ${record.generation}, ${record.phase}` : 'no ledger item';
      return this.report({ place: 'SKIPPED', reason: 'ALREADY_HANDLED', detail: `stale recheck: ${detail}`, executionArn: recheck.executionArn, generation: recheck.generation, redriven: false }, 'Skipped');
    }
    const evidence = evidenceFromLedger(record);
    const decision = this.decide(evidence, record, 'recheck');
    if (decision.action === 'WAIT') {
      // Still early: SQS timers stop at 15 minutes, so chain another.
      await this.requireQueue().sendRecheck(record.executionArn, record.generation, decision.dueAtMs!, this.deps.clock.nowMs());
      return this.report({ place: 'WAITING', reason: 'BACKOFF', detail: decision.detail, executionArn: record.executionArn, generation: record.generation, redriven: false });
    }
    return this.apply(decision, evidence, record, 'recheck');
  }

  private decide(evidence: ExecutionEvidence, ledger: LedgerRecord | undefined, trigger: Trigger): Decision {
    const { config, clock, home, random, overrides } = this.deps;
    return decide({ evidence, ledger, config, nowMs: clock.nowMs(), trigger, home, random, overrides });
  }

  private alertsOnLateEvidence(decision: Decision, evidence: ExecutionEvidence): boolean {
    const alerts = decision.action === 'GIVE_UP' || (decision.action === 'SKIP' && alertKindFor(decision, this.deps.config) !== undefined);
    const ageMs = evidence.stopDateMs === undefined ? Infinity : this.deps.clock.nowMs() - evidence.stopDateMs;
    return alerts && !evidence.sources.includes('describe') && ageMs > LATE_EVIDENCE_MS;
  }

  /** The decision, or undefined when the core refuses to decide before more evidence is read. */
  private decideIfEvidenced(evidence: ExecutionEvidence, ledger: LedgerRecord | undefined, trigger: Trigger): Decision | undefined {
    try {
      return this.decide(evidence, ledger, trigger);
    } catch (error) {
      if (error instanceof EvidenceMissingError) return undefined;
      throw error;
    }
  }

  private async apply(decision: Decision, evidence: ExecutionEvidence, record: LedgerRecord | undefined, trigger: Trigger): Promise<Outcome> {
    switch (decision.action) {
      case 'WAIT':
        return this.wait(decision, evidence, trigger);
      case 'AWAIT_APPROVAL':
        return this.awaitApproval(decision, evidence, record?.attemptsUsed ?? 0, trigger);
      case 'REDRIVE':
        return this.redrive(decision, evidence, record, trigger);
      case 'RESTART':
        // A resumed claim restarts where the claim said; a new one where the error policy's rule says.
        return this.restart(evidence, decision.resume ? parseRestartTarget(record!.restartTarget!) : restartTargetFromConfig(decision.policy!.restartTarget!), { record });
      default:
        return this.finish(decision, evidence, record?.attemptsUsed ?? 0, this.expectationFor(trigger));
    }
  }

  private expectationFor(trigger: Trigger): ClaimExpectation {
    switch (trigger) {
      case 'event':
        return { newGeneration: true };
      case 'recheck':
        return { phases: ['WAITING'] };
      case 'operator':
        return { newGeneration: true, phases: ['WAITING', 'SKIPPED', 'GAVE_UP', 'DRY_RUN', 'APPROVAL_PENDING', 'REJECTED'] };
      case 'approval':
        return { phases: ['APPROVAL_PENDING'] };
    }
  }

  /**
   * The policy leaves this redrive to a person: record APPROVAL_PENDING and owe the alert that asks
   * (with the state it failed in: one GetExecutionHistory page, read once per failure asked about).
   */
  private async awaitApproval(decision: Decision, evidence: ExecutionEvidence, attemptsUsed: number, trigger: Trigger): Promise<Outcome> {
    const { clock, config, actor, sfn } = this.deps;
    const { lastEnteredState, lastEnteredFailState } = await historyTailInto(sfn, evidence, FAILED_STATE_HISTORY_PAGE);
    const nowMs = clock.nowMs();
    const alert: Alert = {
      ...buildExecutionAlert('APPROVAL_NEEDED', evidence, decision.reason, decision.detail, attemptsUsed, config, nowMs),
      generation: decision.generation,
      ...failedStateFields(lastEnteredState, lastEnteredFailState),
      commands: approvalCommands(evidence.executionArn, decision.generation),
    };
    const written = await this.transition({
      evidence,
      generation: decision.generation,
      expect: this.expectationFor(trigger),
      phase: 'APPROVAL_PENDING',
      reason: decision.reason,
      nowMs,
      approvalRequestedAtMs: nowMs,
      attempt: attemptEntry(decision, 'APPROVAL_PENDING', nowMs, actor, { note: decision.detail.slice(0, 500) }),
      pendingAlert: alert,
    });
    if (!written.won) return this.lostClaim(decision, evidence, written.current);
    await this.publishOwedAlert(evidence.executionArn, decision.generation, alert);
    return this.report({ place: 'APPROVAL_PENDING', reason: decision.reason, detail: decision.detail, executionArn: evidence.executionArn, generation: decision.generation, redriven: false }, 'AwaitingApproval');
  }

  private async wait(decision: Decision, evidence: ExecutionEvidence, trigger: Trigger): Promise<Outcome> {
    const { ledger, clock } = this.deps;
    const queue = this.requireQueue();
    const nowMs = clock.nowMs();
    if (!decision.resume) {
      const claim = await this.transition({
        evidence,
        generation: decision.generation,
        expect: this.expectationFor(trigger),
        phase: 'WAITING',
        reason: 'BACKOFF',
        nowMs,
        dueAtMs: decision.dueAtMs,
        recheckEnqueued: false,
      });
      if (!claim.won) return this.lostClaim(decision, evidence, claim.current);
    }
    await queue.sendRecheck(evidence.executionArn, decision.generation, decision.dueAtMs!, nowMs);
    await ledger.markRecheckEnqueued(evidence.executionArn, decision.generation, clock.nowMs());
    return this.report({ place: 'WAITING', reason: 'BACKOFF', detail: decision.detail, executionArn: evidence.executionArn, generation: decision.generation, redriven: false }, 'Waiting');
  }

  private async redrive(decision: Decision, evidence: ExecutionEvidence, record: LedgerRecord | undefined, trigger: Trigger): Promise<Outcome> {
    const { clock, config, sfn, actor } = this.deps;
    const token = decision.clientToken!;
    const base = { evidence, generation: decision.generation, reason: decision.reason };
    if (config.dryRun) {
      const dry = await this.transition({
        ...base,
        expect: this.expectationFor(trigger),
        phase: 'DRY_RUN',
        nowMs: clock.nowMs(),
        attempt: attemptEntry(decision, 'DRY_RUN', clock.nowMs(), actor),
      });
      if (!dry.won) return this.lostClaim(decision, evidence, dry.current);
      return this.report({ place: 'DRY_RUN', reason: decision.reason, detail: `dry run: would redrive with token ${token}`, executionArn: evidence.executionArn, generation: decision.generation, redriven: false }, 'DryRun');
    }
    if (!decision.resume) {
      const claim = await this.transition({
        ...base,
        expect: this.expectationFor(trigger),
        phase: 'REDRIVING',
        nowMs: clock.nowMs(),
        clientToken: token,
        tokenFirstUsedAtMs: clock.nowMs(),
        attemptsIncrement: 1,
        approval: this.deps.approval,
      });
      if (!claim.won) return this.lostClaim(decision, evidence, claim.current);
    } else if (tokenMayHaveExpired(record, clock.nowMs())) {
      // Past the token's life a repeated call could redrive twice; redriveCount says whether it went through.
      const fresh = await describeInto(sfn, evidence);
      if ((fresh.redriveCount ?? 0) > decision.generation) {
        return this.completeRedrive(decision, evidence, 'ALREADY_REDRIVEN', undefined, 'redriveCount shows the earlier call went through');
      }
    }
    const answer = await redriveExecution(sfn, evidence.executionArn, token);
    if (answer.kind === 'redriven') return this.completeRedrive(decision, evidence, 'REDRIVEN', answer.redriveDateMs, `redriven with token ${token}`);
    // AWS refused the claimed call: the claim ends in a final phase and the attempt it counted is returned.
    const refusal =
      answer.kind === 'notFound'
        ? this.skipDecision(evidence, 'EXECUTION_NOT_FOUND', 'RedriveExecution: ExecutionDoesNotExist', decision)
        : this.skipDecision(evidence, /is (RUNNING|SUCCEEDED)/.test(answer.reason) ? 'NOT_FAILED' : 'NOT_REDRIVABLE_PER_AWS', answer.reason, decision);
    const refusedEvidence = answer.kind === 'notFound' ? evidence : { ...evidence, redriveStatusReason: answer.reason };
    return this.finish(refusal, refusedEvidence, decision.attemptNumber - 1, { phases: ['REDRIVING'] }, { refundClaimedAttempt: true });
  }

  private async completeRedrive(decision: Decision, evidence: ExecutionEvidence, outcome: 'REDRIVEN' | 'ALREADY_REDRIVEN', redriveDateMs: number | undefined, detail: string): Promise<Outcome> {
    const { ledger, clock, actor } = this.deps;
    const attempt = attemptEntry(decision, outcome, clock.nowMs(), actor, { redriveDateMs, note: detail });
    const recorded = await this.transition({
      evidence,
      generation: decision.generation,
      expect: { phases: ['REDRIVING'] },
      phase: 'REDRIVEN',
      reason: decision.reason,
      nowMs: clock.nowMs(),
      clientToken: decision.clientToken,
      attempt,
    });
    // The redriven execution can fail again, and its next generation be claimed, before we get here:
    // the item has moved on, but this attempt still happened and belongs in its log.
    const overtaken = !recorded.won && (recorded.current?.generation ?? -1) > decision.generation;
    // The claim of the next generation may log this redrive too (Ledger.recordOvertakenClaim): one wins.
    if (overtaken) await ledger.appendAttempt(evidence.executionArn, attempt);
    // Otherwise a lost write means a resumed delivery recorded this very redrive first: count it once.
    const confirmedOnly = !recorded.won && !overtaken;
    return this.report({ place: 'REDRIVEN', reason: decision.reason, detail, executionArn: evidence.executionArn, generation: decision.generation, redriven: true, ...(confirmedOnly && { confirmedOnly }) }, 'Redriven');
  }

  /**
   * SKIP or GIVE_UP: recorded once; only the writer that wins the record sends the alert. After a claim
   * (`refundClaimedAttempt`) the record is always written, so no claim is left in REDRIVING.
   */
  private async finish(decision: Decision, evidence: ExecutionEvidence, attemptsUsed: number, expect: ClaimExpectation, options: { refundClaimedAttempt?: boolean } = {}): Promise<Outcome> {
    const { clock, config, actor } = this.deps;
    const place: FinalPlace = decision.action === 'GIVE_UP' ? 'GAVE_UP' : 'SKIPPED';
    const metric: MetricName = place === 'GAVE_UP' ? 'GaveUp' : 'Skipped';
    const outcome = { place, reason: decision.reason, detail: decision.detail, executionArn: evidence.executionArn, generation: decision.generation, redriven: false };
    if (UNLEDGERED.has(decision.reason) && !options.refundClaimedAttempt) return this.report(outcome, metric);
    const kind = alertKindFor(decision, config);
    const alert = kind && (await this.withFailedState(evidence, await this.withMapRun(await this.withRestartLink(buildExecutionAlert(kind, evidence, decision.reason, decision.detail, attemptsUsed, config, clock.nowMs())))));
    const written = await this.transition({
      evidence,
      generation: decision.generation,
      expect,
      phase: place,
      reason: decision.reason,
      nowMs: clock.nowMs(),
      attemptsIncrement: options.refundClaimedAttempt ? -1 : 0,
      attempt: attemptEntry(decision, place === 'GAVE_UP' ? 'GAVE_UP' : decision.reason === 'NOT_REDRIVABLE_PER_AWS' ? 'NOT_REDRIVABLE' : 'SKIPPED', clock.nowMs(), actor, {
        note: decision.detail.slice(0, 500),
        // What the alert read about the failed state stays in the log, for a later plan or `ledger` listing.
        ...(alert && failedStateFields(alert.failedState, alert.failedInFailState)),
      }),
      pendingAlert: alert || undefined,
      approval: this.deps.approval,
    });
    if (!written.won) return this.lostClaim(decision, evidence, written.current);
    if (alert) await this.publishOwedAlert(evidence.executionArn, decision.generation, alert);
    return this.report(outcome, metric);
  }

  private transition(input: TransitionInput): Promise<TransitionResult> {
    return transitionSendingDisplaced(this.deps, input);
  }

  /** An alert about a restart names the execution it restarted (one read, on alerting paths only). */
  private async withRestartLink(alert: Alert): Promise<Alert> {
    const restartOf = await this.deps.ledger.restartOf(alert.executionArn!);
    return restartOf ? { ...alert, restartOf } : alert;
  }

  /**
   * An alert about a parent that its Distributed Map's children failed names the Map Run and those
   * children: on-call looks there, not at the parent. Best effort: without them the alert still goes.
   */
  private async withMapRun(alert: Alert): Promise<Alert> {
    if (alert.error !== MAP_RUN_FAILED_PARENT_ERROR) return alert;
    const warn = (what: string, error: unknown) => this.deps.logger.warn(what, { executionArn: alert.executionArn, error: (error as Error).name });
    try {
      const mapRun = await failedMapRun(this.deps.sfn, alert.executionArn!, (error) => warn('Could not list the failed Map Run\'s children for the alert; sending its counts', error));
      return mapRun ? { ...alert, mapRun } : alert;
    } catch (error) {
      warn('Could not read the failed Map Run for the alert; sending it without', error);
      return alert;
    }
  }

  /**
   * A GAVE_UP alert names the state the execution failed in, and whether it is a Fail state that no
   * redrive gets past (core/fail-state.ts): what on-call needs to choose between a redrive with
   * `--override-max-attempts` and a restart. One GetExecutionHistory page, on giving up only; best effort.
   */
  private async withFailedState(evidence: ExecutionEvidence, alert: Alert): Promise<Alert> {
    if (alert.kind !== 'GAVE_UP' || alert.failedState !== undefined) return alert;
    try {
      const { lastEnteredState, lastEnteredFailState } = await historyTailInto(this.deps.sfn, evidence, FAILED_STATE_HISTORY_PAGE);
      return { ...alert, ...failedStateFields(lastEnteredState, lastEnteredFailState) };
    } catch (error) {
      this.deps.logger.warn('Could not read the failed state for the alert; sending it without', { executionArn: alert.executionArn, error: (error as Error).name });
      return alert;
    }
  }

  /** Publishes an alert recorded with its decision, then marks it sent. */
  private async publishOwedAlert(executionArn: string, generation: number, alert: Alert): Promise<void> {
    await this.deps.alerts.publish(alert);
    await this.deps.ledger.clearPendingAlert(executionArn, generation);
  }

  /**
   * A delivery that finds an alert still owed sends it, once its writer is surely gone: a record younger
   * than the worker timeout may belong to a live worker about to publish (no duplicate alert then).
   */
  private async flushOwedAlert(record: LedgerRecord | undefined): Promise<void> {
    if (!record?.pendingAlert) return;
    if (this.deps.clock.nowMs() - record.updatedAtMs < this.deps.config.worker.timeoutSeconds * 1000) return;
    this.deps.logger.warn('Publishing an alert a previous delivery recorded but did not send', { executionArn: record.executionArn, generation: record.generation, kind: record.pendingAlert.kind });
    await this.publishOwedAlert(record.executionArn, record.generation, record.pendingAlert);
  }

  private lostClaim(decision: Decision, evidence: ExecutionEvidence, current: LedgerRecord | undefined): Outcome {
    const detail = current ? `another delivery got there first: generation ${current.generation} is ${current.phase}` : 'another delivery got there first';
    return this.report({ place: 'SKIPPED', reason: 'ALREADY_HANDLED', detail, executionArn: evidence.executionArn, generation: decision.generation, redriven: false }, 'Skipped');
  }

  private skipDecision(evidence: ExecutionEvidence, reason: ReasonCode, detail: string, from?: Decision): Decision {
    const generation = from?.generation ?? evidence.redriveCount ?? 0;
    return { action: 'SKIP', reason, detail, generation, attemptNumber: from?.attemptNumber ?? 0, ...(from?.overrides && { overrides: from.overrides }) };
  }

  private async parkMalformed(body: string, error: MalformedMessageError, messageId: string): Promise<Outcome> {
    this.deps.logger.error('Malformed intake message parked in the dead-letter queue', { messageId, problems: error.problems, bodyBytes: Buffer.byteLength(body) });
    await this.requireQueue().park(body, error.message, messageId);
    this.deps.metrics.count('Parked');
    return { place: 'PARKED', reason: 'MALFORMED', detail: error.message, redriven: false };
  }

  private requireQueue(): IntakeQueue {
    if (!this.deps.queue) throw new Error('this entry point has no intake queue, so it cannot wait or park');
    return this.deps.queue;
  }

  private report(outcome: Outcome, metric?: MetricName): Outcome {
    const { logger, metrics } = this.deps;
    const keys = { executionArn: outcome.executionArn, generation: outcome.generation, place: outcome.place, reason: outcome.reason, detail: outcome.detail };
    if (outcome.place === 'GAVE_UP') logger.warn('Decision', keys);
    else logger.info('Decision', keys);
    if (metric) metrics.count(metric, metric === 'Skipped' ? outcome.reason : undefined);
    return outcome;
  }
}

/** A recheck needs no API call: the ledger kept the evidence the first decision used. */
export function evidenceFromLedger(record: LedgerRecord): ExecutionEvidence {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    executionName: record.executionName,
    status: record.status as ExecutionEvidence['status'],
    startDateMs: record.startDateMs,
    stopDateMs: record.stopDateMs,
    redriveCount: record.generation,
    error: record.error,
    cause: record.cause,
    sources: ['ledger'],
  };
}

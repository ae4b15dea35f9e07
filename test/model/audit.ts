/**
 * The model's verdict. From what the run recorded (harness facts) and what the stack holds (the
 * emulator's executions and history, the ledger, the alerts, the queues) it states where every failure
 * generation must be, and reports each way the system disagrees, tagged with the bug it points to.
 *
 * A failure generation g of an execution is the run that ended FAILED/TIMED_OUT/ABORTED with
 * redriveCount g. Its place is exactly one of:
 *   REDRIVEN     AWS counts redriveCount > g (by the pipeline's token for g, or by a console redrive)
 *   SKIPPED      the ledger holds g SKIPPED with a reason the facts justify
 *   GAVE_UP      the ledger holds g GAVE_UP after maxAttempts real redrives, with one GAVE_UP alert
 *   DRY_RUN      the ledger holds g DRY_RUN, in dry-run mode only
 *   PARKED       a message naming the execution is in the intake DLQ
 *   APPROVAL_PENDING / REJECTED  the ledger holds g waiting for a person (its error routes to `approve`,
 *                and no sweep ran after its window less the margin closed) or declined by one who clicked Skip
 *   RESTARTED    the ledger holds g RESTARTED, linked to the one restart `<name>-restart-<n>` that exists
 *   NOT_WATCHED  its machine or status is not watched, or it failed before the deploy
 *   LOST         no ledger decision, which is right only if no copy of its event reached the queue and
 *                no sweep ran while its stop date was within the lookback
 */
import type { Alert } from '../../core/alerts';
import { clientTokenFor } from '../../core/client-token';
import { DEFAULT_NEVER_RETRY } from '../../core/config';
import type { LedgerAttempt } from '../../core/ledger-record';
import type { ExecutionRecord } from '../../local/sfn';
import { restartExecutionName, restartsBefore } from '../../core/restart';
import { eventKey, MACHINES, type ExecutionFacts, type PipelineHarness } from './harness';
import type { BugTag } from './known-bugs';
import { FLAGS, HOUR_MS, WINDOW_MS, formatMs, policyActionFor } from './scenario';

export interface Violation {
  tag: BugTag;
  text: string;
}

interface FailureGeneration {
  generation: number;
  status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  error?: string;
  stopMs: number;
}

interface Redrive {
  /** The generation AWS redrove (redriveCount before the call). */
  generation: number;
  atMs: number;
  by: 'pipeline' | 'console' | 'unknown';
  /** The generation the pipeline's client token was derived for. */
  tokenGeneration?: number;
}

const CLOSING_EVENTS: Record<string, FailureGeneration['status']> = { ExecutionFailed: 'FAILED', ExecutionTimedOut: 'TIMED_OUT', ExecutionAborted: 'ABORTED' };
const FAILED_STATUSES = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);
const REDRIVE_OUTCOMES = new Set(['REDRIVEN', 'ALREADY_REDRIVEN']);
const RESTART_OUTCOMES = new Set(['RESTARTED', 'ALREADY_RESTARTED']);
/** Why a restart could not start (RedriveEngine.restart): each owes a RESTART_FAILED alert. */
const RESTART_FAILURES = new Set(['RESTART_NAME_TAKEN', 'RESTART_TARGET_MISSING']);
/** Ledger actors: a person deciding an approval (Slack, or the CLI's `approve`/`reject`), an operator's bulk run. */
const byApprover = (a: LedgerAttempt) => a.actor.startsWith('slack ') || a.actor.includes(': model approval by ');
const byOperatorRun = (a: LedgerAttempt) => a.actor.includes(': model operator ');
/** A pending approval a sweep did not expire is found by a later sweep up to this long after its window closed (engine/sweep.ts). */
const EXPIRY_LOOKBACK_MS = 24 * HOUR_MS;
/** The reasons that raise a NOT_REDRIVABLE alert, restated. */
const NOT_REDRIVABLE = new Set(['STARTED_BEFORE_REDRIVE_LAUNCH', 'REDRIVE_WINDOW_EXPIRED', 'MAX_OPEN_TIME_EXCEEDED', 'HISTORY_LIMIT', 'NOT_REDRIVABLE_PER_AWS']);

/** The emulator's history of one execution: its failure generations and the redrives AWS accepted. */
function readHistory(record: ExecutionRecord, consoleRedrives: PipelineHarness['facts']['consoleRedrives']): { failures: FailureGeneration[]; redrives: Redrive[]; unattributable: boolean } {
  const failures: FailureGeneration[] = [];
  const redrives: Redrive[] = [];
  let generation = 0;
  for (let id = 1; id <= record.history.length; id++) {
    const event = record.history.get(id);
    const status = CLOSING_EVENTS[event.type];
    if (status) failures.push({ generation, status, error: event.details?.error as string | undefined, stopMs: event.timestampMs });
    if (event.type === 'ExecutionRedriven') {
      redrives.push({ generation, atMs: event.timestampMs, by: 'unknown' });
      generation++;
    }
  }
  // Which token made each redrive: the emulator keeps the last ten tokens with the time of their redrive.
  const tokens = [...record.redriveTokens];
  const unattributable = tokens.length >= 10;
  const isConsole = (redrive: Redrive) => consoleRedrives.some((c) => c.arn === record.arn && c.atMs === redrive.atMs && c.generation === redrive.generation);
  for (const redrive of redrives) {
    // The SDK fills in a random client token when the caller gives none (the console's case).
    const index = tokens.findIndex((use) => use.firstUsedMs === redrive.atMs && (!isConsole(redrive) || !use.token.startsWith('ar-g')));
    const use = index >= 0 ? tokens.splice(index, 1)[0] : undefined;
    if (isConsole(redrive)) {
      redrive.by = 'console';
    } else if (use) {
      const match = /^ar-g(\d+)-/.exec(use.token);
      const tokenGeneration = match ? Number(match[1]) : -1;
      if (tokenGeneration >= 0 && clientTokenFor(record.arn, tokenGeneration) === use.token) {
        redrive.by = 'pipeline';
        redrive.tokenGeneration = tokenGeneration;
      }
    }
  }
  return { failures, redrives, unattributable };
}

/** How often each place, path and fault was reached, over all runs: the model's coverage. */
export class Coverage {
  readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    if (n > 0) this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  render(): string {
    const groups = new Map<string, string[]>();
    for (const [key, n] of [...this.counts.entries()].sort()) {
      const [group, ...rest] = key.split(':');
      groups.set(group, [...(groups.get(group) ?? []), `${rest.join(':')} ${n}`]);
    }
    return [...groups.entries()].map(([group, items]) => `  ${group}: ${items.join(', ')}`).join('\n');
  }
}

export class Auditor {
  private readonly highestGeneration = new Map<string, number>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly h: PipelineHarness,
    private readonly coverage = new Coverage(),
  ) {}

  /** A message naming this execution outlived the queue's retention (a worker outage of 14 days or more). */
  private expired(arn: string): boolean {
    return this.h.facts.expiredMessages.some((body) => body.includes(JSON.stringify(arn)));
  }

  private name(arn: string): string {
    return this.h.facts.executions.get(arn)?.name ?? arn;
  }

  /** Reports each violation once per run (a stuck item would otherwise be reported after every command). */
  private once(violations: Violation[]): Violation[] {
    return violations.filter((v) => {
      const key = `${v.tag}|${v.text}`;
      if (this.seen.has(key)) return false;
      this.seen.add(key);
      return true;
    });
  }

  /** After every command: nothing stuck without a pending message, no rollback, no double redrive. */
  async step(): Promise<Violation[]> {
    const { h } = this;
    const violations: Violation[] = [];
    const items = await h.ledgerItems();
    const pending = [...h.stack.intakeQueue.peek(), ...h.stack.intakeDlq.peek()].map((m) => m.body);
    for (const [arn, item] of items) violations.push(...this.itemInvariants(arn, item, pending));
    for (const facts of h.facts.executions.values()) {
      const record = h.stack.sfn.execution(facts.arn)!;
      violations.push(...this.redriveInvariants(facts, readHistory(record, h.facts.consoleRedrives).redrives, items.get(facts.arn)));
    }
    return this.once(violations);
  }

  private itemInvariants(arn: string, item: Record<string, unknown>, pending: string[]): Violation[] {
    const violations: Violation[] = [];
    const name = this.name(arn);
    const generation = item.generation as number | undefined;
    const phase = item.phase as string | undefined;
    const record = this.h.stack.sfn.execution(arn);
    // Parked: the DLQ holds the message, or held it (SQS drops it 14 days after its first send; the alert stays).
    const parkedAlert = this.h.stack.alerts.some((a) => a.kind === 'PIPELINE_ERROR' && a.executionArn === arn);
    if ((phase === 'WAITING' || phase === 'REDRIVING' || phase === 'RESTARTING') && !parkedAlert && !pending.some((body) => body.includes(JSON.stringify(arn)))) {
      const movedOn = record !== undefined && (record.redriveCount > (generation ?? 0) || record.status === 'RUNNING' || record.status === 'SUCCEEDED');
      violations.push({
        tag: this.expired(arn) ? 'queue-retention' : phase === 'REDRIVING' && movedOn ? 'bug3' : 'new',
        text: `${name}: ledger ${phase} at generation ${generation} with no message pending for it (no recheck, no retry, nothing in the DLQ); AWS says ${record?.status} redriveCount ${record?.redriveCount}`,
      });
    }
    const attempts = (item.attempts as LedgerAttempt[] | undefined) ?? [];
    const highest = Math.max(this.highestGeneration.get(arn) ?? -1, ...attempts.map((a) => a.generation));
    if (generation !== undefined) {
      if (generation < highest) violations.push({ tag: 'bug6', text: `${name}: ledger rolled back from generation ${highest} to ${generation} (${phase})` });
      this.highestGeneration.set(arn, Math.max(highest, generation));
    }
    return violations;
  }

  /** Every redrive AWS accepted was made with the token of the generation it redrove, at most once per generation. */
  private redriveInvariants(facts: ExecutionFacts, redrives: Redrive[], item: Record<string, unknown> | undefined): Violation[] {
    const violations: Violation[] = [];
    const byTokenGeneration = new Map<number, number>();
    const consoleRedriven = this.h.facts.consoleRedrives.some((c) => c.arn === facts.arn);
    for (const redrive of redrives) {
      if (redrive.by === 'unknown') {
        violations.push({ tag: 'new', text: `${facts.name}: AWS redrove generation ${redrive.generation} at ${this.at(redrive.atMs)} with no client token the pipeline derives (and no console redrive)` });
        continue;
      }
      if (redrive.by !== 'pipeline') continue;
      const tokenGeneration = redrive.tokenGeneration!;
      byTokenGeneration.set(tokenGeneration, (byTokenGeneration.get(tokenGeneration) ?? 0) + 1);
      if (tokenGeneration !== redrive.generation) {
        const attempts = ((item?.attempts as LedgerAttempt[] | undefined) ?? []).filter((a) => a.generation === tokenGeneration).map((a) => `${a.decision}/${a.outcome} by ${a.actor}`);
        violations.push({
          tag: consoleRedriven ? 'stale-recheck-redrive' : 'new',
          text: `${facts.name}: a redrive decided for generation ${tokenGeneration} redrove generation ${redrive.generation} at ${this.at(redrive.atMs)} (ledger attempts of g${tokenGeneration}: ${attempts.join('; ') || 'none'})`,
        });
      }
    }
    for (const [generation, count] of byTokenGeneration) {
      if (count > 1) violations.push({ tag: 'new', text: `${facts.name}: generation ${generation} was redriven ${count} times (AWS accepted ${count} redrives with its token)` });
    }
    return violations;
  }

  private at(ms: number): string {
    return `T+${formatMs(ms - this.h.facts.startMs)}`;
  }

  /** After quiescence: the place of every failure generation, the alerts, the window-closing warnings. */
  async final(): Promise<Violation[]> {
    const { h } = this;
    const violations: Violation[] = [];
    const items = await h.ledgerItems();
    const dlq = h.stack.intakeDlq.peek().map((m) => m.body);
    const left = h.stack.intakeQueue.peek();
    if (left.length > 0) violations.push({ tag: 'new', text: `${left.length} message(s) still in the intake queue after quiescence` });
    for (const sweep of h.facts.sweeps) {
      if (sweep.error) violations.push({ tag: FLAGS.exoticMachines ? 'names' : 'new', text: `the sweep at ${this.at(sweep.atMs)} threw ${sweep.error}` });
      for (const problem of sweep.problems) violations.push({ tag: 'new', text: `the sweep at ${this.at(sweep.atMs)} could not handle ${problem}` });
    }
    for (const run of h.facts.operatorRuns) {
      if (run.code !== 0) violations.push({ tag: FLAGS.exoticMachines ? 'names' : 'new', text: `the operator run at ${this.at(run.atMs)} exited ${run.code}: ${run.stderr.trim().slice(0, 300)} ${run.stdout.slice(0, 300)}` });
    }
    for (const facts of h.facts.executions.values()) {
      violations.push(...this.auditExecution(facts, items.get(facts.arn), dlq, items));
    }
    // BEFORE_WATCHING failures are announced once per state machine and sweep (NOT_BACKFILLED).
    for (const machine of new Set([...items.values()].filter((item) => ((item.attempts as LedgerAttempt[] | undefined) ?? []).some((a) => a.reason === 'BEFORE_WATCHING')).map((item) => String(item.stateMachineArn)))) {
      if (!h.stack.alerts.some((a) => a.kind === 'NOT_BACKFILLED' && a.stateMachineArn === machine)) violations.push({ tag: 'bug5', text: `failures of ${machine} recorded BEFORE_WATCHING without a NOT_BACKFILLED alert` });
    }
    const known = new Set(h.facts.executions.keys());
    // Approvals of an execution the run never started change nothing: refused, and no ledger item appears.
    for (const click of h.facts.approvals.filter((a) => !known.has(a.arn))) {
      if (click.answer !== (click.via === 'slack' ? 404 : 2)) violations.push({ tag: 'new', text: `a ${click.via} ${click.verdict} for ${click.arn}, never started, was answered ${click.answer}` });
    }
    for (const [arn, item] of items) {
      // A restart that never started (no such target) leaves its taken-back mark: an item with no link and no generation.
      const husk = item.restartOf === undefined && item.generation === undefined && item.phase === undefined;
      if (!known.has(arn) && !husk && !arn.startsWith('watch#') && !arn.startsWith('coordination#') && !dlq.some((body) => body.includes(arn.replace(/-restart-\d+$/, '')))) violations.push({ tag: 'new', text: `the ledger holds an item for ${arn}, an execution that does not exist` });
    }
    for (const alert of h.stack.alerts) {
      if (alert.executionArn && !known.has(alert.executionArn)) violations.push({ tag: 'new', text: `alert ${alert.kind} for an execution the run never started: ${alert.executionArn}` });
    }
    return this.once(violations);
  }

  /** May the pipeline redrive this error at all (an `approve` one only once approved, checked apart; a `restart` one never)? */
  private retryable(error: string | undefined): boolean {
    if (error !== undefined && DEFAULT_NEVER_RETRY.includes(error)) return false;
    const action = policyActionFor(error);
    if (action) return action === 'approve';
    if (this.h.model.onlyRetry) return error !== undefined && error.startsWith('Retryable.');
    return true;
  }

  private auditExecution(facts: ExecutionFacts, item: Record<string, unknown> | undefined, dlq: string[], items: Map<string, Record<string, unknown>>): Violation[] {
    const { h } = this;
    const { config, model } = h;
    const violations: Violation[] = [];
    const v = (tag: BugTag, text: string) => violations.push({ tag, text: `${facts.name}: ${text}` });
    const record = h.stack.sfn.execution(facts.arn)!;
    const { failures, redrives, unattributable } = readHistory(record, h.facts.consoleRedrives);
    const attempts = (item?.attempts as LedgerAttempt[] | undefined) ?? [];
    const alerts = h.stack.alerts.filter((a) => a.executionArn === facts.arn);
    // In the DLQ, or was: SQS drops a parked message 14 days after its first send; its alert stays.
    const parked = dlq.some((body) => body.includes(JSON.stringify(facts.arn))) || alerts.some((a) => a.kind === 'PIPELINE_ERROR');
    const watched = (status: string) => MACHINES[facts.machine].watched && (config.statuses as readonly string[]).includes(status);
    const lookbackMs = config.sweep.lookbackHours * HOUR_MS;
    const closingMs = config.sweep.windowClosingHours * HOUR_MS;
    const marginMs = config.windowSafetyMarginSeconds * 1000;
    const longestRunMs = config.sweep.longestRunHours * HOUR_MS;
    // Automatic redrive starts where watching began (the first sweep); earlier failures are the operator's.
    const watchingSinceMs = h.facts.watchingSinceMs;
    const itemGeneration = item?.generation as number | undefined;
    const phase = item?.phase as string | undefined;

    violations.push(...this.redriveInvariants(facts, redrives, item).map((x) => ({ ...x })));
    if (item) violations.push(...this.itemInvariants(facts.arn, item, [...dlq, ...h.stack.intakeQueue.peek().map((m) => m.body)]));

    // Each redrive the pipeline made: allowed by the policy, the mode, the deploy and the attempt limit.
    const pipelineRedrives = redrives.filter((r) => r.by === 'pipeline');
    for (const redrive of pipelineRedrives) {
      const failure = failures.find((f) => f.generation === redrive.generation)!;
      const attempt = attempts.find((a) => a.generation === redrive.generation && REDRIVE_OUTCOMES.has(a.outcome));
      const actor = attempt?.actor ?? 'unknown';
      if (model.dryRun) v('new', `redriven in dry-run mode (generation ${redrive.generation}, by ${actor})`);
      if (!this.retryable(failure.error) && redrive.tokenGeneration === redrive.generation) {
        v('new', `generation ${redrive.generation} failed with ${failure.error ?? 'no error'}, not retryable under the policy, yet ${actor} redrove it`);
      }
      if (!actor.startsWith('operator') && failure.stopMs < watchingSinceMs) {
        v('bug5', `generation ${redrive.generation} failed at ${this.at(failure.stopMs)}, before watching began at ${this.at(watchingSinceMs)} (deploy at ${this.at(h.facts.deployedAtMs)}), and ${actor} redrove it at ${this.at(redrive.atMs)}`);
      }
      if (!actor.startsWith('operator') && !watched(failure.status)) v('new', `generation ${redrive.generation} (${failure.status} on ${MACHINES[facts.machine].name}) is not watched, yet ${actor} redrove it`);
      // Approvals: an `approve` failure is redriven only by the person who approved it (or an operator's own run), never once rejected or expired.
      if (redrive.tokenGeneration === redrive.generation && attempt && !byOperatorRun(attempt)) {
        const approved = this.h.facts.approvals.some((a) => a.arn === facts.arn && a.generation === redrive.generation && a.verdict === 'APPROVED' && a.atMs <= redrive.atMs);
        if (policyActionFor(failure.error) === 'approve' && (!byApprover(attempt) || !approved)) v('new', `generation ${redrive.generation} failed with ${failure.error}, which waits for approval, yet ${actor} redrove it at ${this.at(redrive.atMs)}${approved ? '' : ' and nobody approved it'}`);
        const closed = attempts.find((a) => a.generation === redrive.generation && a.decidedAtMs <= redrive.atMs && (a.decision === 'REJECT' || (a.reason === 'REDRIVE_WINDOW_EXPIRED' && a.actor === 'sweep')));
        if (closed) v('new', `generation ${redrive.generation} was ${closed.decision === 'REJECT' ? `rejected by ${closed.actor}` : 'expired by the sweep'} at ${this.at(closed.decidedAtMs)}, yet ${actor} redrove it at ${this.at(redrive.atMs)}`);
      }
      // After a restart of generation g nothing redrives g or a later generation (times tie on the virtual clock: compare generations).
      const restarted = attempts.find((a) => RESTART_OUTCOMES.has(a.outcome));
      if (restarted && redrive.generation >= restarted.generation) v('new', `generation ${restarted.generation} was restarted at ${this.at(restarted.decidedAtMs)} (as ${String(item?.restartedAs)}), yet ${actor} redrove generation ${redrive.generation} at ${this.at(redrive.atMs)}`);
      if (!attempt && !parked && !unattributable && redrive.tokenGeneration === redrive.generation) {
        const overtaken = (itemGeneration ?? -1) > redrive.generation;
        // Since the fix the next generation's claim logs it, in a second write a crash can cut off.
        const claimCrashed = h.facts.crashesFired.afterClaim > 0;
        v(this.expired(facts.arn) ? 'queue-retention' : overtaken ? (claimCrashed ? 'overtaken-claim-crash' : 'unrecorded-redrive') : 'new', `AWS redrove generation ${redrive.generation} at ${this.at(redrive.atMs)} with the pipeline's token but the ledger never recorded it (item at generation ${itemGeneration} ${phase})`);
      }
    }
    // A final decision on a generation AWS had already redriven (the decision read stale evidence).
    // Only decisions that alert; AWS's own refusals (NOT_FAILED, NOT_REDRIVABLE_PER_AWS) are current by definition.
    const alerting = (a: LedgerAttempt) =>
      a.decision === 'GIVE_UP' || (a.decision === 'SKIP' && a.reason !== 'NOT_REDRIVABLE_PER_AWS' && (NOT_REDRIVABLE.has(a.reason) || (a.reason === 'NON_RETRYABLE_ERROR' && config.alerts.notifyOnNonRetryableSkip)));
    for (const attempt of attempts.filter(alerting)) {
      const earlier = redrives.find((r) => r.generation === attempt.generation && r.atMs < attempt.decidedAtMs);
      if (!earlier) continue;
      const byConsole = earlier.by === 'console' || h.facts.consoleRedrives.some((c) => c.arn === facts.arn);
      v(byConsole ? 'decision-on-redriven' : 'new', `decided ${attempt.decision} ${attempt.reason} for generation ${attempt.generation} at ${this.at(attempt.decidedAtMs)}, after AWS had redriven it at ${this.at(earlier.atMs)} (by ${earlier.by})`);
    }
    const workerRedrives = attempts.filter((a) => REDRIVE_OUTCOMES.has(a.outcome) && a.actor === 'worker').length;
    if (workerRedrives > config.maxAttempts) v('new', `the worker redrove ${workerRedrives} times, maxAttempts is ${config.maxAttempts}`);
    const recordedRedrives = new Map<number, number>();
    for (const a of attempts.filter((x) => REDRIVE_OUTCOMES.has(x.outcome))) recordedRedrives.set(a.generation, (recordedRedrives.get(a.generation) ?? 0) + 1);
    for (const a of attempts.filter((x) => REDRIVE_OUTCOMES.has(x.outcome) && byApprover(x))) {
      const made = pipelineRedrives.filter((r) => r.generation === a.generation && r.tokenGeneration === a.generation).length;
      if (made !== 1 && !unattributable) v('new', `generation ${a.generation} was approved (${a.actor}) and recorded ${a.outcome}, but AWS accepted ${made} redrives of it with its token`);
    }
    violations.push(...this.restartInvariants(facts, item, attempts, items.get(facts.restartOf ?? '')));
    for (const [generation, count] of recordedRedrives) {
      if (count > 1) v('ledger-double-redrive', `the ledger records ${count} redrives of generation ${generation}`);
      if (record.redriveCount <= generation) v('new', `the ledger records a redrive of generation ${generation} but AWS's redriveCount is ${record.redriveCount}`);
    }

    // Where the last failure generation is.
    const G = record.redriveCount;
    const last = failures.find((f) => f.generation === G);
    if (record.status === 'RUNNING' || record.status === 'PENDING_REDRIVE') v('new', `still ${record.status} after quiescence`);
    let lastPlace: string | undefined;
    if (last && FAILED_STATUSES.has(record.status)) {
      const mine = attempts.filter((a) => a.generation === G);
      const finalAttempt = [...mine].reverse().find((a) => a.decision === 'SKIP' || a.decision === 'GIVE_UP' || a.outcome === 'DRY_RUN');
      const describe = `generation ${G} (${last.status} ${last.error ?? ''} at ${this.at(last.stopMs)})`;
      if (itemGeneration === G && phase !== undefined) {
        lastPlace = phase;
        // A wrong error is stale; a missing one was not read (a listing has none), which only matters
        // where the error policy judged it (the blind-decision check below).
        if (item!.error !== undefined && item!.error !== last.error) {
          // A sweep hand-over carries no error (bug 2); otherwise a write kept an older generation's.
          const handedOver = h.facts.sweeps.some((s) => s.missed.includes(facts.arn));
          v(handedOver ? 'bug2' : 'stale-ledger-evidence', `the ledger item of ${describe} holds error ${String(item!.error)}, not the failure's (its decision's evidence carried ${handedOver ? 'no error: a sweep hand-over' : 'none'})`);
        }
        switch (phase) {
          case 'WAITING':
          case 'REDRIVING':
            if (parked) lastPlace = 'PARKED';
            break; // itemInvariants reported it otherwise
          case 'REDRIVEN':
            break; // recordedRedrives reported it
          case 'DRY_RUN':
            if (!model.dryRun) v('new', `${describe} is DRY_RUN but dryRun is off`);
            break;
          case 'APPROVAL_PENDING': {
            if (policyActionFor(last.error) !== 'approve') v('new', `${describe} waits for approval, but ${last.error ?? 'no error'} routes to no approve rule`);
            // A sweep after the window (less the margin) closed, while it waited, had to expire it.
            const safeEndMs = last.stopMs + WINDOW_MS - marginMs;
            const missed = h.facts.sweeps.filter((s) => !s.error && s.atMs >= safeEndMs && s.atMs <= last.stopMs + WINDOW_MS + EXPIRY_LOOKBACK_MS && s.ledgerBefore.get(facts.arn)?.generation === G && s.ledgerBefore.get(facts.arn)?.phase === 'APPROVAL_PENDING');
            if (missed.length > 0) v('new', `${describe} still waits for approval, though its window less the margin closed at ${this.at(safeEndMs)} and sweeps ran at ${missed.map((s) => this.at(s.atMs)).join(', ')}`);
            break;
          }
          case 'REJECTED':
            if (!h.facts.approvals.some((a) => a.arn === facts.arn && a.generation === G && a.verdict === 'REJECTED')) v('new', `${describe} is REJECTED, but nobody clicked Skip or ran reject for it`);
            break;
          case 'RESTARTED':
            break; // restartInvariants
          case 'GAVE_UP': {
            const redrivesMade = pipelineRedrives.length;
            if (item!.reason !== 'MAX_ATTEMPTS_REACHED') v('new', `${describe} GAVE_UP with reason ${String(item!.reason)}`);
            const lineCapped = policyActionFor(last.error) === 'restart' && restartsBefore(facts.name) >= config.maxAttempts;
            if (redrivesMade < config.maxAttempts && !lineCapped) {
              const burned = Number(item!.attemptsUsed ?? 0) - redrivesMade;
              v(burned > 0 && h.facts.consoleRedrives.some((c) => c.arn === facts.arn) ? 'bug3' : 'new', `${describe} GAVE_UP after ${redrivesMade} redrive(s) (maxAttempts ${config.maxAttempts}, attemptsUsed ${String(item!.attemptsUsed)})`);
            }
            break;
          }
          case 'SKIPPED': {
            const reason = String(item!.reason);
            const decidedAtMs = finalAttempt?.decidedAtMs ?? Number(item!.updatedAtMs);
            if (reason === 'NON_RETRYABLE_ERROR') {
              // The decision's note starts with the error it judged: `(no error)` when it was judged blind.
              const blind = finalAttempt?.note?.startsWith('(no error)') === true && last.error !== undefined;
              if (this.retryable(last.error)) v(blind ? 'bug2' : 'new', `${describe} SKIPPED as NON_RETRYABLE_ERROR, but ${last.error} is retryable under the policy (decision: ${finalAttempt?.note ?? '?'})`);
            } else if (reason === 'REDRIVE_WINDOW_EXPIRED') {
              if (decidedAtMs < last.stopMs + WINDOW_MS - marginMs) v('new', `${describe} SKIPPED as REDRIVE_WINDOW_EXPIRED at ${this.at(decidedAtMs)}, with ${formatMs(last.stopMs + WINDOW_MS - decidedAtMs)} of the window left`);
            } else if (reason === 'BEFORE_WATCHING') {
              if (last.stopMs >= watchingSinceMs) v('bug5', `${describe} SKIPPED as BEFORE_WATCHING, but it stopped after watching began at ${this.at(watchingSinceMs)}`);
            } else if (reason === 'RESTART_TARGET_MISSING') {
              // The target is the config's, or an operator's `restart --target`; an operator's run that finds a
              // worker's claim finishes it on the claim's (the config's) target, which the attempt's note names.
              const restartAttempt = [...mine].reverse().find((a) => a.reason === 'RESTART_TARGET_MISSING');
              const targets = restartAttempt && byOperatorRun(restartAttempt) ? h.facts.operatorRuns.map((r) => r.restartTarget) : [model.restartTarget];
              const noteNamesVersion9 = /:stateMachine:[^:\s]+:9: /.test(restartAttempt?.note ?? '');
              if (!targets.includes('version:9') && !noteNamesVersion9) v('new', `${describe} SKIPPED as RESTART_TARGET_MISSING, but its target (${targets.join(', ')}) exists`);
            } else if (reason === 'NOT_REDRIVABLE_PER_AWS') {
              if (decidedAtMs < last.stopMs + WINDOW_MS - marginMs) v('new', `${describe} SKIPPED as NOT_REDRIVABLE_PER_AWS at ${this.at(decidedAtMs)}, within its window`);
            } else {
              v('new', `${describe} SKIPPED with reason ${reason}`);
            }
            break;
          }
        }
      } else if (item?.restartedAs !== undefined && phase === 'RESTARTED') {
        // A restarted original is never handled again: its later failures (a console redrive) are skipped as RESTARTED, unledgered.
        lastPlace = 'RESTARTED (a later failure)';
      } else if (!watched(last.status)) {
        lastPlace = 'NOT_WATCHED';
      } else if (parked) {
        lastPlace = 'PARKED';
      } else if (last.stopMs < watchingSinceMs) {
        lastPlace = 'NOT_WATCHED';
      } else {
        // Lost: right only if the pipeline could not have known.
        const delivered = h.facts.events.get(eventKey(facts.arn, G))?.delivered ?? [];
        // What a sweep lists: stopped within the lookback; never-redriven executions only back to
        // lookback + longestRunHours of start dates (sweep.longestRunHours: how long workflows run).
        const listing = h.facts.sweeps.filter((s) => !s.error && s.failedAt.get(facts.arn) === G && last.stopMs >= s.atMs - lookbackMs && (G > 0 || record.startDateMs >= s.atMs - lookbackMs - longestRunMs));
        if (delivered.length === 0 && listing.length === 0) {
          lastPlace = 'LOST';
        } else {
          const knownBy = [
            delivered.length > 0 && `its event reached the queue at ${delivered.map((t) => this.at(t)).join(', ')}`,
            listing.length > 0 && `sweeps at ${listing.map((s) => this.at(s.atMs)).join(', ')} could list it`,
          ].filter(Boolean);
          // (A restart's link item has no generation either, by design: not bug 1.)
          const noGeneration = item !== undefined && itemGeneration === undefined && item.restartOf === undefined;
          const unlistedHorizon = delivered.length === 0 && listing.every((s) => s.missed.includes(facts.arn) === false && s.beforeWatching.includes(facts.arn) === false);
          v(noGeneration ? 'bug1' : this.expired(facts.arn) ? 'queue-retention' : unlistedHorizon ? 'sweep-start-horizon' : 'new', `${describe} has no decision in the ledger (item: ${item ? `generation ${itemGeneration} ${phase}` : 'none'}), but ${knownBy.join(' and ')}`);
        }
      }
    }

    const cover = this.coverage;
    for (const redrive of redrives) {
      const actor = redrive.by === 'pipeline' ? (attempts.find((a) => a.generation === redrive.generation && REDRIVE_OUTCOMES.has(a.outcome))?.actor.split(' ')[0] ?? 'unrecorded') : redrive.by;
      cover.add(`redrives:${actor}`);
    }
    const lastReason = itemGeneration === G && (phase === 'SKIPPED' || phase === 'GAVE_UP') ? `:${String(item!.reason)}` : '';
    if (lastPlace) cover.add(`last failure:${lastPlace}${lastReason}`);
    else if (record.status === 'SUCCEEDED') cover.add(`last failure:none, ${record.redriveCount > 0 ? 'SUCCEEDED after redrive' : 'SUCCEEDED'}`);
    for (const alert of alerts) cover.add(`alerts:${alert.kind}`);
    if (facts.restartOf) cover.add(`paths:a restart (line ${restartsBefore(facts.name)})`);
    for (const a of attempts.filter((x) => byApprover(x))) cover.add(`approvals:${a.decision}/${a.outcome}`);
    if (facts.beforeDeploy) cover.add('paths:failed before the deploy');
    if (h.facts.sweeps.some((sweep) => sweep.missed.includes(facts.arn))) cover.add('paths:handed over by a sweep');
    if (failures.some((f) => (h.facts.events.get(eventKey(facts.arn, f.generation))?.delivered.length ?? 0) > 1)) cover.add('paths:event delivered twice or more');

    // Alerts: one per GAVE_UP and per NOT_REDRIVABLE decision, none without one.
    const count = (kind: Alert['kind']) => alerts.filter((a) => a.kind === kind).length;
    const crashedBeforeAlert = h.facts.crashesFired.beforeAlert > 0;
    const expectAlerts = (kind: Alert['kind'], decided: number) => {
      const sent = count(kind);
      if (sent === decided) return;
      // An owed alert is sent by the next delivery; when every delivery died, the message is parked.
      // A redelivery that would have sent it can also expire in the queue during a long outage (queue-retention).
      const tag = !crashedBeforeAlert ? 'new' : sent > decided ? 'owed-alert-duplicate' : parked ? 'owed-alert-parked' : this.expired(facts.arn) ? 'queue-retention' : 'alert-lost-on-crash';
      v(tag, `${decided} ${kind} decision(s) in the ledger but ${sent} ${kind} alert(s)${parked ? ' (its message is parked in the DLQ)' : ''}`);
    };
    expectAlerts('GAVE_UP', attempts.filter((a) => a.outcome === 'GAVE_UP').length);
    expectAlerts('NOT_REDRIVABLE', attempts.filter((a) => a.decision === 'SKIP' && NOT_REDRIVABLE.has(a.reason)).length);
    // APPROVAL_NEEDED asks a question: one whose worker died before asking and that someone decided before the
    // redelivery asked is owed no more (the decision's write drops it, ledger.ts).
    const asked = attempts.filter((a) => a.outcome === 'APPROVAL_PENDING');
    const answeredUnasked = asked.filter((a) => attempts.some((b) => b.generation === a.generation && b.decidedAtMs >= a.decidedAtMs && b !== a && b.outcome !== 'PENDING')).length;
    if (!(crashedBeforeAlert && count('APPROVAL_NEEDED') < asked.length && count('APPROVAL_NEEDED') >= asked.length - answeredUnasked)) expectAlerts('APPROVAL_NEEDED', asked.length);
    expectAlerts('RESTARTED', attempts.filter((a) => RESTART_OUTCOMES.has(a.outcome)).length);
    // A restart that could not start (its name held, no such target); a claim released because the execution moved on is no failure.
    expectAlerts('RESTART_FAILED', attempts.filter((a) => a.decision === 'RESTART' && a.outcome === 'SKIPPED' && RESTART_FAILURES.has(a.reason)).length);
    // APPROVAL_DECIDED is announced after the decision is carried out and owed by nothing: at most one per decision, and one each without crashes.
    const noCrashes = Object.values(h.facts.crashesFired).every((n) => n === 0);
    const decisions = attempts.filter((a) => byApprover(a) && a.outcome !== 'PENDING').length;
    const rerunEnds = alerts.filter((a) => a.kind === 'APPROVAL_DECIDED' && a.reason === 'RERUN_ENDED');
    const announced = count('APPROVAL_DECIDED') - rerunEnds.length;
    if (announced > decisions || (announced < decisions && noCrashes)) v('new', `${decisions} approval decision(s) in the ledger but ${announced} APPROVAL_DECIDED announcement(s)`);
    // A Slack-approved redrive's rerun is followed until it ends (or 24 h): its end is told once, and only for such a generation.
    // At most once with crashes (a worker that dies before recording the watch, or after claiming the telling, tells nothing),
    // and for a generation whose next failure was approved in Slack too (that approval's watch replaces the older one).
    const followed = [...new Set(attempts.filter((a) => REDRIVE_OUTCOMES.has(a.outcome) && a.actor.startsWith('slack ')).map((a) => a.generation))];
    for (const generation of new Set([...followed, ...rerunEnds.map((a) => a.generation!)])) {
      const told = rerunEnds.filter((a) => a.generation === generation).length;
      const replaced = followed.some((later) => later > generation);
      if (!followed.includes(generation) || told > 1 || (told === 0 && noCrashes && !replaced)) v('new', `generation ${generation}: ${followed.includes(generation) ? 'redriven on a Slack approval' : 'not redriven on a Slack approval'}, yet its rerun's end was told ${told} time(s)`);
    }
    if (config.alerts.notifyOnNonRetryableSkip) expectAlerts('SKIPPED_NON_RETRYABLE', attempts.filter((a) => a.decision === 'SKIP' && a.reason === 'NON_RETRYABLE_ERROR').length);
    else if (count('SKIPPED_NON_RETRYABLE') > 0) v('new', 'SKIPPED_NON_RETRYABLE alert sent with notifyOnNonRetryableSkip off');
    if (lastPlace === 'PARKED' && count('PIPELINE_ERROR') === 0) v('new', 'parked in the DLQ without a PIPELINE_ERROR alert');

    // WINDOW_CLOSING: one per failure generation at most, and one for every unredriven failure a sweep saw
    // in the last windowClosingHours of its window.
    const closing = alerts.filter((a) => a.kind === 'WINDOW_CLOSING');
    for (const alert of closing) {
      if (!failures.some((f) => f.stopMs + WINDOW_MS === alert.atMs + (alert.windowLeftMs ?? NaN))) v('new', `WINDOW_CLOSING alert at ${this.at(alert.atMs)} matches no failure generation`);
    }
    for (const failure of failures) {
      const windowEndMs = failure.stopMs + WINDOW_MS;
      const sent = closing.filter((a) => a.atMs + (a.windowLeftMs ?? NaN) === windowEndMs).length;
      if (sent > 1) v('new', `${sent} WINDOW_CLOSING alerts for generation ${failure.generation}`);
      // Expected when a sweep ran in the last windowClosingHours of the window while the ledger held this
      // generation unredriven (WINDOW_CLOSING comes from the ledger's index of unredriven windows), or
      // recorded it itself (BEFORE_WATCHING) before looking.
      if (!watched(failure.status)) continue;
      const sweeps = h.facts.sweeps.filter((s) => {
        if (s.error || windowEndMs - s.atMs <= 0 || windowEndMs - s.atMs >= closingMs || s.failedAt.get(facts.arn) !== failure.generation) return false;
        const before = s.ledgerBefore.get(facts.arn);
        // Decided for good without a redrive (a person rejected it, or it was fixed forward): nothing to warn about.
        const heldUnredriven = before?.generation === failure.generation && before.phase !== undefined && !['REDRIVING', 'REDRIVEN', 'REJECTED', 'RESTARTING', 'RESTARTED'].includes(before.phase);
        return heldUnredriven || s.beforeWatching.includes(facts.arn);
      });
      // A pending approval the sweep expired got NOT_REDRIVABLE instead, which says all WINDOW_CLOSING would (engine/sweep.ts).
      const expiredBySweep = attempts.some((a) => a.generation === failure.generation && a.reason === 'REDRIVE_WINDOW_EXPIRED' && a.actor === 'sweep');
      if (sweeps.length > 0 && sent === 0 && !expiredBySweep) {
        v('bug4', `no WINDOW_CLOSING alert for generation ${failure.generation} (${lastPlace ?? phase}), though the ledger held it unredriven when sweeps ran at ${sweeps.map((s) => `${this.at(s.atMs)} (${formatMs(windowEndMs - s.atMs)} left)`).join(', ')}; started ${this.at(record.startDateMs)}, stopped ${this.at(failure.stopMs)}`);
      }
    }
    return violations;
  }

  /**
   * Fix-forward: at most one restart per original (its name is deterministic), it exists iff the ledger
   * says RESTARTED and links it, it runs on the original's input, a worker restarts only `restart`
   * errors, and a line of restarts stops at maxAttempts.
   */
  private restartInvariants(facts: ExecutionFacts, item: Record<string, unknown> | undefined, attempts: LedgerAttempt[], originalItem: Record<string, unknown> | undefined): Violation[] {
    const { h } = this;
    const violations: Violation[] = [];
    const v = (tag: BugTag, text: string) => violations.push({ tag, text: `${facts.name}: ${text}` });
    const restarts = [...h.facts.executions.values()].filter((e) => e.restartOf === facts.arn);
    const recorded = attempts.filter((a) => RESTART_OUTCOMES.has(a.outcome));
    if (recorded.length > 1) v('new', `the ledger records ${recorded.length} restarts (${recorded.map((a) => `g${a.generation} by ${a.actor}`).join('; ')})`);
    if (restarts.length > 1) v('new', `restarted ${restarts.length} times: ${restarts.map((r) => r.name).join(', ')}`);
    const restart = restarts[0];
    const phase = item?.phase as string | undefined;
    if (restart) {
      if (restart.name !== restartExecutionName(facts.name)) v('new', `its restart is named ${restart.name}, not ${restartExecutionName(facts.name)}`);
      const original = h.stack.sfn.execution(facts.arn)!;
      const started = h.stack.sfn.execution(restart.arn)!;
      if (started.input !== original.input) v('new', `its restart ${restart.name} runs on input ${started.input}, not the original's ${original.input}`);
      const settled = phase === 'RESTARTED' && item!.restartedAs === restart.arn;
      // Its claim RESTARTING with a message that will finish it, or parked in the DLQ (a PIPELINE_ERROR alert says so), like a REDRIVING claim.
      const mentioned = (body: string) => body.includes(JSON.stringify(facts.arn));
      const inFlight =
        phase === 'RESTARTING' &&
        (h.stack.intakeQueue.peek().some((m) => mentioned(m.body)) || h.stack.intakeDlq.peek().some((m) => mentioned(m.body)) || h.stack.alerts.some((a) => a.kind === 'PIPELINE_ERROR' && a.executionArn === facts.arn));
      if (!settled && !inFlight) v(this.expired(facts.arn) ? 'queue-retention' : 'new', `a restart ${restart.name} exists, but the ledger holds ${phase ?? 'nothing'} (restartedAs ${String(item?.restartedAs)})`);
    } else if (phase === 'RESTARTED') {
      v('new', `the ledger says RESTARTED as ${String(item!.restartedAs)}, which does not exist`);
    }
    const { failures } = readHistory(h.stack.sfn.execution(facts.arn)!, h.facts.consoleRedrives);
    for (const a of recorded) {
      const error = failures.find((f) => f.generation === a.generation)?.error;
      if (a.actor === 'worker' && policyActionFor(error) !== 'restart') v('new', `the worker restarted generation ${a.generation}, whose error ${error ?? '(none)'} routes to no restart rule`);
    }
    // A restart names its original in the ledger (the link is written before StartExecution), and the original names it.
    if (facts.restartOf && item?.restartOf !== facts.restartOf) v('new', `a restart of ${this.name(facts.restartOf)}, but its ledger item links ${String(item?.restartOf ?? 'nothing')}`);
    if (facts.restartOf && originalItem?.restartedAs !== undefined && originalItem.restartedAs !== facts.arn) v('new', `${this.name(facts.restartOf)} says it was restarted as ${String(originalItem.restartedAs)}`);
    if (restartsBefore(facts.name) > h.config.maxAttempts && facts.restartOf && !h.facts.operatorRuns.some((r) => r.command === 'restart')) {
      v('new', `a line of ${restartsBefore(facts.name)} restarts, maxAttempts is ${h.config.maxAttempts}`);
    }
    return violations;
  }

  /** One line per execution: what AWS, the ledger and the alerts say, for a failure report. */
  async story(): Promise<string> {
    const { h } = this;
    const items = await h.ledgerItems();
    const lines = [`deployed at ${this.at(h.facts.deployedAtMs)}; sweeps at ${h.facts.sweeps.map((s) => this.at(s.atMs) + (s.error ? ' (threw)' : '')).join(', ') || 'none'}; now ${this.at(h.clock.nowMs())}`];
    for (const facts of h.facts.executions.values()) {
      const record = h.stack.sfn.execution(facts.arn)!;
      const { failures, redrives } = readHistory(record, h.facts.consoleRedrives);
      const item = items.get(facts.arn);
      const attempts = ((item?.attempts as LedgerAttempt[] | undefined) ?? []).map((a) => `g${a.generation} ${a.decision}/${a.outcome} ${a.reason} by ${a.actor.split(':')[0]} at ${this.at(a.decidedAtMs)}`);
      const events = failures.map((f) => {
        const e = h.facts.events.get(eventKey(facts.arn, f.generation));
        return `g${f.generation} ${f.status}${f.error ? ` ${f.error}` : ''} at ${this.at(f.stopMs)} (event ${e ? `delivered ${e.delivered.map((t) => this.at(t)).join('/') || 'never'}` : 'none'})`;
      });
      lines.push(
        `  ${facts.name}: ${record.status} redriveCount ${record.redriveCount}, started ${this.at(record.startDateMs)}; ${events.join('; ')}; redrives ${redrives.map((r) => `g${r.generation} at ${this.at(r.atMs)} by ${r.by}${r.tokenGeneration !== undefined ? ` token g${r.tokenGeneration}` : ''}`).join(', ') || 'none'}; ledger ${item ? `g${String(item.generation)} ${String(item.phase)} ${String(item.reason)} used ${String(item.attemptsUsed)} [${attempts.join('; ')}]` : 'none'}; alerts ${h.stack.alerts.filter((a) => a.executionArn === facts.arn).map((a) => `${a.kind}@${this.at(a.atMs)}`).join(', ') || 'none'}`,
      );
    }
    return lines.join('\n');
  }
}

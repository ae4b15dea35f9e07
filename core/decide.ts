/**
 * The decision core: pure. Inputs are the evidence (event fields plus whatever the APIs returned), the
 * ledger record, the config and the time; output is one decision with a reason code. No AWS SDK here.
 *
 * Rules run in a fixed order and the first that fails decides. `explainRules` runs them all, for the CLI.
 */
import { parseExecutionArn } from './arn';
import { clientTokenFor } from './client-token';
import type { AutoRedriveConfig } from './config';
import { errorEvidenceRead, type ExecutionEvidence } from './evidence';
import type { LedgerRecord } from './ledger-record';
import { restartsBefore } from './restart';
import { backoffDelayMs, evaluateErrorPolicy, policyReadsErrorText, type ErrorPolicyVerdict } from './policy';
import { REASONS, type ReasonCode } from './reasons';

export const REDRIVE_LAUNCH_MS = Date.UTC(2023, 10, 15);
export const REDRIVE_WINDOW_MS = 14 * 24 * 3600 * 1000;
export const MAX_OPEN_TIME_MS = 365 * 24 * 3600 * 1000;
/** Redrive needs fewer than this many history events (room for ExecutionRedriven and one more). */
export const HISTORY_EVENT_LIMIT = 24_999;

/**
 * What made us look: a status-change event (or the sweep), a backoff recheck, an operator, or a
 * person's approval of a redrive the error policy left to them (Slack's Redrive button or the CLI).
 */
export type Trigger = 'event' | 'recheck' | 'operator' | 'approval';

export interface HomeEnvironment {
  partition: string;
  region: string;
  account: string;
}

export interface DecisionContext {
  evidence: ExecutionEvidence;
  ledger?: LedgerRecord;
  config: AutoRedriveConfig;
  nowMs: number;
  trigger: Trigger;
  /** The deployment's own partition, region and account; events from elsewhere are out of scope. */
  home?: HomeEnvironment;
  /** [0, 1) source for backoff jitter. */
  random?: () => number;
  /** Our own policy rules an operator lifted for one run (`--override-…` with `--reason`). AWS's rules cannot be lifted. */
  overrides?: PolicyOverrides;
}

export interface PolicyOverrides {
  /** Lift errorPolicy (neverRetry and onlyRetry). */
  errorPolicy?: boolean;
  /** Lift the maxAttempts cap. */
  maxAttempts?: boolean;
}

/** A policy rule that failed and was passed only because an operator lifted it: recorded in the attempt log. */
export interface AppliedOverride {
  rule: 'errorPolicy' | 'maxAttempts';
  /** What the rule would have said. */
  detail: string;
}

/**
 * AWAIT_APPROVAL: every rule passes and the error policy leaves the redrive to a person. RESTART: the
 * error policy restarts it on a new revision (core/restart.ts), as the operator's `restart` does.
 */
export type DecisionAction = 'REDRIVE' | 'WAIT' | 'SKIP' | 'GIVE_UP' | 'AWAIT_APPROVAL' | 'RESTART';

export interface Decision {
  action: DecisionAction;
  reason: ReasonCode;
  detail: string;
  /** The failure generation (the execution's redriveCount when it failed). */
  generation: number;
  /** Which of our attempts a REDRIVE/WAIT is (1-based). */
  attemptNumber: number;
  /** WAIT: when to look again. */
  dueAtMs?: number;
  /** REDRIVE: the deterministic idempotency token for this generation. */
  clientToken?: string;
  /** Continues a claim a crashed or concurrent worker left (REDRIVING, or WAITING without its recheck). */
  resume?: boolean;
  /** When the 14-day window closes, if the stop date is known. */
  windowClosesAtMs?: number;
  /** Policy rules that failed but were lifted by the operator for this decision. */
  overrides?: AppliedOverride[];
  /** The error policy's verdict, once the errorPolicy rule ran: which action, and which rule chose it. */
  policy?: ErrorPolicyVerdict;
}

export type RuleId =
  | 'scope'
  | 'status'
  | 'standardType'
  | 'notMapRunChild'
  | 'notAlreadyHandled'
  | 'startedAfterLaunch'
  | 'maxOpenTime'
  | 'redriveWindow'
  | 'historyLimit'
  | 'awsRedriveStatus'
  | 'errorPolicy'
  | 'maxAttempts';

/**
 * A rule needs evidence the caller has not read (the error and cause of a listed execution): the core
 * refuses to decide on its absence. The engine fetches it (one DescribeExecution) and asks again.
 */
export class EvidenceMissingError extends Error {
  constructor(readonly rule: RuleId, detail: string) {
    super(`cannot apply rule ${rule}: ${detail}`);
    this.name = 'EvidenceMissingError';
  }
}

export interface RuleResult {
  rule: RuleId;
  passed: boolean;
  detail: string;
  /** Set when the rule could not be judged because its evidence was not read; no decision is taken. */
  missingEvidence?: boolean;
  /** For a failed rule: the decision it forces. For a passed rule that resumes a claim: that decision. */
  decision?: Decision;
  /** Passed only because the operator lifted it. */
  overridden?: AppliedOverride;
}

interface Derived {
  ctx: DecisionContext;
  generation: number;
  attemptNumber: number;
  windowClosesAtMs?: number;
  /** Set by the errorPolicy rule: what the policy chose, which timing() obeys. */
  policy?: ErrorPolicyVerdict;
}

function derive(ctx: DecisionContext): Derived {
  const generation = ctx.evidence.redriveCount ?? 0;
  const used = ctx.ledger?.attemptsUsed ?? 0;
  const stopDateMs = ctx.evidence.stopDateMs;
  return {
    ctx,
    generation,
    attemptNumber: used + 1,
    windowClosesAtMs: stopDateMs === undefined ? undefined : stopDateMs + REDRIVE_WINDOW_MS,
  };
}

function make(d: Derived, action: DecisionAction, reason: ReasonCode, detail: string, extra: Partial<Decision> = {}): Decision {
  return {
    action,
    reason,
    detail,
    generation: d.generation,
    attemptNumber: d.attemptNumber,
    windowClosesAtMs: d.windowClosesAtMs,
    ...(d.policy && { policy: d.policy }),
    ...extra,
  };
}

const pass = (rule: RuleId, detail: string, decision?: Decision): RuleResult => ({ rule, passed: true, detail, decision });
const skip = (d: Derived, rule: RuleId, reason: ReasonCode, detail: string): RuleResult => ({
  rule,
  passed: false,
  detail,
  decision: make(d, 'SKIP', reason, detail),
});

function scopeRule(d: Derived): RuleResult {
  const { evidence, config, home, trigger } = d.ctx;
  const arn = parseExecutionArn(evidence.executionArn);
  if (home && (arn.partition !== home.partition || arn.region !== home.region || arn.account !== home.account)) {
    return skip(d, 'scope', 'OUT_OF_SCOPE', `execution is in ${arn.partition}/${arn.region}/${arn.account}, this deployment watches ${home.partition}/${home.region}/${home.account}`);
  }
  if (trigger === 'operator') return pass('scope', 'selected by the operator');
  const { watch } = config;
  if (watch.all) return pass('scope', 'all state machines are watched');
  const smArn = arn.stateMachineArn;
  if (watch.stateMachineArns.includes(smArn)) return pass('scope', 'state machine ARN is watched');
  const prefix = watch.stateMachineNamePrefixes.find((p) => arn.stateMachineName.startsWith(p));
  if (prefix) return pass('scope', `state machine name starts with ${prefix}`);
  return skip(d, 'scope', 'OUT_OF_SCOPE', `state machine ${arn.stateMachineName} is not watched`);
}

function statusRule(d: Derived): RuleResult {
  const { status } = d.ctx.evidence;
  if (status === 'RUNNING' || status === 'SUCCEEDED' || status === 'PENDING_REDRIVE') {
    return skip(d, 'status', 'NOT_FAILED', `status is ${status}`);
  }
  const watched: readonly string[] = d.ctx.config.statuses;
  if (d.ctx.trigger !== 'operator' && !watched.includes(status)) {
    return skip(d, 'status', 'STATUS_NOT_WATCHED', `status ${status} is not in statuses [${watched.join(', ')}]`);
  }
  return pass('status', `status is ${status}`);
}

function standardTypeRule(d: Derived): RuleResult {
  const arn = parseExecutionArn(d.ctx.evidence.executionArn);
  if (arn.resourceType === 'express') return skip(d, 'standardType', 'EXPRESS_STATE_MACHINE', 'execution ARN is an Express execution');
  return pass('standardType', 'Standard execution');
}

function mapRunChildRule(d: Derived): RuleResult {
  const { evidence } = d.ctx;
  const arn = parseExecutionArn(evidence.executionArn);
  if (arn.mapRunLabel || evidence.mapRunArn || evidence.redriveStatus === 'REDRIVABLE_BY_MAP_RUN') {
    const parent = evidence.mapRunArn ?? `map run ${arn.mapRunLabel ?? '?'} of ${arn.stateMachineName}`;
    return skip(d, 'notMapRunChild', 'MAP_RUN_CHILD', `child of ${parent}; redrive the parent execution`);
  }
  return pass('notMapRunChild', 'not dispatched by a Map Run');
}

function alreadyHandledRule(d: Derived): RuleResult {
  const { ledger, trigger } = d.ctx;
  // A restart (or its claim) replaces any redrive, whatever generation fails later.
  if (ledger?.restartedAs) {
    return skip(d, 'notAlreadyHandled', 'RESTARTED', `${ledger.phase === 'RESTARTED' ? 'restarted' : 'being restarted'} as ${ledger.restartedAs} (${ledger.restartTarget}); it carries the work on`);
  }
  if (trigger === 'approval') return approvalPendingRule(d);
  if (!ledger || ledger.generation < d.generation) return pass('notAlreadyHandled', `failure generation ${d.generation} not handled yet`);
  if (ledger.generation > d.generation) {
    return skip(d, 'notAlreadyHandled', 'ALREADY_HANDLED', `stale: ledger is at generation ${ledger.generation}, event is generation ${d.generation}`);
  }
  switch (ledger.phase) {
    case 'REDRIVING':
      return redrivingClaimRule(d, ledger);
    case 'RESTARTING':
      // No message but the failure's own comes back for a restart whose worker died: it must finish it.
      return claimRule(d, ledger, 'restarted', make(d, 'RESTART', 'RESTART', `resuming a claimed restart on ${ledger.restartTarget}`, { resume: true }));
    case 'WAITING':
      if (trigger === 'event' && !ledger.recheckEnqueued) {
        return pass(
          'notAlreadyHandled',
          'claimed but its recheck was never sent; re-sending',
          make(d, 'WAIT', 'BACKOFF', 'resuming a claimed backoff', { resume: true, dueAtMs: ledger.dueAtMs }),
        );
      }
      if (trigger === 'event') return skip(d, 'notAlreadyHandled', 'ALREADY_HANDLED', `generation ${d.generation} is already waiting for its backoff`);
      return pass('notAlreadyHandled', `generation ${d.generation} is waiting for this recheck`);
    default:
      if (trigger === 'operator' && ledger.phase !== 'REDRIVEN') {
        return pass('notAlreadyHandled', `generation ${d.generation} was ${ledger.phase} (${ledger.reason}); the operator overrides`);
      }
      return skip(d, 'notAlreadyHandled', 'ALREADY_HANDLED', `generation ${d.generation} is already ${ledger.phase} (${ledger.reason})`);
  }
}

/**
 * A REDRIVING or RESTARTING claim younger than the worker timeout belongs to a worker that may still be
 * calling: leave it. A crashed worker's own message comes back only after the visibility timeout (6x),
 * and resumes it with `resume` (same client token, or same restart name: idempotent either way).
 */
function redrivingClaimRule(d: Derived, ledger: LedgerRecord): RuleResult {
  return claimRule(d, ledger, 'redriven', make(d, 'REDRIVE', 'ELIGIBLE', 'resuming a claimed redrive', { attemptNumber: ledger.attemptsUsed, resume: true, clientToken: ledger.clientToken }));
}

function claimRule(d: Derived, ledger: LedgerRecord, done: string, resume: Decision): RuleResult {
  const claimAgeMs = d.ctx.nowMs - ledger.updatedAtMs;
  if (claimAgeMs < d.ctx.config.worker.timeoutSeconds * 1000) {
    return skip(d, 'notAlreadyHandled', 'ALREADY_HANDLED', `generation ${d.generation} is being ${done} by another worker (claimed ${formatDuration(claimAgeMs)} ago)`);
  }
  return pass('notAlreadyHandled', `generation ${d.generation} was claimed to be ${done}; finishing it`, resume);
}

/**
 * An approval acts only on the very generation that waits for it: not on a later failure, nor twice.
 * A redelivered approval whose worker crashed after its claim finishes that claim, like any delivery.
 */
function approvalPendingRule(d: Derived): RuleResult {
  const { ledger } = d.ctx;
  if (ledger?.generation === d.generation && ledger.phase === 'APPROVAL_PENDING') {
    return pass('notAlreadyHandled', `generation ${d.generation} is waiting for this approval`);
  }
  if (ledger?.generation === d.generation && ledger.phase === 'REDRIVING') return redrivingClaimRule(d, ledger);
  const where = ledger ? `the ledger is at generation ${ledger.generation}, ${ledger.phase} (${ledger.reason})` : 'the ledger has no entry';
  return skip(d, 'notAlreadyHandled', 'APPROVAL_NOT_PENDING', `no approval is pending for generation ${d.generation}: ${where}`);
}

function startedAfterLaunchRule(d: Derived): RuleResult {
  const { startDateMs } = d.ctx.evidence;
  if (startDateMs < REDRIVE_LAUNCH_MS) {
    return skip(d, 'startedAfterLaunch', 'STARTED_BEFORE_REDRIVE_LAUNCH', `started ${new Date(startDateMs).toISOString()}`);
  }
  return pass('startedAfterLaunch', 'started on or after 2023-11-15');
}

function maxOpenTimeRule(d: Derived): RuleResult {
  const openMs = d.ctx.nowMs - d.ctx.evidence.startDateMs;
  if (openMs > MAX_OPEN_TIME_MS) {
    return skip(d, 'maxOpenTime', 'MAX_OPEN_TIME_EXCEEDED', `started ${Math.floor(openMs / 86_400_000)} days ago`);
  }
  return pass('maxOpenTime', `${Math.floor((MAX_OPEN_TIME_MS - openMs) / 86_400_000)} days left of the one-year open time`);
}

function redriveWindowRule(d: Derived): RuleResult {
  if (d.windowClosesAtMs === undefined) return pass('redriveWindow', 'stop date unknown; Step Functions will judge');
  const marginMs = d.ctx.config.windowSafetyMarginSeconds * 1000;
  const leftMs = d.windowClosesAtMs - d.ctx.nowMs;
  if (leftMs < marginMs) {
    return skip(d, 'redriveWindow', 'REDRIVE_WINDOW_EXPIRED', leftMs < 0
      ? `window closed ${formatDuration(-leftMs)} ago`
      : `only ${formatDuration(leftMs)} left, under the ${formatDuration(marginMs)} safety margin`);
  }
  return pass('redriveWindow', `${formatDuration(leftMs)} left in the 14-day window`);
}

function historyLimitRule(d: Derived): RuleResult {
  const { historyEventCount, redriveStatus } = d.ctx.evidence;
  const limit = HISTORY_EVENT_LIMIT - d.ctx.config.historyHeadroomEvents;
  if (historyEventCount === undefined) {
    return pass('historyLimit', redriveStatus === 'REDRIVABLE' ? 'not counted; REDRIVABLE implies under 24,999 events' : 'not counted');
  }
  if (historyEventCount >= limit) {
    return skip(d, 'historyLimit', 'HISTORY_LIMIT', `${historyEventCount} events, limit ${limit} (24,999 less ${d.ctx.config.historyHeadroomEvents} headroom)`);
  }
  return pass('historyLimit', `${historyEventCount} of ${limit} events used`);
}

function awsRedriveStatusRule(d: Derived): RuleResult {
  const { redriveStatus, redriveStatusReason } = d.ctx.evidence;
  if (redriveStatus === 'NOT_REDRIVABLE') {
    return skip(d, 'awsRedriveStatus', 'NOT_REDRIVABLE_PER_AWS', redriveStatusReason ?? 'NOT_REDRIVABLE (no reason given)');
  }
  return pass('awsRedriveStatus', redriveStatus ? `redriveStatus ${redriveStatus}` : 'redriveStatus unknown; Step Functions will judge');
}

/** A failed policy rule the operator lifted passes, and says what it would have said. */
function lifted(rule: AppliedOverride['rule'], detail: string): RuleResult {
  return { rule, passed: true, detail: `lifted by the operator: ${detail}`, overridden: { rule, detail } };
}

function errorPolicyRule(d: Derived): RuleResult {
  const { evidence, overrides } = d.ctx;
  if (policyReadsErrorText(d.ctx.config.errorPolicy) && !errorEvidenceRead(evidence)) {
    // Lifted, the policy needs no error text; the attempt log still says the policy was not applied.
    if (overrides?.errorPolicy) return lifted('errorPolicy', 'error and cause not read; the policy was not applied');
    return { rule: 'errorPolicy', passed: false, missingEvidence: true, detail: 'error and cause not read yet (the listing carries neither)' };
  }
  const verdict = evaluateErrorPolicy(d.ctx.config.errorPolicy, evidence.stateMachineArn, evidence.error, evidence.cause);
  const detail = `${evidence.error ?? '(no error)'}: ${verdict.detail}`;
  // A lifted policy redrives like `auto`; what it would have said goes to the attempt log.
  if (verdict.action === 'never' || verdict.action === 'restart') {
    if (overrides?.errorPolicy) return lifted('errorPolicy', detail);
    d.policy = verdict;
    if (verdict.action === 'never') return skip(d, 'errorPolicy', 'NON_RETRYABLE_ERROR', detail);
    // A restart that fails the same way is restarted again, at most maxAttempts times along its line.
    const restarts = restartsBefore(evidence.executionName);
    if (restarts >= d.ctx.config.maxAttempts) {
      const gaveUp = `${detail}; restarted ${restarts} times already (maxAttempts ${d.ctx.config.maxAttempts})`;
      return { rule: 'errorPolicy', passed: false, detail: gaveUp, decision: make(d, 'GIVE_UP', 'MAX_ATTEMPTS_REACHED', gaveUp) };
    }
    return { rule: 'errorPolicy', passed: false, detail, decision: make(d, 'RESTART', 'RESTART', detail) };
  }
  d.policy = verdict;
  return pass('errorPolicy', detail);
}

/** The cap binds operators too; they can lift it for one run with an audited override. */
function maxAttemptsRule(d: Derived): RuleResult {
  const used = d.ctx.ledger?.attemptsUsed ?? 0;
  const max = d.ctx.config.maxAttempts;
  const detail = `${used} of ${max} attempts used`;
  if (used >= max) {
    if (d.ctx.overrides?.maxAttempts) return lifted('maxAttempts', detail);
    return { rule: 'maxAttempts', passed: false, detail, decision: make(d, 'GIVE_UP', 'MAX_ATTEMPTS_REACHED', detail) };
  }
  return pass('maxAttempts', detail);
}

const RULES: ReadonlyArray<(d: Derived) => RuleResult> = [
  scopeRule,
  statusRule,
  standardTypeRule,
  mapRunChildRule,
  alreadyHandledRule,
  startedAfterLaunchRule,
  maxOpenTimeRule,
  redriveWindowRule,
  historyLimitRule,
  awsRedriveStatusRule,
  errorPolicyRule,
  maxAttemptsRule,
];

/** Every rule's verdict, in order, for `explain`. */
export function explainRules(ctx: DecisionContext): RuleResult[] {
  const d = derive(ctx);
  return RULES.map((rule) => rule(d));
}

/** The one decision the worker takes now. */
export function decide(ctx: DecisionContext): Decision {
  const d = derive(ctx);
  let resumed: Decision | undefined;
  const overrides: AppliedOverride[] = [];
  for (const rule of RULES) {
    const result = rule(d);
    if (result.missingEvidence) throw new EvidenceMissingError(result.rule, result.detail);
    if (!result.passed) return result.decision!;
    // Finishing a call a crashed worker started is about idempotence, not policy: no later rule applies.
    if (result.decision?.action === 'REDRIVE' || result.decision?.action === 'RESTART') return result.decision;
    resumed ??= result.decision;
    if (result.overridden) overrides.push(result.overridden);
  }
  const decision = resumed ?? timing(d);
  return overrides.length > 0 ? { ...decision, overrides } : decision;
}

/**
 * All rules pass: redrive now, or wait for the backoff (never past the window's safe end), or, when the
 * policy says `approve`, ask a person. An operator and an approver are that person: they redrive at once.
 */
function timing(d: Derived): Decision {
  const { ctx } = d;
  const clientToken = clientTokenFor(ctx.evidence.executionArn, d.generation);
  const redriveNow = (detail: string) => make(d, 'REDRIVE', 'ELIGIBLE', detail, { clientToken });
  if (ctx.trigger === 'operator') return redriveNow('operator redrive');
  if (ctx.trigger === 'approval') return redriveNow('approved redrive');
  if (d.policy?.action === 'approve') return make(d, 'AWAIT_APPROVAL', 'APPROVAL_REQUIRED', d.policy.detail);
  const latestMs = d.windowClosesAtMs === undefined ? Infinity : d.windowClosesAtMs - ctx.config.windowSafetyMarginSeconds * 1000;
  let dueAtMs: number;
  if (ctx.trigger === 'recheck') {
    dueAtMs = ctx.ledger?.dueAtMs ?? ctx.nowMs;
  } else {
    dueAtMs = ctx.nowMs + backoffDelayMs(d.attemptNumber, ctx.config.backoff, ctx.random);
  }
  dueAtMs = Math.min(dueAtMs, latestMs);
  if (dueAtMs <= ctx.nowMs) return redriveNow(REASONS.ELIGIBLE);
  return make(d, 'WAIT', 'BACKOFF', `attempt ${d.attemptNumber} due at ${new Date(dueAtMs).toISOString()}`, { dueAtMs });
}

/** Client tokens stay idempotent for 15 minutes after first use (RedriveExecution API reference). */
export const CLIENT_TOKEN_LIFE_MS = 15 * 60 * 1000;

/**
 * A resumed redrive whose token may have expired must first check redriveCount: if it moved past the
 * generation, the earlier call went through and calling again would redrive a second time.
 */
export function tokenMayHaveExpired(ledger: LedgerRecord | undefined, nowMs: number): boolean {
  if (!ledger?.tokenFirstUsedAtMs) return false;
  return nowMs - ledger.tokenFirstUsedAtMs >= CLIENT_TOKEN_LIFE_MS - 60_000;
}

export function formatDuration(ms: number): string {
  const totalMinutes = Math.floor(Math.abs(ms) / 60_000);
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m`;
  return `${Math.floor(Math.abs(ms) / 1000)}s`;
}

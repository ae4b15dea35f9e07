/**
 * The demo's accounting: where every failure went, computed only from what the stack recorded
 * (Step Functions history and DescribeExecution, ledger items, published alerts, the intake DLQ).
 *
 * A failure is one failure generation: the run that ended FAILED/TIMED_OUT/ABORTED with redriveCount g.
 * It is accounted for when it ended in exactly one of: redriven (the ledger holds a REDRIVEN or
 * ALREADY_REDRIVEN attempt for g and Step Functions shows redriveCount > g), approved (so redriven, on
 * a person's approval), rejected by a person, waiting for approval (the ledger's current generation,
 * APPROVAL_PENDING), skipped with a reason, given up with an alert, parked in the DLQ, dry-run, or not
 * watched by the config. A redrive is a
 * duplicate when Step Functions counts more redrives than the ledger accounts for, or the ledger
 * records two redrives of one generation.
 *
 * Express executions are a category of their own, "express: not watched": Step Functions sends no status
 * events for them and cannot redrive them, so the product never watches them, and their status and
 * history cannot be read through the APIs. They are never unaccounted for.
 */
import type { Alert, AlertKind } from '../../core/alerts';
import type { AutoRedriveConfig } from '../../core/config';
import { decide } from '../../core/decide';
import type { ExecutionStatus } from '../../core/evidence';
import type { LedgerAttempt, LedgerRecord } from '../../core/ledger-record';

export type FailureStatus = 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface FailureEvent {
  generation: number;
  status: FailureStatus;
  error?: string;
  cause?: string;
  stoppedAtMs: number;
}

/** DescribeExecution's status; UNKNOWN for an Express execution, which DescribeExecution refuses. */
export type ReportedStatus = ExecutionStatus | 'UNKNOWN';

/** Everything the stack knows about one execution after the run. */
export interface ExecutionFacts {
  name: string;
  executionArn: string;
  stateMachineArn: string;
  group: string;
  /** An Express execution: no history, no status, no events, never redriven. */
  express: boolean;
  /** A Distributed Map child: only its Map Run redrives it (when the parent is redriven), never the product. */
  mapRunChild?: boolean;
  startDateMs: number;
  /** From DescribeExecution. */
  status: ReportedStatus;
  redriveCount: number;
  /** From GetExecutionHistory, in order. */
  failures: FailureEvent[];
  ledger?: LedgerRecord;
  alerts: Alert[];
  /** Intake DLQ messages that name this execution. */
  parkedMessages: number;
  /** The sweep found a failure of this execution that no event had brought in. */
  caughtBySweep: boolean;
}

export type FailurePlace = 'REDRIVEN' | 'APPROVED' | 'REJECTED' | 'APPROVAL_PENDING' | 'RESTARTED' | 'SKIPPED' | 'GAVE_UP' | 'PARKED' | 'DRY_RUN' | 'NOT_WATCHED' | 'UNACCOUNTED';

export interface FailureAccount extends FailureEvent {
  place: FailurePlace;
  /** Reason code for SKIPPED / GAVE_UP / NOT_WATCHED; who decided for APPROVED / REJECTED; what is wrong for UNACCOUNTED. */
  reason?: string;
}

export interface ExecutionAccount {
  name: string;
  executionArn: string;
  group: string;
  express: boolean;
  status: ReportedStatus;
  redriveCount: number;
  ledgerPhase?: string;
  ledgerAttempts: Array<Pick<LedgerAttempt, 'generation' | 'decision' | 'reason' | 'outcome' | 'actor'>>;
  failures: FailureAccount[];
  alerts: AlertKind[];
  duplicateRedrives: number;
  /** What is wrong with its redrives, one line per kind; empty when nothing is. */
  redriveProblems: string[];
  caughtBySweep: boolean;
  /** One phrase: how this execution ended. */
  outcome: string;
}

export interface DemoTotals {
  executions: number;
  succeeded: number;
  failuresSeen: number;
  /** Redriven automatically or by an operator; approved redrives are counted in `approved`. */
  redriven: number;
  approved: number;
  rejected: number;
  approvalPending: number;
  /** Restarted (fix-forward) as a new execution, itself in `executions`. */
  restarted: number;
  recoveredAfterRedrive: number;
  gaveUp: number;
  gaveUpAlerts: number;
  skipped: number;
  notWatched: number;
  /** Express executions: not watched by the product, so neither redriven nor accounted failure by failure. */
  expressNotWatched: number;
  parkedInDlq: number;
  dryRun: number;
  caughtBySweep: number;
  alerts: number;
  duplicateRedrives: number;
  unaccountedFailures: number;
}

export interface DemoAccounting {
  ok: boolean;
  totals: DemoTotals;
  skippedByReason: Record<string, number>;
  notWatchedByReason: Record<string, number>;
  alertsByKind: Record<string, number>;
  executions: ExecutionAccount[];
  /** One line per duplicate or unaccounted failure. */
  problems: string[];
}

const REDRIVE_OUTCOMES: ReadonlySet<LedgerAttempt['outcome']> = new Set(['REDRIVEN', 'ALREADY_REDRIVEN']);

export function accountFor(facts: ExecutionFacts[], config: AutoRedriveConfig, nowMs: number): DemoAccounting {
  const executions = facts.map((execution) => accountExecution(execution, config, nowMs));
  const failures = executions.flatMap((e) => e.failures);
  const count = (place: FailurePlace) => failures.filter((f) => f.place === place).length;
  const tally = (keys: string[]) => keys.reduce<Record<string, number>>((acc, key) => ({ ...acc, [key]: (acc[key] ?? 0) + 1 }), {});
  const allAlerts = facts.flatMap((f) => f.alerts);
  const problems = executions.flatMap((e) => [
    ...e.redriveProblems,
    ...e.failures.filter((f) => f.place === 'UNACCOUNTED').map((f) => `${e.name} generation ${f.generation} (${f.status}${f.error ? ` ${f.error}` : ''}): ${f.reason}`),
  ]);
  const totals: DemoTotals = {
    executions: executions.length,
    succeeded: executions.filter((e) => e.status === 'SUCCEEDED').length,
    failuresSeen: failures.length,
    redriven: count('REDRIVEN'),
    approved: count('APPROVED'),
    rejected: count('REJECTED'),
    approvalPending: count('APPROVAL_PENDING'),
    restarted: count('RESTARTED'),
    recoveredAfterRedrive: facts.filter((e) => !e.mapRunChild && e.status === 'SUCCEEDED' && e.redriveCount > 0).length,
    gaveUp: count('GAVE_UP'),
    gaveUpAlerts: allAlerts.filter((a) => a.kind === 'GAVE_UP').length,
    skipped: count('SKIPPED'),
    notWatched: count('NOT_WATCHED'),
    expressNotWatched: executions.filter((e) => e.express).length,
    parkedInDlq: count('PARKED'),
    dryRun: count('DRY_RUN'),
    caughtBySweep: executions.filter((e) => e.caughtBySweep).length,
    alerts: allAlerts.length,
    duplicateRedrives: executions.reduce((sum, e) => sum + e.duplicateRedrives, 0),
    unaccountedFailures: count('UNACCOUNTED'),
  };
  return {
    ok: totals.duplicateRedrives === 0 && totals.unaccountedFailures === 0,
    totals,
    skippedByReason: tally(failures.filter((f) => f.place === 'SKIPPED').map((f) => f.reason!)),
    notWatchedByReason: tally(failures.filter((f) => f.place === 'NOT_WATCHED').map((f) => f.reason!)),
    alertsByKind: tally(allAlerts.map((a) => a.kind)),
    executions,
    problems,
  };
}

function accountExecution(facts: ExecutionFacts, config: AutoRedriveConfig, nowMs: number): ExecutionAccount {
  const attempts = facts.ledger?.attempts ?? [];
  let gaveUpAlertsLeft = facts.alerts.filter((a) => a.kind === 'GAVE_UP').length;
  let ledgerRedrives = 0;
  let duplicateRedrives = 0;
  const redriveProblems: string[] = [];
  const failures = facts.failures.map((failure): FailureAccount => {
    const mine = attempts.filter((a) => a.generation === failure.generation);
    const redrives = mine.filter((a) => REDRIVE_OUTCOMES.has(a.outcome)).length;
    ledgerRedrives += Math.min(redrives, 1);
    if (redrives > 1) {
      duplicateRedrives += redrives - 1;
      redriveProblems.push(`${facts.name}: the ledger records ${redrives} redrives of generation ${failure.generation}`);
    }
    const approval = facts.ledger?.approval?.generation === failure.generation ? facts.ledger.approval : undefined;
    if (redrives > 0) {
      if (facts.redriveCount <= failure.generation) {
        return { ...failure, place: 'UNACCOUNTED', reason: `the ledger says redriven, but Step Functions shows redriveCount ${facts.redriveCount}` };
      }
      return approval?.verdict === 'APPROVED' ? { ...failure, place: 'APPROVED', reason: `by ${approval.by} via ${approval.via}` } : { ...failure, place: 'REDRIVEN' };
    }
    const rejected = mine.find((a) => a.outcome === 'REJECTED');
    if (rejected) return { ...failure, place: 'REJECTED', reason: approval ? `by ${approval.by} via ${approval.via}` : rejected.actor };
    // A fix-forward restart carries the work on as a new execution (accounted on its own), announced by a RESTARTED alert.
    if (mine.some((a) => a.outcome === 'RESTARTED' || a.outcome === 'ALREADY_RESTARTED')) {
      if (!facts.alerts.some((a) => a.kind === 'RESTARTED')) return { ...failure, place: 'UNACCOUNTED', reason: 'restarted without its RESTARTED alert' };
      return { ...failure, place: 'RESTARTED', reason: `as ${facts.ledger?.restartedAs ?? '?'} on ${facts.ledger?.restartTarget ?? '?'}` };
    }
    const final = mine.find((a) => a.outcome === 'GAVE_UP' || a.outcome === 'SKIPPED' || a.outcome === 'NOT_REDRIVABLE' || a.outcome === 'DRY_RUN');
    if (final?.outcome === 'GAVE_UP') {
      if (gaveUpAlertsLeft === 0) return { ...failure, place: 'UNACCOUNTED', reason: 'gave up without an alert' };
      gaveUpAlertsLeft--;
      return { ...failure, place: 'GAVE_UP', reason: final.reason };
    }
    if (final?.outcome === 'DRY_RUN') return { ...failure, place: 'DRY_RUN', reason: final.reason };
    if (final) return { ...failure, place: 'SKIPPED', reason: final.reason };
    // Waiting for a person is a place only while the ledger's current generation is still waiting.
    const waiting = facts.ledger?.phase === 'APPROVAL_PENDING' && facts.ledger.generation === failure.generation && mine.some((a) => a.outcome === 'APPROVAL_PENDING');
    if (waiting) {
      if (!facts.alerts.some((a) => a.kind === 'APPROVAL_NEEDED' && a.executionArn === facts.executionArn)) return { ...failure, place: 'UNACCOUNTED', reason: 'waiting for approval, but nobody was asked (no APPROVAL_NEEDED alert)' };
      return { ...failure, place: 'APPROVAL_PENDING', reason: 'APPROVAL_REQUIRED' };
    }
    if (facts.parkedMessages > 0) return { ...failure, place: 'PARKED' };
    const notWatched = notWatchedReason(facts, failure, config, nowMs);
    if (notWatched) return { ...failure, place: 'NOT_WATCHED', reason: notWatched };
    return { ...failure, place: 'UNACCOUNTED', reason: facts.ledger ? `the ledger has no final decision for it (phase ${facts.ledger.phase})` : 'no ledger item, no alert, not in the DLQ' };
  });
  const unexplained = facts.mapRunChild ? 0 : Math.max(0, facts.redriveCount - ledgerRedrives);
  if (unexplained > 0) {
    duplicateRedrives += unexplained;
    redriveProblems.push(`${facts.name}: redriven ${facts.redriveCount} times but the ledger accounts for ${ledgerRedrives}`);
  }
  return {
    name: facts.name,
    executionArn: facts.executionArn,
    group: facts.group,
    express: facts.express,
    status: facts.status,
    redriveCount: facts.redriveCount,
    ledgerPhase: facts.ledger?.phase,
    ledgerAttempts: attempts.map(({ generation, decision, reason, outcome, actor }) => ({ generation, decision, reason, outcome, actor })),
    failures,
    alerts: facts.alerts.map((a) => a.kind),
    duplicateRedrives,
    redriveProblems,
    caughtBySweep: facts.caughtBySweep,
    outcome: outcomeOf(facts, failures),
  };
}

/** The product's own scope and status rules say whether the config leaves this failure alone. */
function notWatchedReason(facts: ExecutionFacts, failure: FailureEvent, config: AutoRedriveConfig, nowMs: number): string | undefined {
  const decision = decide({
    evidence: {
      executionArn: facts.executionArn,
      stateMachineArn: facts.stateMachineArn,
      executionName: facts.name,
      status: failure.status,
      startDateMs: facts.startDateMs,
      stopDateMs: failure.stoppedAtMs,
      redriveCount: failure.generation,
      error: failure.error,
      cause: failure.cause,
      sources: ['history'],
    },
    config,
    nowMs,
    trigger: 'event',
  });
  return decision.reason === 'OUT_OF_SCOPE' || decision.reason === 'STATUS_NOT_WATCHED' ? `${decision.reason} (${failure.status})` : undefined;
}

function outcomeOf(facts: ExecutionFacts, failures: FailureAccount[]): string {
  const redrives = `${facts.redriveCount === 1 ? '1 redrive' : `${facts.redriveCount} redrives`}${facts.mapRunChild ? ' of its Map Run' : ''}`;
  const last = failures[failures.length - 1];
  if (facts.express) return 'express: not watched';
  if (facts.status === 'SUCCEEDED') return facts.redriveCount > 0 ? `SUCCEEDED after ${redrives}` : 'SUCCEEDED';
  if (!last || facts.status === 'RUNNING') return facts.status;
  switch (last.place) {
    case 'GAVE_UP':
      return `gave up after ${redrives}`;
    case 'APPROVAL_PENDING':
      return `${facts.status}, waiting for approval`;
    case 'RESTARTED':
      return `${facts.status}, restarted ${last.reason}`;
    case 'REJECTED':
      return `${facts.status}, redrive rejected ${last.reason}`;
    case 'SKIPPED':
      return `skipped: ${last.reason}`;
    case 'NOT_WATCHED':
      return `${facts.status}, not watched`;
    case 'PARKED':
      return `${facts.status}, parked in DLQ`;
    case 'DRY_RUN':
      return `${facts.status}, dry run`;
    default:
      return `${facts.status}, UNACCOUNTED`;
  }
}

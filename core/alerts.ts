/**
 * Alerts: what an on-call engineer needs to act, built purely from a decision and its evidence, plus
 * the rendering for email (Slack's is core/slack-message.ts). Nothing here sends anything.
 */
import { consoleUrlForExecution, isExecutionArn, parseExecutionArn } from './arn';
import type { AutoRedriveConfig } from './config';
import { formatDuration, REDRIVE_WINDOW_MS, type Decision } from './decide';
import type { ExecutionEvidence } from './evidence';
import { failedStateText, type FailedStateFields } from './fail-state';
import { truncate } from './ledger-record';
import { NOT_REDRIVABLE_REASONS, REASONS, type ReasonCode } from './reasons';

export const ALERT_KINDS = [
  'GAVE_UP',
  'NOT_REDRIVABLE',
  'SKIPPED_NON_RETRYABLE',
  'PIPELINE_ERROR',
  'WINDOW_CLOSING',
  'NOT_BACKFILLED',
  'APPROVAL_NEEDED',
  'APPROVAL_DECIDED',
  'RESTARTED',
  'RESTART_FAILED',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** A parent's failed Map Run: how many children failed it, and the first few by name. */
export interface MapRunFailures {
  mapRunArn: string;
  failed: number;
  timedOut: number;
  aborted: number;
  /** The status the named children were listed by: the more common of FAILED and TIMED_OUT. */
  listedStatus: 'FAILED' | 'TIMED_OUT';
  /** Names of the first children in `listedStatus`, at most ten (see `failingChildrenText`). */
  children: string[];
}

/** `failedState` (where it failed, when read) and `failedInFailState` (core/fail-state.ts). */
export interface Alert extends Partial<FailedStateFields> {
  kind: AlertKind;
  executionArn?: string;
  executionName?: string;
  stateMachineArn?: string;
  region?: string;
  error?: string;
  cause?: string;
  attemptsUsed?: number;
  attemptsLeft?: number;
  reason: ReasonCode | 'PIPELINE_ERROR';
  detail: string;
  /** Time left in the 14-day redrive window; negative once closed. */
  windowLeftMs?: number;
  consoleUrl?: string;
  /** Fix-forward links: the restart that carries this execution on, or the execution this one restarted. */
  restartedAs?: string;
  restartOf?: string;
  /** A parent that failed because its Distributed Map's children did: the Map Run and those children. */
  mapRun?: MapRunFailures;
  atMs: number;
  /** The failure generation an approval is asked or decided for (the buttons carry it back). */
  generation?: number;
  /** APPROVAL_NEEDED: the exact CLI commands that decide it, for teams without Slack. */
  commands?: string[];
  /** APPROVAL_DECIDED: who decided what, and the outcome (`REDRIVEN`, `REJECTED`, or why nothing was done). */
  decision?: { verdict: 'APPROVED' | 'REJECTED'; by: string; byName?: string; via: 'slack' | 'cli'; decidedAtMs: number; outcome: string };
  /**
   * APPROVAL_DECIDED from a Slack click: the clicked message's response_url, which replaces that message
   * (valid 30 minutes, 5 uses). The email rendering never shows it.
   */
  responseUrl?: string;
}

const MAX_ALERT_CAUSE_CHARS = 1000;
const MAX_ALERT_ERROR_CHARS = 256;

/** Which alert, if any, a decision raises. */
export function alertKindFor(decision: Decision, config: AutoRedriveConfig): AlertKind | undefined {
  if (decision.action === 'GIVE_UP') return 'GAVE_UP';
  if (decision.action !== 'SKIP') return undefined;
  if (NOT_REDRIVABLE_REASONS.has(decision.reason)) return 'NOT_REDRIVABLE';
  if (decision.reason === 'NON_RETRYABLE_ERROR' && config.alerts.notifyOnNonRetryableSkip) return 'SKIPPED_NON_RETRYABLE';
  return undefined;
}

export function buildExecutionAlert(
  kind: AlertKind,
  evidence: ExecutionEvidence,
  reason: ReasonCode,
  detail: string,
  attemptsUsed: number,
  config: AutoRedriveConfig,
  nowMs: number,
): Alert {
  return {
    kind,
    executionArn: evidence.executionArn,
    executionName: evidence.executionName,
    stateMachineArn: evidence.stateMachineArn,
    region: parseExecutionArn(evidence.executionArn).region,
    error: truncate(evidence.error, MAX_ALERT_ERROR_CHARS),
    cause: truncate(evidence.cause, MAX_ALERT_CAUSE_CHARS),
    attemptsUsed,
    attemptsLeft: Math.max(0, config.maxAttempts - attemptsUsed),
    reason,
    detail,
    windowLeftMs: evidence.stopDateMs === undefined ? undefined : evidence.stopDateMs + REDRIVE_WINDOW_MS - nowMs,
    consoleUrl: consoleUrlForExecution(evidence.executionArn),
    atMs: nowMs,
  };
}

/** `executionArn` is whatever could be read from a failed message; it is kept only if it parses. */
export function buildPipelineErrorAlert(detail: string, nowMs: number, executionArn?: string): Alert {
  const alert: Alert = { kind: 'PIPELINE_ERROR', reason: 'PIPELINE_ERROR', detail: truncate(detail, MAX_ALERT_CAUSE_CHARS)!, atMs: nowMs };
  if (executionArn && isExecutionArn(executionArn)) {
    alert.executionArn = executionArn;
    alert.consoleUrl = consoleUrlForExecution(executionArn);
  }
  return alert;
}

/** About a whole state machine (the sweep's findings), not one execution. */
export function buildStateMachineAlert(kind: AlertKind, stateMachineArn: string, reason: ReasonCode, detail: string, nowMs: number): Alert {
  return { kind, stateMachineArn, region: stateMachineArn.split(':')[3], reason, detail: truncate(detail, MAX_ALERT_CAUSE_CHARS)!, atMs: nowMs };
}

const KIND_TITLES: Record<AlertKind, string> = {
  GAVE_UP: 'Gave up redriving',
  NOT_REDRIVABLE: 'Cannot be redriven',
  SKIPPED_NON_RETRYABLE: 'Not redriven: non-retryable error',
  PIPELINE_ERROR: 'sfn-autoredrive pipeline error',
  WINDOW_CLOSING: 'Redrive window closing',
  NOT_BACKFILLED: 'Failures from before watching began, not redriven',
  APPROVAL_NEEDED: 'Approve redrive?',
  APPROVAL_DECIDED: 'Redrive decided',
  RESTARTED: 'Restarted on a new revision',
  RESTART_FAILED: 'Restart could not start',
};

/** What happened, and to which execution. */
export function alertTitle(alert: Alert): string {
  return `${KIND_TITLES[alert.kind]}${alert.executionName ? `: ${alert.executionName}` : ''}`;
}

/** SNS email subjects must be under 100 characters. */
export function alertSubject(alert: Alert): string {
  return truncate(`[sfn-autoredrive] ${alertTitle(alert)}`, 99)!;
}

function reasonText(alert: Alert): string {
  return alert.reason === 'PIPELINE_ERROR' ? alert.detail : `${REASONS[alert.reason]}: ${alert.detail}`;
}

function windowText(windowLeftMs: number | undefined): string | undefined {
  if (windowLeftMs === undefined) return undefined;
  return windowLeftMs > 0 ? `${formatDuration(windowLeftMs)} left` : `closed ${formatDuration(windowLeftMs)} ago`;
}

/** Label/value pairs shared by every rendering, in the order an on-call engineer reads them. */
export function alertFields(alert: Alert): Array<[string, string]> {
  const fields: Array<[string, string | undefined]> = [
    ['Reason', reasonText(alert)],
    ['Execution', alert.executionArn],
    ['State machine', alert.stateMachineArn],
    ['Error', alert.error],
    ['Cause', alert.cause],
    ['Failed state', alert.failedState && failedStateText(alert.failedState, alert.failedInFailState)],
    ['Decision', alert.decision && decisionText(alert.decision)],
    ['Attempts', alert.attemptsUsed === undefined ? undefined : `${alert.attemptsUsed} used, ${alert.attemptsLeft ?? 0} left`],
    ['Redrive window', windowText(alert.windowLeftMs)],
    ['Restarted as', alert.restartedAs],
    ['Restart of', alert.restartOf],
    ['Map Run', alert.mapRun?.mapRunArn],
    ['Failing children', alert.mapRun && failingChildrenText(alert.mapRun)],
    ['List them with', alert.mapRun && `aws stepfunctions list-executions --region ${alert.region} --map-run-arn ${alert.mapRun.mapRunArn} --status-filter ${alert.mapRun.listedStatus}`],
    ['Console', alert.consoleUrl],
    ...(alert.commands ?? []).map((command, i): [string, string] => [i === 0 ? 'Approve with' : 'Reject with', command]),
  ];
  return fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
}

/** "Redriven by @alice at 10:42 → REDRIVEN": who decided, when, and what came of it. */
export function decisionText(decision: NonNullable<Alert['decision']>): string {
  const who = decision.byName ? `@${decision.byName} (${decision.by})` : decision.by;
  const verb = decision.verdict === 'APPROVED' ? 'Redrive approved' : 'Skipped';
  return `${verb} by ${who} via ${decision.via} at ${new Date(decision.decidedAtMs).toISOString()} → ${decision.outcome}`;
}

/** "7 failed, 1 timed out; FAILED: child-a, child-b, … and 5 more" */
export function failingChildrenText(run: MapRunFailures): string {
  const counted = ([[run.failed, 'failed'], [run.timedOut, 'timed out'], [run.aborted, 'aborted']] as const).filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  const inListed = run.listedStatus === 'TIMED_OUT' ? run.timedOut : run.failed;
  const more = inListed - run.children.length;
  const names = run.children.length === 0 ? '' : `; ${run.listedStatus}: ${run.children.join(', ')}${more > 0 ? ` … and ${more} more` : ''}`;
  return `${counted.length > 0 ? counted.join(', ') : 'none counted'}${names}`;
}

/** The CLI commands that approve or reject one pending generation, as the alert shows them. */
export function approvalCommands(executionArn: string, generation: number): string[] {
  // The generation asked about, as the Slack buttons carry it: a late command must not decide a newer failure.
  return [`sfn-autoredrive approve ${executionArn} --generation ${generation} --reason "…"`, `sfn-autoredrive reject ${executionArn} --generation ${generation} --reason "…"`];
}

export function alertEmailText(alert: Alert): string {
  const lines = alertFields(alert).map(([label, value]) => `${label}: ${value}`);
  return [`${KIND_TITLES[alert.kind]}`, '', ...lines, '', `At ${new Date(alert.atMs).toISOString()}`].join('\n');
}

/**
 * Reads one alerts-queue message: an SNS notification carrying our alert JSON, or a CloudWatch alarm
 * (DLQ depth, worker errors, queue age). Anything else still becomes an alert, so nothing is dropped.
 */
export function alertFromNotification(body: string, nowMs: number): Alert {
  let message: unknown = body;
  try {
    const envelope = JSON.parse(body) as { Type?: string; Message?: string };
    message = envelope?.Type === 'Notification' && typeof envelope.Message === 'string' ? JSON.parse(envelope.Message) : envelope;
  } catch {
    return buildPipelineErrorAlert(`Unreadable alert message: ${body.slice(0, 300)}`, nowMs);
  }
  const candidate = message as Partial<Alert> & { AlarmName?: string; NewStateValue?: string; NewStateReason?: string; Region?: string };
  if (typeof candidate.kind === 'string' && (ALERT_KINDS as readonly string[]).includes(candidate.kind) && typeof candidate.detail === 'string') {
    return candidate as Alert;
  }
  if (typeof candidate.AlarmName === 'string') {
    const detail = `CloudWatch alarm ${candidate.AlarmName} is ${candidate.NewStateValue ?? '?'}: ${candidate.NewStateReason ?? ''}`;
    return buildPipelineErrorAlert(detail, nowMs);
  }
  return buildPipelineErrorAlert(`Unrecognised alert message: ${JSON.stringify(message).slice(0, 300)}`, nowMs);
}

/**
 * Redrive eligibility and client-token idempotency, shared by RedriveExecution and the
 * redriveStatus / redriveStatusReason fields of DescribeExecution and status events.
 */
import type { ExecutionRecord, RedriveTokenUse } from './store';

// These restate AWS's rules on purpose instead of importing core/decide.ts: the emulator stands in for AWS,
// so a wrong constant in the core must not be mirrored here, where the tests would then agree with it.
export const REDRIVE_LAUNCH_MS = Date.UTC(2023, 10, 15);
const DAY_MS = 24 * 60 * 60 * 1000;
export const REDRIVE_WINDOW_MS = 14 * DAY_MS;
export const MAX_EXECUTION_TIME_MS = 365 * DAY_MS;
/** An execution is redrivable only while its history has fewer events than this. */
export const HISTORY_EVENT_LIMIT = 24_999;
export const CLIENT_TOKEN_TTL_MS = 15 * 60 * 1000;
export const CLIENT_TOKENS_KEPT = 10;

export const NOT_REDRIVABLE_REASONS = {
  deleting: 'State machine is in DELETING status',
  running: 'Execution is RUNNING and cannot be redriven',
  succeeded: 'Execution is SUCCEEDED and cannot be redriven',
  beforeLaunch: 'Execution was started before the launch of RedriveExecution',
  historyLimit: 'Execution history event limit exceeded',
  maxExecutionTime: 'Execution has exceeded the max execution time',
  periodExceeded: 'Execution redrivable period exceeded',
  express: 'Execution of an EXPRESS state machine cannot be redriven',
} as const;

export type RedriveStatus = 'REDRIVABLE' | 'NOT_REDRIVABLE' | 'REDRIVABLE_BY_MAP_RUN';

export interface Redrivability {
  redriveStatus: RedriveStatus;
  /** Set only when NOT_REDRIVABLE, as in DescribeExecution. */
  redriveStatusReason?: string;
}

export function redrivabilityOf(execution: ExecutionRecord, nowMs: number): Redrivability {
  const reason = notRedrivableReason(execution, nowMs);
  if (reason) return { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: reason };
  // Children of a Distributed Map, Standard or Express, are redriven by redriving the parent, whose
  // Map Run redrives them, never directly (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html).
  if (execution.mapRunArn) return { redriveStatus: 'REDRIVABLE_BY_MAP_RUN' };
  if (execution.type === 'EXPRESS') return { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: NOT_REDRIVABLE_REASONS.express };
  return { redriveStatus: 'REDRIVABLE' };
}

function notRedrivableReason(execution: ExecutionRecord, nowMs: number): string | undefined {
  if (execution.stateMachine.status === 'DELETING') return NOT_REDRIVABLE_REASONS.deleting;
  if (execution.status === 'RUNNING') return NOT_REDRIVABLE_REASONS.running;
  if (execution.status === 'SUCCEEDED') return NOT_REDRIVABLE_REASONS.succeeded;
  if (execution.startDateMs < REDRIVE_LAUNCH_MS) return NOT_REDRIVABLE_REASONS.beforeLaunch;
  if (execution.history.length >= HISTORY_EVENT_LIMIT) return NOT_REDRIVABLE_REASONS.historyLimit;
  if (nowMs - execution.startDateMs > MAX_EXECUTION_TIME_MS) return NOT_REDRIVABLE_REASONS.maxExecutionTime;
  if (execution.stopDateMs !== undefined && nowMs - execution.stopDateMs > REDRIVE_WINDOW_MS) {
    return NOT_REDRIVABLE_REASONS.periodExceeded;
  }
  return undefined;
}

/** A token that already redrove this execution and is still within its 15 minutes. */
export function reusableToken(execution: ExecutionRecord, token: string, nowMs: number): RedriveTokenUse | undefined {
  return execution.redriveTokens.find((use) => use.token === token && nowMs - use.firstUsedMs < CLIENT_TOKEN_TTL_MS);
}

/** Remembers a token after a successful redrive, keeping only the last ten. */
export function rememberToken(execution: ExecutionRecord, token: string, nowMs: number): void {
  execution.redriveTokens = execution.redriveTokens.filter((use) => use.token !== token);
  execution.redriveTokens.push({ token, firstUsedMs: nowMs });
  if (execution.redriveTokens.length > CLIENT_TOKENS_KEPT) execution.redriveTokens.shift();
}

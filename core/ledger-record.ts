/** The ledger item for one execution: the shape the decision core reads and the ledger adapter stores. */
import { failedStateFields, type FailedStateFields } from './fail-state';
import type { Alert } from './alerts';
import type { ReasonCode } from './reasons';

/**
 * Where the current failure generation stands.
 * WAITING: claimed, a recheck message is due at `dueAtMs`.
 * REDRIVING: RedriveExecution is being (or was, if we crashed) called with `clientToken`.
 * REDRIVEN: AWS accepted the redrive. SKIPPED / GAVE_UP: final for this generation.
 * DRY_RUN: would have redriven; no call was made.
 * APPROVAL_PENDING: the error policy asked a person; an approval moves it to REDRIVING, a rejection to
 * REJECTED (final), the closing window to SKIPPED.
 * RESTARTING: a fix-forward restart (a new execution, `restartedAs`) is being started. RESTARTED: it
 * was; this execution is never redriven again, and the restart is watched like any execution.
 */
export const LEDGER_PHASES = ['WAITING', 'REDRIVING', 'REDRIVEN', 'SKIPPED', 'GAVE_UP', 'DRY_RUN', 'APPROVAL_PENDING', 'REJECTED', 'RESTARTING', 'RESTARTED'] as const;
export type LedgerPhase = (typeof LEDGER_PHASES)[number];

export type AttemptOutcome =
  | 'PENDING'
  | 'REDRIVEN'
  | 'ALREADY_REDRIVEN'
  | 'NOT_REDRIVABLE'
  | 'SKIPPED'
  | 'GAVE_UP'
  | 'DRY_RUN'
  | 'APPROVAL_PENDING'
  | 'REJECTED'
  | 'RESTARTED'
  | 'ALREADY_RESTARTED'
  | 'ERROR';

/** One decision taken on one failure generation. */
/** GIVE_UP attempts carry the failed state their alert read (`failedState`, `failedInFailState`). */
export interface LedgerAttempt extends Partial<FailedStateFields> {
  generation: number;
  decision: 'REDRIVE' | 'WAIT' | 'SKIP' | 'GIVE_UP' | 'AWAIT_APPROVAL' | 'REJECT' | 'RESTART';
  reason: ReasonCode;
  decidedAtMs: number;
  clientToken?: string;
  outcome: AttemptOutcome;
  outcomeAtMs?: number;
  redriveDateMs?: number;
  /** Who acted: `worker`, `sweep`, or an operator identity with their stated reason. */
  actor: string;
  note?: string;
  /** Policy rules (errorPolicy, maxAttempts) the operator lifted for this decision, and what they would have said. */
  overrides?: Array<{ rule: string; detail: string }>;
}

export interface LedgerRecord {
  executionArn: string;
  stateMachineArn: string;
  executionName: string;
  /** The execution's redriveCount when the failure we handle happened. */
  generation: number;
  phase: LedgerPhase;
  /** Redrives this tool made (or, in dry-run, would have made). */
  attemptsUsed: number;
  /** For WAITING: when the redrive is due. */
  dueAtMs?: number;
  /** For WAITING: whether the delayed recheck message was sent. */
  recheckEnqueued?: boolean;
  /** For REDRIVING/REDRIVEN: the token of the current generation's call, and when it was first used. */
  clientToken?: string;
  tokenFirstUsedAtMs?: number;
  /** Last reason recorded. */
  reason: ReasonCode;
  /** Evidence the decision used, kept so a recheck needs no new API call. */
  stopDateMs?: number;
  startDateMs: number;
  status: string;
  error?: string;
  cause?: string;
  attempts: LedgerAttempt[];
  updatedAtMs: number;
  expiresAtEpochSeconds: number;
  /** Set while this generation is not redriven: when its 14-day window closes (the sparse index's key). */
  unredrivenWindowClosesAtMs?: number;
  /**
   * The alert a final decision owes, written with the decision and removed once published: a worker
   * that dies in between leaves it here for the next delivery to send (at least once, never lost).
   */
  pendingAlert?: Alert;
  /** The generation whose WINDOW_CLOSING alert went out: alert bookkeeping, never read by decisions. */
  windowClosingAlertedGeneration?: number;
  /** RESTARTING/RESTARTED: the execution that carries this one's work forward, and where it runs (`latest`, `version:3`, `alias:prod`). */
  restartedAs?: string;
  restartTarget?: string;
  /** On a restart's own item: the execution it restarted. */
  restartOf?: string;
  /** For APPROVAL_PENDING: when the approval was asked for. */
  approvalRequestedAtMs?: number;
  /** The person's decision on the current generation, once taken: who, when, from where. */
  approval?: ApprovalRecord;
  /**
   * The rerun of a Slack-approved redrive being followed (core/rerun-watch.ts). Kept across generations:
   * a watch message is acted on only if it matches this, and the rerun's end is told once (`told`).
   */
  rerunWatch?: RerunWatchRecord;
}

export interface RerunWatchRecord {
  /** The failure generation the approval redrove. */
  generation: number;
  via: 'slack' | 'cli';
  by: string;
  byName?: string;
  decidedAtMs: number;
  /** SHA-256 of the response_url the watch messages carry (the URL itself, a capability, is not stored). */
  responseUrlSha256?: string;
  told?: boolean;
}

/** Who decided an approval, when and from where. */
export interface ApprovalRecord {
  generation: number;
  verdict: 'APPROVED' | 'REJECTED';
  /** `slack` (a button) or `cli` (`sfn-autoredrive approve|reject`). */
  via: 'slack' | 'cli';
  /** Slack user id, or the STS caller ARN (`local:<user>` against the local stack). */
  by: string;
  /** Slack user name, when Slack sent it. */
  byName?: string;
  reason?: string;
  decidedAtMs: number;
}

/** How the ledger's attempt log names a person who decided an approval. */
export function approverActor(approval: ApprovalRecord): string {
  const who = approval.via === 'slack' ? `slack ${approval.by}${approval.byName ? ` (${approval.byName})` : ''}` : `operator ${approval.by}`;
  return approval.reason ? `${who}: ${approval.reason}` : who;
}

/**
 * An item read from the table, as a record the core may decide on, or undefined when it is not one.
 * An item without a whole generation and a known phase records no handling of any failure, so it must
 * read as "not handled" (an earlier sweep wrote such marks, and `undefined < 0` is false in JavaScript).
 */
export function ledgerRecordFromItem(item: Record<string, unknown> | undefined): LedgerRecord | undefined {
  if (!item) return undefined;
  const { generation, phase } = item;
  if (typeof generation !== 'number' || !Number.isInteger(generation) || generation < 0) return undefined;
  if (typeof phase !== 'string' || !(LEDGER_PHASES as readonly string[]).includes(phase)) return undefined;
  return { ...item, attemptsUsed: typeof item.attemptsUsed === 'number' ? item.attemptsUsed : 0, attempts: Array.isArray(item.attempts) ? item.attempts : [] } as LedgerRecord;
}

/** Longest `cause` kept in the ledger and in alerts. */
export const MAX_STORED_CAUSE_CHARS = 2000;

/** Cuts a string to at most `max` UTF-16 units without splitting a surrogate pair, marking the cut. */
export function truncate(text: string | undefined, max: number): string | undefined {
  if (text === undefined || text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** The failed state the ledger learned for this generation (its GAVE_UP alert read it), if any. */
export function recordedFailedState(record: LedgerRecord | undefined, generation: number): FailedStateFields | undefined {
  const attempt = record?.attempts.findLast((a) => a.generation === generation && a.failedState !== undefined);
  return attempt && failedStateFields(attempt.failedState, attempt.failedInFailState);
}

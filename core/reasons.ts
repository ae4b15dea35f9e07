/** Every reason a decision can carry, with the text logs, alerts and `explain` show. */
export const REASONS = {
  ELIGIBLE: 'All eligibility and policy rules pass',
  BACKOFF: 'Waiting for the backoff delay before redriving',
  NOT_FAILED: 'Execution is not in a failed state (RUNNING, SUCCEEDED or PENDING_REDRIVE)',
  STATUS_NOT_WATCHED: 'Execution status is not one of the configured statuses',
  OUT_OF_SCOPE: 'State machine, account, region or partition is not watched',
  EXPRESS_STATE_MACHINE: 'Express executions cannot be redriven',
  MAP_RUN_CHILD: 'Map Run child execution: redrive the parent execution instead',
  STARTED_BEFORE_REDRIVE_LAUNCH: 'Execution started before 2023-11-15, when redrive launched',
  REDRIVE_WINDOW_EXPIRED: 'The 14-day redrive window (less the safety margin) has closed',
  MAX_OPEN_TIME_EXCEEDED: 'Execution has exceeded the one-year maximum open time',
  HISTORY_LIMIT: 'Execution history is at or over 24,999 events less the configured headroom',
  NON_RETRYABLE_ERROR: 'The error is not retryable under the error policy',
  MAX_ATTEMPTS_REACHED: 'Maximum redrive attempts reached',
  ALREADY_HANDLED: 'This failure generation was already handled (duplicate or stale event)',
  NOT_REDRIVABLE_PER_AWS: 'Step Functions reports the execution is not redrivable',
  EXECUTION_NOT_FOUND: 'Step Functions has no such execution',
  WINDOW_CLOSING: 'Still failed and not redriven, and its 14-day redrive window closes soon',
  APPROVAL_REQUIRED: 'The error policy leaves this redrive to a person (approve in Slack or with `sfn-autoredrive approve`)',
  APPROVAL_NOT_PENDING: 'No approval is pending for this failure generation (decided already, moved on, or never asked)',
  REJECTED: 'A person chose not to redrive this failure',
  BEFORE_WATCHING: 'Stopped before sfn-autoredrive began watching its state machine; back-fill is off (sweep.backfill)',
  RESTART: 'Restarted as a new execution on a chosen revision (fix-forward)',
  RESTARTED: 'Restarted as a new execution: the restart carries the work on, so this one is never redriven again',
  RESTART_NAME_TAKEN: 'The restart\'s deterministic name belongs to another execution with a different input',
  RESTART_TARGET_MISSING: 'The restart target (state machine, version or alias) does not exist',
  RERUN_RUNNING: 'The rerun an approved redrive started is still running: looked at again later',
  RERUN_ENDED: 'The rerun an approved redrive started has ended: its decision message now tells how',
  RERUN_NOT_FOLLOWED: 'No rerun of this generation is followed (its end was told already, or the message matches no watch in the ledger)',
} as const;

export type ReasonCode = keyof typeof REASONS;

/** Reasons that mean "this failure will not be redriven and someone should know". */
export const NOT_REDRIVABLE_REASONS: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'STARTED_BEFORE_REDRIVE_LAUNCH',
  'REDRIVE_WINDOW_EXPIRED',
  'MAX_OPEN_TIME_EXCEEDED',
  'HISTORY_LIMIT',
  'NOT_REDRIVABLE_PER_AWS',
]);

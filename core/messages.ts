/**
 * Messages on the intake queue: AWS's "Step Functions Execution Status Change" event (as EventBridge
 * delivers it), or our own delayed recheck (the backoff timer). Parsing is strict about what decisions
 * use and lenient about the rest, since AWS documents only part of the event (the redrive, error and cause fields are not in its schema).
 */
import * as z from 'zod';
import { isExecutionArn, isExecutionStateMachineArn } from './arn';
import { EXECUTION_STATUSES, REDRIVE_STATUSES, type ExecutionEvidence } from './evidence';
import { STATUS_CHANGE_DETAIL_TYPE, STATUS_CHANGE_SOURCE } from './event-pattern';
import { isValidStepFunctionsName } from './names';

const executionArn = z.string().refine(isExecutionArn, { message: 'not a Step Functions execution ARN' });
const epochMs = z.number().int().nonnegative();
const optionalText = z.string().nullish().transform((v) => v ?? undefined);

/** Bounded like every ARN (256): it becomes a ledger index key, which DynamoDB caps at 2,048 bytes. */
const stateMachineArn = z.string().refine(isExecutionStateMachineArn, { message: 'not a Step Functions state machine ARN' });

export const statusChangeDetailSchema = z.object({
  executionArn,
  stateMachineArn,
  name: z.string().refine(isValidStepFunctionsName, { message: 'not a Step Functions execution name' }),
  status: z.enum(EXECUTION_STATUSES),
  startDate: epochMs,
  stopDate: epochMs.nullish().transform((v) => v ?? undefined),
  redriveCount: z.number().int().nonnegative().nullish().transform((v) => v ?? undefined),
  redriveStatus: z.enum(REDRIVE_STATUSES).nullish().transform((v) => v ?? undefined),
  redriveStatusReason: optionalText,
  error: optionalText,
  cause: optionalText,
  mapRunArn: optionalText,
});

/**
 * The EventBridge envelope, as Powertools parser's EventBridgeSchema defines it. Written out here
 * because importing that schema pulls all of zod (every locale) into the worker bundle: about 450 KB
 * of the 300 KB cold-start budget.
 */
export const statusChangeEventSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.literal(STATUS_CHANGE_SOURCE),
  'detail-type': z.literal(STATUS_CHANGE_DETAIL_TYPE),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'replay-name': z.string().optional(),
  detail: statusChangeDetailSchema,
});
export type StatusChangeEvent = z.infer<typeof statusChangeEventSchema>;

export const RECHECK_KIND = 'sfn-autoredrive.recheck';

export const recheckMessageSchema = z.object({
  kind: z.literal(RECHECK_KIND),
  executionArn,
  generation: z.number().int().nonnegative(),
  dueAtMs: epochMs,
});
export type RecheckMessage = z.infer<typeof recheckMessageSchema>;

export const APPROVAL_KIND = 'sfn-autoredrive.approval';

/**
 * A person's decision on a redrive the error policy left to them, from Slack (the approval endpoint) or
 * the CLI. It names the failure generation it was asked about, so it can never act on a later one.
 */
export const approvalMessageSchema = z.object({
  kind: z.literal(APPROVAL_KIND),
  executionArn,
  generation: z.number().int().nonnegative(),
  verdict: z.enum(['APPROVED', 'REJECTED']),
  via: z.enum(['slack', 'cli']),
  by: z.string().min(1).max(2048),
  byName: z.string().max(200).optional(),
  reason: z.string().max(1000).optional(),
  decidedAtMs: epochMs,
  /**
   * Slack's response_url of the clicked message, to update it with the decision (30 minutes, 5 uses).
   * Its host is checked where it is read and where it is used (SLACK_RESPONSE_URL_PREFIX).
   */
  responseUrl: z.string().regex(/^https?:\/\/[!-~]{1,2000}$/, 'must be a URL').optional(),
});
export type ApprovalMessage = z.infer<typeof approvalMessageSchema>;

export const RERUN_WATCH_KIND = 'sfn-autoredrive.rerun-watch';

/**
 * Follows the rerun that an approved redrive started until it ends, so the decision's Slack message can
 * tell how it went ("→ SUCCEEDED"). It is re-sent (a chained SQS timer) while the rerun runs, and acted
 * on only while it matches the ledger's record of the watch (LedgerRecord.rerunWatch): the decision is
 * read from there, never from the message.
 */
export const rerunWatchMessageSchema = z.object({
  kind: z.literal(RERUN_WATCH_KIND),
  executionArn,
  /** The failure generation the approval redrove; its rerun is generation + 1. */
  generation: z.number().int().nonnegative(),
  /** The clicked message's response_url: its SHA-256 must match the ledger's. */
  responseUrl: approvalMessageSchema.shape.responseUrl,
  /** Checks made so far: the next one waits longer. */
  checks: z.number().int().nonnegative(),
  dueAtMs: epochMs,
});
export type RerunWatchMessage = z.infer<typeof rerunWatchMessageSchema>;

export type IntakeMessage =
  | { type: 'event'; event: StatusChangeEvent }
  | { type: 'recheck'; recheck: RecheckMessage }
  | { type: 'approval'; approval: ApprovalMessage }
  | { type: 'rerunWatch'; watch: RerunWatchMessage };

/** A message we cannot act on. Goes to the dead-letter queue with this explanation. */
export class MalformedMessageError extends Error {
  constructor(readonly problems: string[]) {
    super(`Malformed intake message: ${problems.join('; ')}`);
    this.name = 'MalformedMessageError';
  }
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.slice(0, 10).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

/** Parses an SQS body into an intake message, or throws MalformedMessageError naming every problem. */
export function parseIntakeMessage(body: string): IntakeMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new MalformedMessageError([`body is not JSON (${(error as Error).message.slice(0, 200)})`]);
  }
  const kind = raw !== null && typeof raw === 'object' ? (raw as { kind?: unknown }).kind : undefined;
  if (kind === RECHECK_KIND) {
    const recheck = recheckMessageSchema.safeParse(raw);
    if (!recheck.success) throw new MalformedMessageError(describeIssues(recheck.error));
    return { type: 'recheck', recheck: recheck.data };
  }
  if (kind === APPROVAL_KIND) {
    const approval = approvalMessageSchema.safeParse(raw);
    if (!approval.success) throw new MalformedMessageError(describeIssues(approval.error));
    return { type: 'approval', approval: approval.data };
  }
  if (kind === RERUN_WATCH_KIND) {
    const watch = rerunWatchMessageSchema.safeParse(raw);
    if (!watch.success) throw new MalformedMessageError(describeIssues(watch.error));
    return { type: 'rerunWatch', watch: watch.data };
  }
  const event = statusChangeEventSchema.safeParse(raw);
  if (!event.success) throw new MalformedMessageError(describeIssues(event.error));
  return { type: 'event', event: event.data };
}

/** Ids of the events the sweep rebuilds from ListExecutions items (AWS's event ids are UUIDs). */
const SWEEP_EVENT_ID_PREFIX = 'sweep-';

/**
 * The evidence an event carries. Absent fields stay undefined so the worker knows what to fetch. An
 * event the sweep rebuilt carries only what the listing had, and says so: its source is the list.
 */
export function evidenceFromEvent(event: StatusChangeEvent): ExecutionEvidence {
  const d = event.detail;
  return {
    executionArn: d.executionArn,
    stateMachineArn: d.stateMachineArn,
    executionName: d.name,
    status: d.status,
    startDateMs: d.startDate,
    stopDateMs: d.stopDate,
    redriveCount: d.redriveCount,
    redriveStatus: d.redriveStatus,
    redriveStatusReason: d.redriveStatusReason,
    error: d.error,
    cause: d.cause,
    mapRunArn: d.mapRunArn,
    sources: [event.id.startsWith(SWEEP_EVENT_ID_PREFIX) ? 'list' : 'event'],
  };
}

/**
 * A status-change event rebuilt from what ListExecutions returned, for a failure whose real event never
 * arrived. The worker treats it like any event; the missing fields make it ask DescribeExecution.
 */
export function syntheticStatusEvent(evidence: ExecutionEvidence, home: { region: string; account: string }, nowMs: number): StatusChangeEvent {
  return {
    version: '0',
    id: `${SWEEP_EVENT_ID_PREFIX}${evidence.executionArn.slice(-40)}-${evidence.redriveCount ?? 0}`,
    source: STATUS_CHANGE_SOURCE,
    'detail-type': STATUS_CHANGE_DETAIL_TYPE,
    account: home.account,
    region: home.region,
    time: new Date(nowMs).toISOString(),
    resources: [evidence.executionArn],
    detail: {
      executionArn: evidence.executionArn,
      stateMachineArn: evidence.stateMachineArn,
      name: evidence.executionName,
      status: evidence.status,
      startDate: evidence.startDateMs,
      stopDate: evidence.stopDateMs,
      redriveCount: evidence.redriveCount,
      redriveStatus: undefined,
      redriveStatusReason: undefined,
      error: undefined,
      cause: undefined,
      mapRunArn: evidence.mapRunArn,
    },
  };
}

/**
 * Slack's side of an approval: the buttons an APPROVAL_NEEDED message carries, and the checks a click
 * must pass before it may become an approval. Pure: the secret, the allow-list and the time are passed
 * in; the approval endpoint (engine/approval-intake.ts) adds the ledger and the queue.
 *
 * Slack signs every request with the app's signing secret: `X-Slack-Signature` is `v0=` and the hex
 * HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>`, and a request whose timestamp is more than
 * five minutes from now may be a replay. https://api.slack.com/authentication/verifying-requests-from-slack
 * Interactions arrive as `application/x-www-form-urlencoded` with one `payload` field holding JSON.
 * https://docs.slack.dev/interactivity/handling-user-interaction
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isExecutionArn } from './arn';
import { APPROVAL_KIND, approvalMessageSchema, type ApprovalMessage } from './messages';

/** Older (or newer) requests than this are refused as possible replays. */
export const MAX_REQUEST_AGE_SECONDS = 300;

/** The buttons' action ids: what a click means. */
export const APPROVAL_ACTIONS = {
  approve: 'sfn-autoredrive.redrive',
  reject: 'sfn-autoredrive.skip',
} as const;

/** A button's value names the failure generation it decides: `<generation> <executionArn>`. */
export function approvalButtonValue(executionArn: string, generation: number): string {
  return `${generation} ${executionArn}`;
}

function parseButtonValue(value: string): { executionArn: string; generation: number } | undefined {
  const match = /^(\d{1,9}) (\S+)$/.exec(value);
  if (!match || !isExecutionArn(match[2])) return undefined;
  return { generation: Number(match[1]), executionArn: match[2] };
}

/** The signature Slack sends for this timestamp and body. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export interface InteractionRequest {
  /** Header names in any case. */
  headers: Record<string, string | undefined>;
  /** The body exactly as received: the signature covers these bytes. */
  rawBody: string;
}

export interface InteractionPolicy {
  signingSecret: string;
  allowedUserIds: readonly string[];
  nowMs: number;
  /** A response_url elsewhere is dropped (the decision is then posted as a new message). */
  responseUrlPrefix: string;
}

/** A refused request: the HTTP status and what is wrong, never anything secret. */
export interface Refusal {
  status: 400 | 401 | 403;
  message: string;
}

export type InteractionResult = { ok: true; approval: ApprovalMessage } | { ok: false; refusal: Refusal };

const refuse = (status: Refusal['status'], message: string): InteractionResult => ({ ok: false, refusal: { status, message } });

function header(request: InteractionRequest, name: string): string | undefined {
  const key = Object.keys(request.headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : request.headers[key];
}

/** Compared in constant time, so a forger learns nothing from how long a refusal took. */
function signatureMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

interface BlockActionsPayload {
  type?: unknown;
  user?: { id?: unknown; username?: unknown; name?: unknown };
  actions?: Array<{ action_id?: unknown; value?: unknown }>;
  response_url?: unknown;
}

/**
 * Checks a click, in this order: signature (401), age (401), payload shape (400), clicker (403). Only
 * a signed, fresh click by an allowed user on one of our buttons becomes an approval message.
 */
export function approvalFromInteraction(request: InteractionRequest, policy: InteractionPolicy): InteractionResult {
  const timestamp = header(request, 'x-slack-request-timestamp');
  const signature = header(request, 'x-slack-signature');
  if (!timestamp || !signature) return refuse(401, 'missing X-Slack-Request-Timestamp or X-Slack-Signature');
  if (!/^\d{1,12}$/.test(timestamp)) return refuse(401, 'X-Slack-Request-Timestamp is not a Unix time in seconds');
  if (!signatureMatches(slackSignature(policy.signingSecret, timestamp, request.rawBody), signature)) return refuse(401, 'signature does not match');
  const ageSeconds = Math.abs(policy.nowMs / 1000 - Number(timestamp));
  if (ageSeconds > MAX_REQUEST_AGE_SECONDS) return refuse(401, `request timestamp is ${Math.round(ageSeconds)} s from now, more than ${MAX_REQUEST_AGE_SECONDS} s: refused as a possible replay`);

  let payload: BlockActionsPayload;
  try {
    payload = JSON.parse(new URLSearchParams(request.rawBody).get('payload') ?? '') as BlockActionsPayload;
  } catch {
    return refuse(400, 'body has no JSON payload field');
  }
  if (payload?.type !== 'block_actions') return refuse(400, 'not a block_actions interaction');
  const action = payload.actions?.[0];
  const verdict = action?.action_id === APPROVAL_ACTIONS.approve ? 'APPROVED' : action?.action_id === APPROVAL_ACTIONS.reject ? 'REJECTED' : undefined;
  if (!verdict) return refuse(400, 'not one of the approval buttons');
  const target = typeof action?.value === 'string' ? parseButtonValue(action.value) : undefined;
  if (!target) return refuse(400, 'button value does not name an execution and generation');
  const userId = payload.user?.id;
  if (typeof userId !== 'string' || !policy.allowedUserIds.includes(userId)) {
    return refuse(403, `Slack user ${typeof userId === 'string' ? userId : '(none)'} is not in approvals.allowedSlackUserIds or its user groups`);
  }
  const userName = typeof payload.user?.username === 'string' ? payload.user.username : typeof payload.user?.name === 'string' ? payload.user.name : undefined;
  const message = approvalMessageSchema.safeParse({
    kind: APPROVAL_KIND,
    ...target,
    verdict,
    via: 'slack',
    by: userId,
    ...(userName && { byName: userName.slice(0, 200) }),
    decidedAtMs: policy.nowMs,
    ...(typeof payload.response_url === 'string' && payload.response_url.startsWith(policy.responseUrlPrefix) && { responseUrl: payload.response_url }),
  });
  if (!message.success) return refuse(400, `interaction payload is not usable: ${message.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { ok: true, approval: message.data };
}

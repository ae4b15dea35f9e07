/**
 * A local stand-in for a Slack incoming webhook: records each posted message with its receive time
 * (stack clock) and answers like Slack: 200 `ok`, 400 `invalid_payload` / `no_text`, 404 `no_service`,
 * and, when asked to, 429 with Retry-After so the notifier's backoff can be tested.
 *
 * It also stands in for interactions' response_urls (`issueResponseUrl`): each takes up to five posts
 * within 30 minutes, as Slack documents (https://docs.slack.dev/interactivity/handling-user-interaction),
 * and a post to it is recorded with the URL it replaced.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APPROVAL_ACTIONS, slackSignature } from '../../core/slack-interaction';
import type { StackClock } from '../clock';
import { keepConnectionsAlive, readBody } from '../http-body';

export const SLACK_WEBHOOK_PATH = '/services/T000/B000/XXXX';
/**
 * Not Slack's: where a person at the terminal clicks a button of the newest approval message of one
 * execution, e.g. `curl -d '{"execution":"order-7","button":"Redrive","user":{"id":"U0ALICE00","name":"alice"}}'`.
 */
export const SLACK_CLICK_PATH = '/_local/click';
/** Where the receiver's response_urls live. */
export const SLACK_RESPONSE_PATH_PREFIX = '/actions/T000/';
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_LIFE_MS = 30 * 60_000;

export interface SlackPost {
  receivedAtMs: number;
  text?: string;
  blocks?: unknown[];
  /** The whole parsed JSON body. */
  payload: Record<string, unknown>;
  /** Set when posted to a response_url rather than the webhook. */
  responseUrl?: string;
}

/** Where clicks go: the app's interactivity request URL (here, the approval endpoint's handler). */
export interface SlackInteractivity {
  signingSecret: string;
  deliver(request: { headers: Record<string, string>; rawBody: string }): Promise<{ statusCode: number; body?: string }>;
}

export interface SlackUser {
  id: string;
  name: string;
}

export interface SlackRateLimitOptions {
  /** Accepted messages per second; a faster one gets 429. Slack's documented limit is 1. */
  messagesPerSecond: number;
}

export interface SlackReceiverCounters {
  accepted: number;
  rateLimited: number;
  invalid: number;
}

export class LocalSlackReceiver {
  readonly posts: SlackPost[] = [];
  readonly counters: SlackReceiverCounters = { accepted: 0, rateLimited: 0, invalid: 0 };
  private readonly server: Server;
  private baseUrl = '';
  private forcedRejections = 0;
  private forcedRetryAfterSeconds = 1;
  private rateLimit?: SlackRateLimitOptions;
  private lastAcceptedAtMs?: number;
  private interactivity?: SlackInteractivity;
  private readonly responseUrls = new Map<string, { issuedAtMs: number; uses: number }>();

  private constructor(private readonly clock: StackClock) {
    this.server = keepConnectionsAlive(createServer((request, response) => void this.serve(request, response)));
  }

  static async start(options: { clock: StackClock; port?: number }): Promise<LocalSlackReceiver> {
    const receiver = new LocalSlackReceiver(options.clock);
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    receiver.baseUrl = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** The webhook URL to store in the Slack secret. */
  get url(): string {
    return `${this.baseUrl}${SLACK_WEBHOOK_PATH}`;
  }

  /** Where the terminal clicks approval buttons (SLACK_CLICK_PATH). */
  get clickUrl(): string {
    return `${this.baseUrl}${SLACK_CLICK_PATH}`;
  }

  /** The prefix of every response_url this receiver issues (the notifier's SLACK_RESPONSE_URL_PREFIX). */
  get responseUrlPrefix(): string {
    return `${this.baseUrl}${SLACK_RESPONSE_PATH_PREFIX}`;
  }

  /** A new response_url, as Slack puts one in each interaction payload. */
  issueResponseUrl(): string {
    const path = `${SLACK_RESPONSE_PATH_PREFIX}${this.responseUrls.size + 1}/${Math.random().toString(36).slice(2, 12)}`;
    this.responseUrls.set(path, { issuedAtMs: this.clock.nowMs(), uses: 0 });
    return `${this.baseUrl}${path}`;
  }

  /** Sets where the buttons of posted messages send their clicks. */
  configureInteractivity(interactivity: SlackInteractivity): void {
    this.interactivity = interactivity;
  }

  /**
   * Clicks a button of a posted message as `user`, as Slack would: a block_actions payload with a fresh
   * response_url, form-encoded, signed with the signing secret at the stack clock's time.
   */
  async click(post: SlackPost, button: 'Redrive' | 'Skip', user: SlackUser): Promise<{ statusCode: number; body?: string }> {
    if (!this.interactivity) throw new Error('no interactivity request URL is configured (approvals.slackSigningSecretName)');
    const actionId = button === 'Redrive' ? APPROVAL_ACTIONS.approve : APPROVAL_ACTIONS.reject;
    const element = buttonsOf(post).find((candidate) => candidate.action_id === actionId);
    if (!element) throw new Error(`the message "${post.text ?? ''}" has no ${button} button`);
    const payload = {
      type: 'block_actions',
      user: { id: user.id, username: user.name, name: user.name, team_id: 'T000' },
      actions: [{ type: 'button', action_id: actionId, block_id: 'sfn-autoredrive.decide', value: element.value, action_ts: String(this.clock.nowMs() / 1000) }],
      response_url: this.issueResponseUrl(),
    };
    const rawBody = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const timestamp = String(Math.floor(this.clock.nowMs() / 1000));
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(this.interactivity.signingSecret, timestamp, rawBody) };
    return this.interactivity.deliver({ headers, rawBody });
  }

  /** The newest message with buttons for this execution (the buttons' value ends with its ARN). */
  approvalMessageFor(executionName: string): SlackPost | undefined {
    return [...this.posts].reverse().find((post) => buttonsOf(post).some((button) => button.value?.endsWith(`:${executionName}`)));
  }

  /** The next `count` posts get 429 with `Retry-After: retryAfterSeconds`. */
  rejectNext(count: number, retryAfterSeconds = 1): void {
    this.forcedRejections = count;
    this.forcedRetryAfterSeconds = retryAfterSeconds;
  }

  /** Enforce a rate on the stack clock (undefined turns it off). */
  enforceRateLimit(options: SlackRateLimitOptions | undefined): void {
    this.rateLimit = options;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const reply = (status: number, text: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'text/plain', ...headers });
      response.end(text);
    };
    if (request.method === 'POST' && request.url === SLACK_CLICK_PATH) return this.serveClick(body, reply);
    const responseTarget = request.url ? this.responseUrls.get(request.url) : undefined;
    if (request.method !== 'POST' || (request.url !== SLACK_WEBHOOK_PATH && !responseTarget)) return reply(404, 'no_service');
    if (responseTarget && (responseTarget.uses >= RESPONSE_URL_USES || this.clock.nowMs() - responseTarget.issuedAtMs > RESPONSE_URL_LIFE_MS)) return reply(404, 'expired_url');
    const retryAfterSeconds = this.rejectionRetryAfterSeconds();
    if (retryAfterSeconds !== undefined) {
      this.counters.rateLimited++;
      return reply(429, 'rate_limited', { 'retry-after': String(retryAfterSeconds) });
    }
    const payload = parsePayload(body);
    if (!payload) {
      this.counters.invalid++;
      return reply(400, 'invalid_payload');
    }
    if (typeof payload.text !== 'string' && !Array.isArray(payload.blocks)) {
      this.counters.invalid++;
      return reply(400, 'no_text');
    }
    this.lastAcceptedAtMs = this.clock.nowMs();
    this.counters.accepted++;
    if (responseTarget) responseTarget.uses++;
    this.posts.push({
      receivedAtMs: this.lastAcceptedAtMs,
      text: typeof payload.text === 'string' ? payload.text : undefined,
      blocks: Array.isArray(payload.blocks) ? payload.blocks : undefined,
      payload,
      ...(responseTarget && { responseUrl: `${this.baseUrl}${request.url}` }),
    });
    reply(200, 'ok');
  }

  /** The terminal's click: answers with what the approval endpoint answered. */
  private async serveClick(body: string, reply: (status: number, text: string) => void): Promise<void> {
    const request = parsePayload(body) as { execution?: unknown; button?: unknown; user?: { id?: unknown; name?: unknown } } | undefined;
    const { execution, button, user } = request ?? {};
    if (typeof execution !== 'string' || (button !== 'Redrive' && button !== 'Skip') || typeof user?.id !== 'string' || typeof user.name !== 'string') {
      return reply(400, 'give {"execution": NAME, "button": "Redrive"|"Skip", "user": {"id": SLACK_USER_ID, "name": NAME}}');
    }
    const post = this.approvalMessageFor(execution);
    if (!post) return reply(404, `no approval message with buttons for ${execution}`);
    try {
      const answer = await this.click(post, button, { id: user.id, name: user.name });
      reply(answer.statusCode, answer.body ?? '');
    } catch (error) {
      reply(409, (error as Error).message);
    }
  }

  /** Seconds to put in Retry-After if this post must be refused, else undefined. */
  private rejectionRetryAfterSeconds(): number | undefined {
    if (this.forcedRejections > 0) {
      this.forcedRejections--;
      return this.forcedRetryAfterSeconds;
    }
    if (!this.rateLimit || this.lastAcceptedAtMs === undefined) return undefined;
    const nextAllowedAtMs = this.lastAcceptedAtMs + 1000 / this.rateLimit.messagesPerSecond;
    const waitMs = nextAllowedAtMs - this.clock.nowMs();
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : undefined;
  }
}

function parsePayload(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function buttonsOf(post: SlackPost): Array<{ action_id?: string; value?: string }> {
  return (post.blocks ?? []).flatMap((block) => ((block as { type?: string }).type === 'actions' ? ((block as { elements?: Array<{ action_id?: string; value?: string }> }).elements ?? []) : []));
}

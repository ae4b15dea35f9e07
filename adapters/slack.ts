/**
 * Posts to a Slack incoming webhook within Slack's limits: one message per second per webhook, kept by
 * a rate gate every notifier instance shares, and on HTTP 429 no post before Retry-After.
 * https://api.slack.com/apis/rate-limits ("Posting messages: 1 per second"; 429 carries Retry-After)
 * The webhook URL is a secret: it never reaches a log line or an error message.
 */
import type { SlackMessage } from '../core/slack-message';

/** The numbers the notifier's timeout is computed from (notifierTimeoutSeconds). */
export const SLACK_POSTING = {
  /** Slack's posting rate: one message per second, counted from the previous post's answer. */
  minIntervalMs: 1000,
  /** Tries per message, including the first. */
  maxTries: 3,
  /** Longest Retry-After waited out within an invocation; a longer one hands the alerts back to the queue. */
  maxRetryAfterSeconds: 20,
  /** A webhook answers in well under a second; a request still open after this is abandoned. */
  requestTimeoutMs: 5000,
  /** How often a sender waiting behind a busy one looks at the gate again. */
  gatePollMs: 200,
} as const;

/** One sender at a time, each an interval after the last answer. */
export interface RateGate {
  /** Waits for this caller's turn; undefined if it cannot come by `latestStartMs`. Returns a ticket. */
  acquire(latestStartMs: number): Promise<string | undefined>;
  /** Ends the turn; the next sender may start at `opensAtMs`. */
  release(ticket: string, opensAtMs: number): Promise<void>;
}

export interface SlackPosterOptions {
  nowMs: () => number;
  gate: RateGate;
  fetchImpl?: typeof fetch;
}

export class SlackPostError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SlackPostError';
  }
}

export class SlackPoster {
  constructor(private readonly options: SlackPosterOptions) {}

  /**
   * Posts one message, or throws a SlackPostError. Gives up before `deadlineMs` rather than be cut off
   * in the middle: no try starts unless its request can finish by then.
   */
  async post(webhookUrl: string, message: SlackMessage, deadlineMs = Number.POSITIVE_INFINITY): Promise<void> {
    const { nowMs, gate, fetchImpl = fetch } = this.options;
    const { maxTries, maxRetryAfterSeconds, requestTimeoutMs, minIntervalMs } = SLACK_POSTING;
    // A release that fails must not turn a delivered post into a failed one: the gate opens by itself
    // once its busy time runs out.
    const release = (ticket: string, opensAtMs: number) => gate.release(ticket, opensAtMs).catch(() => undefined);
    for (let attempt = 1; ; attempt++) {
      const ticket = await gate.acquire(deadlineMs - requestTimeoutMs);
      if (ticket === undefined) throw new SlackPostError('No time left in this invocation to post; handed back to the queue');
      // However the try ends, the next post (anyone's) comes at least an interval after its answer.
      let waitSeconds = minIntervalMs / 1000;
      let response: Response;
      try {
        response = await fetchImpl(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(message),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
      } catch (error) {
        waitSeconds = Math.max(waitSeconds, 2 ** (attempt - 1));
        await release(ticket, nowMs() + waitSeconds * 1000);
        // Network errors can quote the address; keep only the error's kind.
        if (attempt >= maxTries) throw new SlackPostError(`Slack webhook unreachable: ${(error as Error).name}`);
        continue;
      }
      const retryable = response.status === 429 || response.status >= 500;
      if (retryable) {
        const retryAfterSeconds = Number(response.headers.get('retry-after'));
        waitSeconds = Math.max(waitSeconds, Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? retryAfterSeconds : 2 ** (attempt - 1));
      }
      // Every notifier instance waits out a Retry-After: the gate is shared.
      await release(ticket, nowMs() + waitSeconds * 1000);
      if (response.ok) return;
      const bodyText = (await response.text()).slice(0, 200);
      if (!retryable || attempt >= maxTries) {
        throw new SlackPostError(`Slack webhook answered HTTP ${response.status} ${bodyText}`, response.status);
      }
      if (waitSeconds > maxRetryAfterSeconds) {
        throw new SlackPostError(`Slack asked to wait ${waitSeconds} s (Retry-After), longer than the ${maxRetryAfterSeconds} s waited within one invocation`, response.status);
      }
    }
  }
}

/**
 * The longest one notifier invocation can take: per post, every try may wait out the longest
 * Retry-After honoured, then each instance's request (its timeout, one gate poll late) and interval;
 * plus `overheadSeconds` for the secret and the ledger. The notifier's timeout is set above this, so an
 * invocation is never cut off mid-post (and redelivered) by its timeout.
 */
export function notifierWorstCaseSeconds(postsPerInvocation: number, concurrency: number, overheadSeconds: number): number {
  const { maxTries, maxRetryAfterSeconds, minIntervalMs, requestTimeoutMs, gatePollMs } = SLACK_POSTING;
  const perTry = maxRetryAfterSeconds + (concurrency * (requestTimeoutMs + gatePollMs + minIntervalMs)) / 1000;
  return Math.ceil(overheadSeconds + postsPerInvocation * maxTries * perTry);
}

/** How the Slack notifier is deployed (lib/auto-redrive.ts) and run locally (local/stack.ts). */
export const SLACK_NOTIFIER = {
  /** A storm arrives as one batch and is posted as one digest. */
  batchSize: 100,
  maxBatchingWindowSeconds: 20,
  /** The least an SQS event source allows; the shared rate gate keeps the two to Slack's rate. */
  maxConcurrency: 2,
  /** Generous: a batch handed back during a Slack outage counts a receive each time. */
  maxReceiveCount: 10,
  /** Reading the secret and writing claims and marks for a whole batch. */
  overheadSeconds: 15,
} as const;

/**
 * The notifier's timeout: above the worst case of one batch (at most `slackDigestThreshold` single
 * posts, or one digest), and within Lambda's 900 s. With the default threshold of 5: 420 s.
 */
export function notifierTimeoutSeconds(slackDigestThreshold: number): number {
  const posts = Math.min(slackDigestThreshold, SLACK_NOTIFIER.batchSize);
  return Math.min(900, notifierWorstCaseSeconds(posts, SLACK_NOTIFIER.maxConcurrency, SLACK_NOTIFIER.overheadSeconds));
}

/** AWS's advice for an SQS event source: visibility at least six times the timeout, plus the batching window. */
export function notifierVisibilityTimeoutSeconds(slackDigestThreshold: number): number {
  return 6 * notifierTimeoutSeconds(slackDigestThreshold) + SLACK_NOTIFIER.maxBatchingWindowSeconds;
}

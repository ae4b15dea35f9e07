/**
 * Posts to a Slack incoming webhook within Slack's limits: one message per second, and on HTTP 429 wait
 * the Retry-After seconds before trying again. The webhook URL is a secret: it never reaches a log line
 * or an error message.
 */
import type { SlackMessage } from '../core/alerts';

export interface SlackPosterOptions {
  /** Resolves after `ms`; the local stack passes its clock's. */
  sleep: (ms: number) => Promise<void>;
  nowMs: () => number;
  /** Tries per message, including the first. @default 5 */
  maxTries?: number;
  /** Smallest gap between two posts. @default 1000 */
  minIntervalMs?: number;
  fetchImpl?: typeof fetch;
}

export class SlackPostError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'SlackPostError';
  }
}

export class SlackPoster {
  private lastPostAtMs = -Infinity;
  constructor(private readonly options: SlackPosterOptions) {}

  async post(webhookUrl: string, message: SlackMessage): Promise<void> {
    const { sleep, nowMs, maxTries = 5, minIntervalMs = 1000, fetchImpl = fetch } = this.options;
    for (let attempt = 1; ; attempt++) {
      const waitMs = this.lastPostAtMs + minIntervalMs - nowMs();
      if (waitMs > 0) await sleep(waitMs);
      let response: Response;
      try {
        response = await fetchImpl(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
        // Spacing is measured from the answer, so posts arrive at Slack at least the interval apart.
        this.lastPostAtMs = nowMs();
      } catch (error) {
        this.lastPostAtMs = nowMs();
        // Network errors can quote the address; keep only the error's kind.
        if (attempt >= maxTries) throw new SlackPostError(`Slack webhook unreachable: ${(error as Error).name}`);
        await sleep(1000 * 2 ** (attempt - 1));
        continue;
      }
      if (response.ok) return;
      const bodyText = (await response.text()).slice(0, 200);
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable || attempt >= maxTries) {
        throw new SlackPostError(`Slack webhook answered HTTP ${response.status} ${bodyText}`, response.status);
      }
      const retryAfterSeconds = Number(response.headers.get('retry-after'));
      await sleep(Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : 1000 * 2 ** (attempt - 1));
    }
  }
}

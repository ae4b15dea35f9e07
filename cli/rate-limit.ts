/**
 * Client-side rate limiting for Step Functions calls. Step Functions quotas are token buckets per API,
 * per account and region (Step Functions service quotas, https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), shared with the worker and everything else in the account. So
 * the CLI keeps its own bucket per API, well under the quota, and adapts: a throttled call halves that
 * API's rate, and every success wins a little of it back (additive increase, multiplicative decrease).
 *
 * The buckets sit inside the SDK's retry loop (a finalizeRequest middleware), so SDK retries are paced too.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { isThrottling } from '../adapters/sfn';

export interface RateSpec {
  /** Calls that may go out at once after a quiet period. */
  burst: number;
  perSecond: number;
}

/** Regions with the large Step Functions buckets (Step Functions service quotas page). */
const LARGE_REGIONS = new Set(['us-east-1', 'us-west-2', 'eu-west-1']);

/**
 * Our default ceilings, leaving room for the worker and other callers in the same account. AWS (large /
 * other regions): DescribeExecution 300/15 vs 250/10, GetExecutionHistory 400/20, ListExecutions 200/5 vs
 * 100/2, RedriveExecution 1300/300 vs 800/150. ListStateMachines is not in the published table.
 * DescribeExecution and GetExecutionHistory serve the bulk redrive's one evidence call per execution
 * (when the error text is needed) together; RedriveExecution sets its pace otherwise, so it gets most of
 * its quota: 250 of 300/s and a 1,000-call burst of 1,300 in the large regions.
 */
const DEFAULT_RATES: Record<string, { large: RateSpec; other: RateSpec }> = {
  DescribeExecution: { large: { burst: 50, perSecond: 10 }, other: { burst: 40, perSecond: 6 } },
  GetExecutionHistory: { large: { burst: 50, perSecond: 12 }, other: { burst: 50, perSecond: 12 } },
  ListExecutions: { large: { burst: 20, perSecond: 3 }, other: { burst: 10, perSecond: 1 } },
  RedriveExecution: { large: { burst: 1000, perSecond: 250 }, other: { burst: 600, perSecond: 120 } },
  ListStateMachines: { large: { burst: 10, perSecond: 2 }, other: { burst: 10, perSecond: 2 } },
  // `restart`'s new executions share StartExecution (AWS: 1300/300 vs 800/150) with the applications'
  // own starts, so a restart run takes a third of the refill at most.
  StartExecution: { large: { burst: 300, perSecond: 100 }, other: { burst: 200, perSecond: 50 } },
};

export function defaultRates(region: string): Record<string, RateSpec> {
  const size = LARGE_REGIONS.has(region) ? 'large' : 'other';
  return Object.fromEntries(Object.entries(DEFAULT_RATES).map(([api, specs]) => [api, { ...specs[size] }]));
}

/** Where a bucket reads the time and waits: real time in the CLI, a virtual clock in tests. */
export interface LimiterClock {
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

export const REAL_TIME: LimiterClock = {
  nowMs: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Never slower than this, so a run always makes progress. */
const MIN_RATE_PER_SECOND = 0.5;
/** Throttles within this long after a cut answer calls already in flight: one cut per episode. */
const CUT_SPACING_MS = 500;
/** Each success adds this much rate: about a tenth of the current rate regained per second. */
const RECOVERY_PER_SUCCESS = 0.1;

/** One adaptive token bucket. Waiters are served in order, so a burst of callers cannot starve one. */
export class AdaptiveTokenBucket {
  private tokens: number;
  private refilledAtMs: number;
  private currentPerSecond: number;
  private lastCutMs = -Infinity;
  private queue: Promise<void> = Promise.resolve();
  /** Callers queued for a token. */
  private waiting = 0;
  throttled = 0;

  constructor(
    private readonly spec: RateSpec,
    private readonly clock: LimiterClock = REAL_TIME,
  ) {
    this.tokens = spec.burst;
    this.currentPerSecond = spec.perSecond;
    this.refilledAtMs = clock.nowMs();
  }

  /** The rate the bucket currently allows, per second. */
  get ratePerSecond(): number {
    return this.currentPerSecond;
  }

  /** Resolves when a token is available and takes it. */
  take(): Promise<void> {
    this.waiting++;
    const turn = this.queue.then(() => this.waitForToken()).finally(() => this.waiting--);
    this.queue = turn;
    return turn;
  }

  /** Calls of this API under way, SDK retries and their back-off included (set by ApiRateLimiter). */
  inFlight = 0;

  /**
   * How long a call asking now would take to get going: its wait for a token behind those queued, or,
   * if longer, the time our rate needs for the calls already under way (which, when the server throttles
   * them, sit in the SDK's retry back-off where the bucket does not see them).
   */
  expectedWaitMs(): number {
    this.refill();
    const deficit = this.waiting + 1 - this.tokens;
    const queuedMs = deficit <= 0 ? 0 : (deficit / this.currentPerSecond) * 1000;
    return Math.max(queuedMs, (this.inFlight / this.currentPerSecond) * 1000);
  }

  onThrottle(): void {
    this.throttled++;
    const nowMs = this.clock.nowMs();
    if (nowMs - this.lastCutMs < CUT_SPACING_MS) return;
    this.lastCutMs = nowMs;
    this.currentPerSecond = Math.max(MIN_RATE_PER_SECOND, this.currentPerSecond / 2);
    // The server's bucket is empty: stop spending ours until it has had time to refill.
    this.tokens = Math.min(this.tokens, 0);
  }

  onSuccess(): void {
    this.currentPerSecond = Math.min(this.spec.perSecond, this.currentPerSecond + RECOVERY_PER_SUCCESS);
  }

  private refill(): void {
    const nowMs = this.clock.nowMs();
    this.tokens = Math.min(this.spec.burst, this.tokens + ((nowMs - this.refilledAtMs) / 1000) * this.currentPerSecond);
    this.refilledAtMs = nowMs;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.tokens) / this.currentPerSecond) * 1000);
      await this.clock.sleep(waitMs);
    }
  }
}

/** One bucket per API; APIs without a spec are not limited (the SDK's adaptive retry still applies). */
export class ApiRateLimiter {
  private readonly buckets = new Map<string, AdaptiveTokenBucket>();

  constructor(private readonly specs: Record<string, RateSpec>, clock: LimiterClock = REAL_TIME) {
    for (const [api, spec] of Object.entries(specs)) this.buckets.set(api, new AdaptiveTokenBucket(spec, clock));
  }

  /** The configured ceiling of an API, if it is limited. */
  spec(api: string): RateSpec | undefined {
    return this.specs[api];
  }

  /** Of APIs that can answer the same question, the one whose bucket would serve a call first (ties: the first). */
  soonest<Api extends string>(apis: readonly [Api, ...Api[]]): Api {
    let best = apis[0];
    let bestWaitMs = Infinity;
    for (const api of apis) {
      const waitMs = this.buckets.get(api)?.expectedWaitMs() ?? 0;
      if (waitMs < bestWaitMs) [best, bestWaitMs] = [api, waitMs];
    }
    return best;
  }

  /** Throttled answers seen per API (each was retried by the SDK). */
  throttledCounts(): Record<string, number> {
    return Object.fromEntries([...this.buckets].filter(([, b]) => b.throttled > 0).map(([api, b]) => [api, b.throttled]));
  }

  /** Paces every attempt `client` makes, retries included, and adapts to throttling answers. */
  attachTo(client: SFNClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const bucket = this.buckets.get((context.commandName ?? '').replace(/Command$/, ''));
        if (!bucket) return next(args);
        bucket.inFlight++;
        try {
          return await next(args);
        } finally {
          bucket.inFlight--;
        }
      },
      // Above the retry middleware: counts a call once, from its first attempt to its last.
      { step: 'initialize', priority: 'low', name: 'sfnAutoredriveInFlight' },
    );
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const api = (context.commandName ?? '').replace(/Command$/, '');
        const bucket = this.buckets.get(api);
        if (!bucket) return next(args);
        await bucket.take();
        try {
          const result = await next(args);
          bucket.onSuccess();
          return result;
        } catch (error) {
          if (isThrottling(error)) bucket.onThrottle();
          throw error;
        }
      },
      // Below the retry middleware (high priority in this step), so it runs once per attempt.
      { step: 'finalizeRequest', priority: 'low', name: 'sfnAutoredriveRateLimit' },
    );
  }
}

/**
 * The CLI's adaptive rate limiter against the emulator's DescribeExecution token bucket, both on one
 * virtual clock that moves only when the limiter or the retrying caller waits. No wall time is involved,
 * so the number of throttled calls is the same on any machine, however busy.
 */
import { AdaptiveTokenBucket, type LimiterClock } from '../../cli/rate-limit';
import { VirtualClock } from '../../local/clock';
import { Throttler } from '../../local/sfn/throttling';

const START_MS = Date.UTC(2026, 10, 24, 9, 0, 0);
/** The SDK's attempts per call (adapters/clients.ts) and a fixed stand-in for its retry backoff. */
const MAX_ATTEMPTS = 4;
const RETRY_BACKOFF_MS = 100;
/** us-east-1 DescribeExecution refill (local/sfn/throttling.ts). */
const SERVER_REFILL_PER_SECOND = 15;

interface Outcome {
  calls: number;
  attempts: number;
  throttled: number;
  failed: number;
  elapsedMs: number;
}

async function describeStorm(calls: number, concurrency: number, limiterRatePerSecond: number): Promise<{ outcome: Outcome; bucket: AdaptiveTokenBucket }> {
  const clock = new VirtualClock({ startMs: START_MS });
  const time: LimiterClock = { nowMs: () => clock.nowMs(), sleep: (ms) => clock.advance(ms) };
  const server = new Throttler(clock, 'us-east-1');
  // Others in the account (the worker, dashboards) have already spent the server's burst.
  while (server.tryTake('DescribeExecution'));
  const bucket = new AdaptiveTokenBucket({ burst: limiterRatePerSecond, perSecond: limiterRatePerSecond }, time);
  const outcome: Outcome = { calls, attempts: 0, throttled: 0, failed: 0, elapsedMs: 0 };
  let next = 0;
  const worker = async () => {
    while (next < calls) {
      next++;
      let done = false;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS && !done; attempt++) {
        await bucket.take();
        outcome.attempts++;
        if (server.tryTake('DescribeExecution')) {
          bucket.onSuccess();
          done = true;
        } else {
          outcome.throttled++;
          bucket.onThrottle();
          await time.sleep(RETRY_BACKOFF_MS * 2 ** (attempt - 1));
        }
      }
      if (!done) outcome.failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  outcome.elapsedMs = clock.nowMs() - START_MS;
  return { outcome, bucket };
}

describe('adaptive rate limiter against the throttling buckets (virtual clock)', () => {
  it('asked for far more than the bucket allows, finds the real rate itself: some rejections, few, none lost', async () => {
    const { outcome, bucket } = await describeStorm(400, 16, 1000);
    expect(outcome.failed).toBe(0);
    expect(outcome.throttled).toBeGreaterThan(0);
    expect(bucket.throttled).toBe(outcome.throttled);
    expect(outcome.throttled / outcome.attempts).toBeLessThan(0.1);
    // It ends up at the server's pace: not much slower than the refill allows.
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual((400 / SERVER_REFILL_PER_SECOND) * 1000 - 1000);
    expect(outcome.elapsedMs).toBeLessThan((400 / SERVER_REFILL_PER_SECOND) * 1000 * 1.25);
    expect(bucket.ratePerSecond).toBeLessThan(1000);
  });

  it('gives the same result on every run: nothing depends on how fast the machine is', async () => {
    const runs = [await describeStorm(200, 16, 1000), await describeStorm(200, 16, 1000)];
    expect(runs[0].outcome).toEqual(runs[1].outcome);
  });

  it('a caller below the refill rate is never throttled once the burst is behind it', async () => {
    const { outcome } = await describeStorm(100, 4, 10);
    expect(outcome.failed).toBe(0);
    // Only the first calls meet the emptied server bucket; then 10/s fits in its 15/s refill.
    expect(outcome.throttled).toBeLessThanOrEqual(4);
  });
});

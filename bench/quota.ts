/** The quota floor: the least time the token buckets allow for the calls a run made. */
import { bucketSpecFor } from '../local/sfn/throttling';
import { LOCAL_REGION } from '../local/fabric/aws-names';
import type { ApiStats } from '../local/sfn';

export type ApiCounts = Record<string, ApiStats>;

export const STEP_FUNCTIONS_APIS = ['RedriveExecution', 'DescribeExecution', 'GetExecutionHistory', 'ListExecutions'] as const;

/** Calls made between two `stats().apis` snapshots, per API. */
export function callsBetween(before: ApiCounts, after: ApiCounts): ApiCounts {
  const delta: ApiCounts = {};
  for (const [api, stats] of Object.entries(after)) {
    const was = before[api] ?? { calls: 0, throttled: 0, faulted: 0, errors: 0 };
    delta[api] = { calls: stats.calls - was.calls, throttled: stats.throttled - was.throttled, faulted: stats.faulted - was.faulted, errors: stats.errors - was.errors };
  }
  return delta;
}

export interface QuotaFloor {
  seconds: number;
  /** The API whose bucket sets the floor. */
  boundBy: string;
}

/**
 * Calls that got through each took a token: with a full bucket at the start, N of them need at least
 * (N - burst) / refill seconds. Throttled calls took none. The floor is the slowest API's.
 */
export function quotaFloor(calls: ApiCounts, region = LOCAL_REGION): QuotaFloor {
  let floor: QuotaFloor = { seconds: 0, boundBy: 'none (within the burst)' };
  for (const api of STEP_FUNCTIONS_APIS) {
    const stats = calls[api];
    const bucket = bucketSpecFor(api, region);
    if (!stats || !bucket) continue;
    const seconds = Math.max(0, stats.calls - stats.throttled - bucket.capacity) / bucket.refillPerSecond;
    if (seconds > floor.seconds) floor = { seconds, boundBy: `${api} (${bucket.capacity} burst, ${bucket.refillPerSecond}/s)` };
  }
  return floor;
}

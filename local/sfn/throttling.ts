/**
 * Per-API token buckets with the AWS default quotas (per account and region), refilled on the stack
 * clock. Buckets for APIs the quota page does not list use the defaults in OTHER_API_BUCKETS.
 */
import type { Clock } from '../../core/clock';

interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

type RegionalSpec = { largeRegions: BucketSpec; otherRegions: BucketSpec };

const spec = (capacity: number, refillPerSecond: number): BucketSpec => ({ capacity, refillPerSecond });
const regional = (large: BucketSpec, other: BucketSpec): RegionalSpec => ({ largeRegions: large, otherRegions: other });
const everywhere = (bucket: BucketSpec): RegionalSpec => regional(bucket, bucket);

/** https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (API throttling quotas). */
const DOCUMENTED_BUCKETS: Record<string, RegionalSpec> = {
  StartExecution: regional(spec(1300, 300), spec(800, 150)),
  'StartExecution.Express': everywhere(spec(6000, 6000)),
  DescribeExecution: regional(spec(300, 15), spec(250, 10)),
  GetExecutionHistory: everywhere(spec(400, 20)),
  ListExecutions: regional(spec(200, 5), spec(100, 2)),
  RedriveExecution: regional(spec(1300, 300), spec(800, 150)),
  StopExecution: regional(spec(1000, 200), spec(500, 25)),
  DescribeStateMachineForExecution: everywhere(spec(200, 1)),
};

/** Not on the quota page: control-plane defaults in the spirit of the public quota table (unverified). */
const OTHER_API_BUCKETS: Record<string, RegionalSpec> = {
  CreateStateMachine: everywhere(spec(100, 1)),
  DeleteStateMachine: everywhere(spec(100, 1)),
  DescribeStateMachine: everywhere(spec(200, 20)),
  ListStateMachines: everywhere(spec(100, 5)),
  TagResource: everywhere(spec(200, 1)),
  UntagResource: everywhere(spec(200, 1)),
  ListTagsForResource: everywhere(spec(100, 1)),
};

const LARGE_REGIONS = new Set(['us-east-1', 'us-west-2', 'eu-west-1']);

export function bucketSpecFor(api: string, region: string): BucketSpec | undefined {
  const entry = DOCUMENTED_BUCKETS[api] ?? OTHER_API_BUCKETS[api];
  if (!entry) return undefined;
  return LARGE_REGIONS.has(region) ? entry.largeRegions : entry.otherRegions;
}

interface Bucket extends BucketSpec {
  tokens: number;
  refilledAtMs: number;
}

export class Throttler {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    private readonly region: string,
  ) {}

  /** Takes one token for `api`; false means the call is throttled. */
  tryTake(api: string): boolean {
    const bucket = this.bucketFor(api);
    if (!bucket) return true;
    const nowMs = this.clock.nowMs();
    const refill = ((nowMs - bucket.refilledAtMs) / 1000) * bucket.refillPerSecond;
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + refill);
    bucket.refilledAtMs = nowMs;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private bucketFor(api: string): Bucket | undefined {
    let bucket = this.buckets.get(api);
    if (!bucket) {
      const found = bucketSpecFor(api, this.region);
      if (!found) return undefined;
      bucket = { ...found, tokens: found.capacity, refilledAtMs: this.clock.nowMs() };
      this.buckets.set(api, bucket);
    }
    return bucket;
  }
}

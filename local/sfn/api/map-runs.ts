/**
 * DescribeMapRun, ListMapRuns and UpdateMapRun
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html and siblings).
 */
import type { EmulatorContext } from '../context';
import { apiErrors } from '../errors';
import type { MapRunChild, MapRunRecord } from '../map-runs';
import { redrivabilityOf } from '../redrive-rules';
import { findExecution, MAP_RUN_ARN } from './lookup';
import { pageSize, requiredString, type ApiRequest } from './request';
import { epochSeconds } from './views';

function findMapRun(ctx: EmulatorContext, request: ApiRequest): MapRunRecord {
  const arn = requiredString(request, 'mapRunArn', 2000);
  if (!MAP_RUN_ARN.test(arn)) throw apiErrors.invalidArn(arn);
  const mapRun = ctx.mapRuns.byArn.get(arn);
  if (!mapRun) throw apiErrors.resourceNotFound(arn);
  return mapRun;
}

export function describeMapRun(ctx: EmulatorContext, request: ApiRequest): unknown {
  const mapRun = findMapRun(ctx, request);
  const nowMs = ctx.clock.nowMs();
  return {
    mapRunArn: mapRun.arn,
    executionArn: mapRun.parent.arn,
    status: mapRun.status,
    startDate: epochSeconds(mapRun.startDateMs),
    stopDate: mapRun.stopDateMs === undefined ? undefined : epochSeconds(mapRun.stopDateMs),
    maxConcurrency: mapRun.maxConcurrency,
    toleratedFailurePercentage: mapRun.toleratedFailurePercentage ?? 0,
    toleratedFailureCount: mapRun.toleratedFailureCount ?? 0,
    itemCounts: countChildren(mapRun.children, (child) => child.itemCount, nowMs),
    executionCounts: countChildren(mapRun.children, () => 1, nowMs),
    redriveCount: mapRun.redriveCount,
    redriveDate: mapRun.redriveDateMs === undefined ? undefined : epochSeconds(mapRun.redriveDateMs),
  };
}

type Counts = Record<'pending' | 'running' | 'succeeded' | 'failed' | 'timedOut' | 'aborted' | 'total' | 'resultsWritten' | 'failuresNotRedrivable' | 'pendingRedrive', number>;

const COUNT_BY_STATUS = { RUNNING: 'running', SUCCEEDED: 'succeeded', FAILED: 'failed', TIMED_OUT: 'timedOut', ABORTED: 'aborted' } as const;

/** MapRunItemCounts / MapRunExecutionCounts: `weight` is a child's item count, or 1. No ResultWriter, so nothing is written. */
function countChildren(children: MapRunChild[], weight: (child: MapRunChild) => number, nowMs: number): Counts {
  const counts: Counts = { pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, total: 0, resultsWritten: 0, failuresNotRedrivable: 0, pendingRedrive: 0 };
  for (const child of children) {
    const n = weight(child);
    counts.total += n;
    const execution = child.execution;
    if (child.pendingRedrive) counts.pendingRedrive += n;
    if (!execution) {
      counts.pending += n;
      continue;
    }
    counts[COUNT_BY_STATUS[execution.status as keyof typeof COUNT_BY_STATUS]] += n;
    if (execution.status !== 'RUNNING' && execution.status !== 'SUCCEEDED' && redrivabilityOf(execution, nowMs).redriveStatus === 'NOT_REDRIVABLE') {
      counts.failuresNotRedrivable += n;
    }
  }
  return counts;
}

export function listMapRuns(ctx: EmulatorContext, request: ApiRequest): unknown {
  const executionArn = requiredString(request, 'executionArn');
  findExecution(ctx, executionArn);
  const limit = pageSize(request);
  const scope = JSON.stringify(['ListMapRuns', executionArn]);
  const first = typeof request.nextToken === 'string' ? ctx.pageTokens.read<number>(request.nextToken, scope) : 0;
  const mapRuns = ctx.mapRuns.byParent.get(executionArn) ?? [];
  const page = mapRuns.slice(first, first + limit);
  const more = first + limit < mapRuns.length;
  return {
    mapRuns: page.map((mapRun) => ({
      executionArn,
      mapRunArn: mapRun.arn,
      stateMachineArn: mapRun.stateMachineArn,
      startDate: epochSeconds(mapRun.startDateMs),
      stopDate: mapRun.stopDateMs === undefined ? undefined : epochSeconds(mapRun.stopDateMs),
    })),
    ...(more && { nextToken: ctx.pageTokens.issue(scope, first + limit) }),
  };
}

/** UpdateMapRun: maxConcurrency >= 0, toleratedFailureCount >= 0, toleratedFailurePercentage 0..100 (ValidationException otherwise). */
export function updateMapRun(ctx: EmulatorContext, request: ApiRequest): unknown {
  const mapRun = findMapRun(ctx, request);
  const maxConcurrency = optionalNumber(request, 'maxConcurrency', { integer: true, max: Infinity });
  const toleratedFailureCount = optionalNumber(request, 'toleratedFailureCount', { integer: true, max: Infinity });
  const toleratedFailurePercentage = optionalNumber(request, 'toleratedFailurePercentage', { integer: false, max: 100 });
  ctx.mapRuns.update(mapRun, { maxConcurrency, toleratedFailureCount, toleratedFailurePercentage });
  return {};
}

function optionalNumber(request: ApiRequest, member: string, { integer, max }: { integer: boolean; max: number }): number | undefined {
  const value = request[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || (integer && !Number.isInteger(value)) || value < 0 || value > max) {
    const range = max === Infinity ? 'greater than or equal to 0' : `between 0 and ${max}`;
    throw apiErrors.validation(`1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must have value ${range}`);
  }
  return value;
}

/**
 * The Map state in Distributed mode (ProcessorConfig.Mode DISTRIBUTED): reads the items from the state
 * input (ItemsPath), shapes each child execution's input (ItemSelector, then ItemBatcher), and runs them
 * as a Map Run through the host (map-runs.ts); on a redrive of the parent it redrives the Map Run the
 * failed attempt left instead. Records the Map Run events in the parent's history, as AWS does
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html).
 */
import type { Random } from '../rng';
import type { MapRunLauncher, MapRunResult, MapRunSpec } from '../map-runs';
import type { Cancellation } from './cancellation';
import type { ItemBatcherDef, StateDef } from './definition';
import { readField } from './json-path';
import { mapConcurrency } from './map-concurrency';
import { applyPayloadTemplate } from './payload-template';
import type { ScopeRun } from './scope-run';
import { runtimeError, StatesError } from './states-error';

export function isDistributedMap(state: StateDef): boolean {
  return state.Type === 'Map' && state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

export interface DistributedMapVisit {
  name: string;
  state: StateDef;
  context: Record<string, unknown>;
  cancellation: Cancellation;
  trail: { last: number };
}

export interface DistributedMapHost {
  readonly random: Random;
  readonly mapRuns: MapRunLauncher;
  record(type: string, details: Record<string, unknown> | undefined, previousEventId: number): number;
}

/**
 * Runs the state's Map Run, or redrives `previous.mapRunArn`. The outcome is a ScopeRun whose
 * mapRunArn a later redrive of the parent hands back as `previous`.
 */
export async function runDistributedMap(host: DistributedMapHost, visit: DistributedMapVisit, input: unknown, previous: ScopeRun | undefined): Promise<ScopeRun> {
  const { trail, cancellation } = visit;
  const spec = mapRunSpec(host.random, visit, input);
  trail.last = host.record('MapStateStarted', { length: spec.children.reduce((sum, child) => sum + child.itemCount, 0) }, trail.last);
  let started;
  if (previous?.mapRunArn) {
    try {
      started = host.mapRuns.redrive(previous.mapRunArn, cancellation);
    } catch (error) {
      // Past the Map Run's redrive limit the state fails, still holding the Map Run for the next attempt.
      if (!(error instanceof StatesError)) throw error;
      return { status: 'FAILED', error: error.error, cause: error.causeText, mapRunArn: previous.mapRunArn };
    }
    trail.last = host.record('MapRunRedriven', { mapRunArn: started.mapRun.arn, redriveCount: started.mapRun.redriveCount }, trail.last);
  } else {
    started = host.mapRuns.start(spec, cancellation);
    trail.last = host.record('MapRunStarted', { mapRunArn: started.mapRun.arn }, trail.last);
  }
  const mapRunArn = started.mapRun.arn;
  const result: MapRunResult = await started.done;
  if (result.status === 'SUCCEEDED') {
    trail.last = host.record('MapRunSucceeded', undefined, trail.last);
    trail.last = host.record('MapStateSucceeded', undefined, trail.last);
    return { status: 'SUCCEEDED', output: result.outputs, mapRunArn };
  }
  if (result.status === 'FAILED') {
    trail.last = host.record('MapRunFailed', { error: result.error, cause: result.cause }, trail.last);
    return { status: 'FAILED', error: result.error, cause: result.cause, mapRunArn };
  }
  trail.last = host.record('MapRunAborted', undefined, trail.last);
  trail.last = host.record('MapStateAborted', undefined, trail.last);
  return { status: 'ABORTED', mapRunArn };
}

function mapRunSpec(random: Random, { name, state, context }: DistributedMapVisit, input: unknown): MapRunSpec {
  const items = readField('ItemsPath', state.ItemsPath ?? '$', input, context);
  if (!Array.isArray(items)) throw runtimeError(`Map state '${name}': ItemsPath ${state.ItemsPath ?? '$'} did not select an array`);
  const selector = state.ItemSelector ?? state.Parameters;
  const selected =
    selector === undefined
      ? items
      : items.map((value, index) => applyPayloadTemplate(selector, { data: input, context: { ...context, Map: { Item: { Index: index, Value: value, Source: 'STATE_DATA' } } }, random }));
  const { ProcessorConfig: config, ...processor } = state.ItemProcessor!;
  const number = (field: 'ToleratedFailurePercentage' | 'ToleratedFailureCount') =>
    state[field] ?? (state[`${field}Path`] !== undefined ? Number(readField(`${field}Path`, state[`${field}Path`]!, input, context)) : undefined);
  return {
    label: state.Label,
    executionType: config!.ExecutionType!,
    processor,
    children: state.ItemBatcher ? batch(selected, state.ItemBatcher, { data: input, context, random }) : selected.map((item) => ({ input: item, itemCount: 1 })),
    maxConcurrency: mapConcurrency(state, input, context),
    toleratedFailurePercentage: number('ToleratedFailurePercentage'),
    toleratedFailureCount: number('ToleratedFailureCount'),
  };
}

/**
 * Groups items in order into child inputs `{ Items: [...], BatchInput }`, each within MaxItemsPerBatch
 * items and MaxInputBytesPerBatch bytes (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html).
 * Sizes add up per item, so 10,000 items batch in linear time.
 */
function batch(items: unknown[], batcher: ItemBatcherDef, env: { data: unknown; context: unknown; random: Random }): Array<{ input: unknown; itemCount: number }> {
  const limit = (value: number | undefined, path: string | undefined, field: string) =>
    value ?? (path !== undefined ? Number(readField(field, path, env.data, env.context)) : Infinity);
  const maxItems = limit(batcher.MaxItemsPerBatch, batcher.MaxItemsPerBatchPath, 'MaxItemsPerBatchPath');
  const maxBytes = limit(batcher.MaxInputBytesPerBatch, batcher.MaxInputBytesPerBatchPath, 'MaxInputBytesPerBatchPath');
  const batchInput = batcher.BatchInput !== undefined ? applyPayloadTemplate(batcher.BatchInput, env) : undefined;
  const batches: unknown[][] = [];
  let current: unknown[] = [];
  // The bytes of `[item,item]`: brackets plus one comma between items.
  let currentBytes = 2;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item) ?? 'null');
    if (current.length > 0 && (current.length >= maxItems || currentBytes + 1 + size > maxBytes)) {
      batches.push(current);
      current = [];
      currentBytes = 2;
    }
    currentBytes += size + (current.length > 0 ? 1 : 0);
    current.push(item);
  }
  if (current.length > 0) batches.push(current);
  return batches.map((Items) => ({ input: batchInput === undefined ? { Items } : { Items, BatchInput: batchInput }, itemCount: Items.length }));
}

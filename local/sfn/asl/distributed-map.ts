/**
 * The Map state in Distributed mode (ProcessorConfig.Mode DISTRIBUTED): takes the items the state's query
 * language selected and shaped (JSONPath: ItemsPath and ItemSelector here; JSONata: Items and ItemSelector
 * in jsonata-states.ts), batches them (ItemBatcher) into child inputs, and runs them as a Map Run through
 * the host (map-runs.ts); on a redrive of the parent it redrives the Map Run the failed attempt left
 * instead. Records the Map Run events in the parent's history, as AWS does
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html). The order of the
 * fields is AWS's: items, ItemSelector, ItemBatcher
 * (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-fields-dist-map.html).
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
export async function runDistributedMap(host: DistributedMapHost, visit: DistributedMapVisit, spec: MapRunSpec, previous: ScopeRun | undefined): Promise<ScopeRun> {
  const { trail, cancellation } = visit;
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

/** What a Map state resolved for its Map Run, in either query language: the values, no paths nor expressions. */
export interface MapRunValues {
  /** The items after ItemSelector, in order. */
  selected: unknown[];
  batching?: BatchLimits;
  maxConcurrency: number;
  toleratedFailurePercentage?: number;
  toleratedFailureCount?: number;
}

export interface BatchLimits {
  maxItems: number;
  maxBytes: number;
  /** Absent when the ItemBatcher has no BatchInput. */
  batchInput?: unknown;
}

/**
 * The Map Run of a state, from its resolved values. The children run the ItemProcessor's states as a
 * state machine of their own, in the ItemProcessor's QueryLanguage or else the parent machine's
 * (`jsonataByDefault`), as states nested in a Map follow the machine's language.
 */
export function mapRunSpec(state: StateDef, jsonataByDefault: boolean, values: MapRunValues): MapRunSpec {
  const { ProcessorConfig: config, ...processor } = state.ItemProcessor!;
  const language = processor.QueryLanguage ?? (jsonataByDefault ? 'JSONata' : undefined);
  return {
    label: state.Label,
    executionType: config!.ExecutionType!,
    processor: language ? { ...processor, QueryLanguage: language } : processor,
    children: values.batching ? batch(values.selected, values.batching) : values.selected.map((item) => ({ input: item, itemCount: 1 })),
    maxConcurrency: values.maxConcurrency,
    toleratedFailurePercentage: values.toleratedFailurePercentage,
    toleratedFailureCount: values.toleratedFailureCount,
  };
}

/** A JSONPath state's values: ItemsPath, ItemSelector (or Parameters) and the numbers or their `…Path` fields. */
export function jsonPathMapRunValues(random: Random, { name, state, context }: DistributedMapVisit, input: unknown): MapRunValues {
  const items = readField('ItemsPath', state.ItemsPath ?? '$', input, context);
  if (!Array.isArray(items)) throw runtimeError(`Map state '${name}': ItemsPath ${state.ItemsPath ?? '$'} did not select an array`);
  const selector = state.ItemSelector ?? state.Parameters;
  const selected =
    selector === undefined
      ? items
      : items.map((value, index) => applyPayloadTemplate(selector, { data: input, context: { ...context, Map: { Item: { Index: index, Value: value, Source: 'STATE_DATA' } } }, random }));
  const number = (value: unknown, path: string | undefined, pathField: string) =>
    (value as number | undefined) ?? (path !== undefined ? Number(readField(pathField, path, input, context)) : undefined);
  const batcher: ItemBatcherDef | undefined = state.ItemBatcher;
  return {
    selected,
    batching: batcher && {
      maxItems: number(batcher.MaxItemsPerBatch, batcher.MaxItemsPerBatchPath, 'MaxItemsPerBatchPath') ?? Infinity,
      maxBytes: number(batcher.MaxInputBytesPerBatch, batcher.MaxInputBytesPerBatchPath, 'MaxInputBytesPerBatchPath') ?? Infinity,
      batchInput: batcher.BatchInput !== undefined ? applyPayloadTemplate(batcher.BatchInput, { data: input, context, random }) : undefined,
    },
    maxConcurrency: mapConcurrency(state, input, context),
    toleratedFailurePercentage: number(state.ToleratedFailurePercentage, state.ToleratedFailurePercentagePath, 'ToleratedFailurePercentagePath'),
    toleratedFailureCount: number(state.ToleratedFailureCount, state.ToleratedFailureCountPath, 'ToleratedFailureCountPath'),
  };
}

/**
 * Groups items in order into child inputs `{ Items: [...], BatchInput }`, each within MaxItemsPerBatch
 * items and MaxInputBytesPerBatch bytes (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html).
 * Sizes add up per item, so 10,000 items batch in linear time.
 */
function batch(items: unknown[], { maxItems, maxBytes, batchInput }: BatchLimits): Array<{ input: unknown; itemCount: number }> {
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

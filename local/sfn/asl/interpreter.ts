/**
 * The ASL interpreter (JSONPath query language). Runs a scope state by state, records history events
 * through its host, waits on the stack clock, and returns a ScopeRun describing where it stopped so a
 * redrive can resume failed states, branches and iterations only.
 */
import type { StackClock } from '../../clock';
import type { Random } from '../rng';
import { Cancellation, RunCancelled } from './cancellation';
import { evaluateRule } from './choice-rules';
import { isDistributedMap, runDistributedMap } from './distributed-map';
import type { CatcherDef, RetrierDef, StateDef, StatesScope } from './definition';
import { applyResultPath, readField, selectPath } from './json-path';
import { applyPayloadTemplate, resolveExpression } from './payload-template';
import type { ScopeRun } from './scope-run';
import { runtimeError, RuntimeFault, StatesError } from './states-error';
import { waitDueMs } from './wait-time';
import { NOT_TRUNCATED } from '../history';
import { exceedsPayloadQuota } from '../payload-quota';
import type { MapRunLauncher } from '../map-runs';

/** The `$$.Execution` / `$$.StateMachine` part of the context object. */
export interface ExecutionContext {
  Execution: { Id: string; Name: string; StartTime: string; Input: unknown; RoleArn: string; RedriveCount: number; RedriveTime?: string };
  StateMachine: { Id: string; Name: string };
}

export interface TaskInvocation {
  stateName: string;
  resource: string;
  parameters: unknown;
  context: Record<string, unknown>;
}

export interface RunHost {
  readonly clock: StackClock;
  readonly random: Random;
  /** Appends a history event (ignored once the execution closed); returns the id of the event now last. */
  record(type: string, details: Record<string, unknown> | undefined, previousEventId: number): number;
  invokeTask(invocation: TaskInvocation, cancellation: Cancellation): Promise<unknown>;
  /** Waits on the stack clock; rejects with RunCancelled when cancelled. */
  sleepUntil(dueMs: number, cancellation: Cancellation): Promise<void>;
  /** Runs the Map Runs of Distributed Map states (distributed-map.ts). */
  readonly mapRuns: MapRunLauncher;
}

/** The id of the last event recorded in a scope, which the next event names as previousEventId. */
interface Trail {
  last: number;
}

/** One visit of a state: what every step of running it needs. */
interface StateVisit {
  name: string;
  state: StateDef;
  context: Record<string, unknown>;
  cancellation: Cancellation;
  trail: Trail;
}

interface Step {
  output: unknown;
  next?: string;
}

/** Child runs of a Parallel/Map state, attached to the error that ends it. */
const childRuns = new WeakMap<Error, ScopeRun[]>();

function withChildren<E extends Error>(error: E, children: ScopeRun[]): E {
  childRuns.set(error, children);
  return error;
}

/** Errors States.ALL and States.TaskFailed do not match. */
const TERMINAL_ERRORS = new Set(['States.Runtime', 'States.DataLimitExceeded']);

export function errorMatches(errorEquals: string[], error: string): boolean {
  return errorEquals.some(
    (name) =>
      name === error ||
      (name === 'States.ALL' && !TERMINAL_ERRORS.has(error)) ||
      (name === 'States.TaskFailed' && error !== 'States.Timeout' && !TERMINAL_ERRORS.has(error)),
  );
}

/** Delay before retry number `retriesSoFar + 1`, in ms. */
export function retryDelayMs(retrier: RetrierDef, retriesSoFar: number, random: Random): number {
  let seconds = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** retriesSoFar;
  if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
  if (retrier.JitterStrategy === 'FULL') seconds *= random();
  return Math.round(seconds * 1000);
}

/** The state types that take a Retry field. */
const RETRYING_TYPES = new Set<StateDef['Type']>(['Task', 'Parallel', 'Map']);

const json = (value: unknown) => JSON.stringify(value) ?? 'null';

export class Interpreter {
  constructor(
    private readonly host: RunHost,
    private readonly execution: ExecutionContext,
  ) {}

  runScope(scope: StatesScope, input: unknown, cancellation: Cancellation, lastEventId: number, resume?: ScopeRun): Promise<ScopeRun> {
    return this.scope(scope, input, cancellation, { last: lastEventId }, resume);
  }

  private async scope(scope: StatesScope, input: unknown, cancellation: Cancellation, trail: Trail, resume?: ScopeRun): Promise<ScopeRun> {
    let stateName = resume?.stoppedAt?.stateName ?? scope.StartAt;
    let data = resume?.stoppedAt ? resume.stoppedAt.input : input;
    let resumeChildren = resume?.stoppedAt?.children;
    for (;;) {
      try {
        cancellation.throwIfCancelled();
        const step = await this.state(stateName, scope.States[stateName], data, cancellation, trail, resumeChildren);
        resumeChildren = undefined;
        if (step.next === undefined) return { status: 'SUCCEEDED', output: step.output };
        stateName = step.next;
        data = step.output;
      } catch (error) {
        const stoppedAt = { stateName, input: data, children: childRuns.get(error as Error) };
        if (error instanceof StatesError) return { status: 'FAILED', error: error.error, cause: error.causeText, stoppedAt };
        if (error instanceof RunCancelled) return { status: 'ABORTED', stoppedAt };
        throw error;
      }
    }
  }

  private async state(
    name: string,
    state: StateDef,
    rawInput: unknown,
    cancellation: Cancellation,
    trail: Trail,
    resumeChildren: ScopeRun[] | undefined,
  ): Promise<Step> {
    const context = this.contextFor(name, state);
    trail.last = this.host.record(`${state.Type}StateEntered`, { name, input: json(rawInput), inputDetails: NOT_TRUNCATED }, trail.last);
    const enteredEventId = trail.last;
    let step: Step;
    try {
      step = await this.execute({ name, state, context, cancellation, trail }, rawInput, resumeChildren);
    } catch (error) {
      if (error instanceof RuntimeFault) throw error.attributedTo(name, enteredEventId);
      if (error instanceof StatesError || error instanceof RunCancelled) throw error;
      throw new RuntimeFault((error as Error).message).attributedTo(name, enteredEventId);
    }
    const output = json(step.output);
    if (exceedsPayloadQuota(output)) throw dataLimitExceeded(name);
    trail.last = this.host.record(`${state.Type}StateExited`, { name, output, outputDetails: NOT_TRUNCATED }, trail.last);
    return step;
  }

  /** `$$`: AWS gives `State.RetryCount` only to the states that can retry, not to a Pass state (AWS-recorded). */
  private contextFor(stateName: string, state: StateDef): Record<string, unknown> {
    const entered = { Name: stateName, EnteredTime: new Date(this.host.clock.nowMs()).toISOString() };
    return { ...this.execution, State: RETRYING_TYPES.has(state.Type) ? { ...entered, RetryCount: 0 } : entered };
  }

  private env(data: unknown, context: unknown) {
    return { data, context, random: this.host.random };
  }

  private execute(visit: StateVisit, rawInput: unknown, resumeChildren: ScopeRun[] | undefined): Promise<Step> | Step {
    const { name, state, context, cancellation } = visit;
    const input = selectPath('InputPath', state.InputPath, rawInput, context);
    const next = state.End ? undefined : state.Next;
    switch (state.Type) {
      case 'Pass': {
        const result =
          state.Result !== undefined ? state.Result : state.Parameters !== undefined ? applyPayloadTemplate(state.Parameters, this.env(input, context)) : input;
        return { output: selectPath('OutputPath', state.OutputPath, applyResultPath(state.ResultPath, rawInput, result), context), next };
      }
      case 'Succeed':
        return { output: selectPath('OutputPath', state.OutputPath, input, context) };
      case 'Fail':
        throw this.failError(state, input, context);
      case 'Choice': {
        const rule = state.Choices!.find((choice) => evaluateRule(choice, input, context));
        const target = (rule?.Next as string | undefined) ?? state.Default;
        if (!target) throw new StatesError('States.NoChoiceMatched', `No Choice Rules matched and no Default was specified in state '${name}'`);
        return { output: selectPath('OutputPath', state.OutputPath, input, context), next: target };
      }
      case 'Wait':
        return this.wait(state, input, context, cancellation).then(() => ({ output: selectPath('OutputPath', state.OutputPath, input, context), next }));
      case 'Task':
      case 'Parallel':
      case 'Map':
        return this.withRetryAndCatch(visit, rawInput, (attemptChildren) => this.work(visit, input, attemptChildren), resumeChildren);
    }
  }

  private failError(state: StateDef, input: unknown, context: unknown): StatesError {
    const env = this.env(input, context);
    const error = state.ErrorPath !== undefined ? resolveExpression('ErrorPath', state.ErrorPath, env) : state.Error;
    const cause = state.CausePath !== undefined ? resolveExpression('CausePath', state.CausePath, env) : state.Cause;
    return new StatesError(String(error ?? ''), String(cause ?? ''));
  }

  private async wait(state: StateDef, input: unknown, context: unknown, cancellation: Cancellation): Promise<void> {
    const nowMs = this.host.clock.nowMs();
    const dueMs = waitDueMs(state, input, context, nowMs);
    if (dueMs > nowMs) await this.host.sleepUntil(dueMs, cancellation);
  }

  private async withRetryAndCatch(
    { state, context, cancellation, trail }: StateVisit,
    rawInput: unknown,
    attempt: (resumeChildren: ScopeRun[] | undefined) => Promise<unknown>,
    resumeChildren: ScopeRun[] | undefined,
  ): Promise<Step> {
    const retriers = state.Retry ?? [];
    const retriesSoFar = retriers.map(() => 0);
    // Only the first attempt after a redrive resumes children; a retry reruns the whole state, as AWS does.
    let children = resumeChildren;
    for (;;) {
      try {
        const result = await attempt(children);
        const selected = state.ResultSelector !== undefined ? applyPayloadTemplate(state.ResultSelector, this.env(result, context)) : result;
        return {
          output: selectPath('OutputPath', state.OutputPath, applyResultPath(state.ResultPath, rawInput, selected), context),
          next: state.End ? undefined : state.Next,
        };
      } catch (error) {
        children = undefined;
        if (!(error instanceof StatesError)) throw error;
        const index = retriers.findIndex((retrier) => errorMatches(retrier.ErrorEquals, error.error));
        if (index >= 0 && retriesSoFar[index] < (retriers[index].MaxAttempts ?? 3)) {
          const delayMs = retryDelayMs(retriers[index], retriesSoFar[index]++, this.host.random);
          (context.State as { RetryCount: number }).RetryCount++;
          await this.host.sleepUntil(this.host.clock.nowMs() + delayMs, cancellation);
          continue;
        }
        // AWS records a Parallel or Map state's failure once, after its last attempt.
        if (childRuns.has(error)) trail.last = this.host.record(`${state.Type}StateFailed`, undefined, trail.last);
        const catcher = (state.Catch ?? []).find((c: CatcherDef) => errorMatches(c.ErrorEquals, error.error));
        if (!catcher) throw error;
        const errorOutput = { Error: error.error, Cause: error.causeText };
        return { output: applyResultPath(catcher.ResultPath === undefined ? '$' : catcher.ResultPath, rawInput, errorOutput), next: catcher.Next };
      }
    }
  }

  private work(visit: StateVisit, input: unknown, resumeChildren: ScopeRun[] | undefined): Promise<unknown> {
    const { state, context } = visit;
    if (isDistributedMap(state)) return this.distributedMap(visit, input, resumeChildren);
    if (state.Type === 'Map') return this.map(visit, input, resumeChildren);
    const effective = state.Parameters !== undefined ? applyPayloadTemplate(state.Parameters, this.env(input, context)) : input;
    if (state.Type === 'Parallel') return this.parallel(visit, effective, resumeChildren);
    return this.task(visit, effective, input);
  }

  private async task({ name, state, context, cancellation, trail }: StateVisit, parameters: unknown, input: unknown): Promise<unknown> {
    const resource = state.Resource!;
    const [resourceType, resourceName] = describeResource(resource);
    const timeoutSeconds = state.TimeoutSeconds ?? (state.TimeoutSecondsPath ? Number(readField('TimeoutSecondsPath', state.TimeoutSecondsPath, input, context)) : undefined);
    trail.last = this.host.record(
      'TaskScheduled',
      { resourceType, resource: resourceName, region: regionOf(this.execution.StateMachine.Id), parameters: json(parameters), ...(timeoutSeconds ? { timeoutInSeconds: timeoutSeconds } : {}) },
      trail.last,
    );
    trail.last = this.host.record('TaskStarted', { resourceType, resource: resourceName }, trail.last);
    const taskCancellation = new Cancellation(cancellation);
    let timedOut = false;
    const stopTimer = timeoutSeconds
      ? this.host.clock.setTimer(this.host.clock.nowMs() + timeoutSeconds * 1000, () => {
          timedOut = true;
          taskCancellation.cancel();
        })
      : undefined;
    try {
      const output = await taskCancellation.race(this.host.invokeTask({ stateName: name, resource, parameters, context }, taskCancellation));
      const outputText = json(output);
      if (exceedsPayloadQuota(outputText)) throw dataLimitExceeded(resource);
      trail.last = this.host.record('TaskSucceeded', { resourceType, resource: resourceName, output: outputText, outputDetails: NOT_TRUNCATED }, trail.last);
      return output;
    } catch (error) {
      if (error instanceof RunCancelled && timedOut) {
        trail.last = this.host.record('TaskTimedOut', { resourceType, resource: resourceName, error: 'States.Timeout', cause: '' }, trail.last);
        throw new StatesError('States.Timeout', `Task '${name}' timed out after ${timeoutSeconds} seconds`);
      }
      if (error instanceof RunCancelled) throw error;
      const failure = error instanceof StatesError ? error : new StatesError('States.TaskFailed', String((error as Error)?.message ?? error));
      trail.last = this.host.record('TaskFailed', { resourceType, resource: resourceName, error: failure.error, cause: failure.causeText }, trail.last);
      throw failure;
    } finally {
      stopTimer?.();
      taskCancellation.dispose();
    }
  }

  private async parallel({ state, cancellation, trail }: StateVisit, input: unknown, resumeChildren: ScopeRun[] | undefined): Promise<unknown[]> {
    trail.last = this.host.record('ParallelStateStarted', undefined, trail.last);
    const group = new Cancellation(cancellation);
    const runs = await Promise.all(
      state.Branches!.map(async (branch, i) => {
        const previous = resumeChildren?.[i];
        if (previous?.status === 'SUCCEEDED') return previous;
        const branchCancellation = new Cancellation(group);
        const run = await this.scope(branch, input, branchCancellation, { last: trail.last }, previous);
        branchCancellation.dispose();
        if (run.status === 'FAILED') group.cancel();
        return run;
      }),
    );
    group.dispose();
    return this.settleChildren('Parallel', runs, trail);
  }

  private async map(visit: StateVisit, input: unknown, resumeChildren: ScopeRun[] | undefined): Promise<unknown[]> {
    const { name, state, context, cancellation, trail } = visit;
    const items = readField('ItemsPath', state.ItemsPath ?? '$', input, context);
    if (!Array.isArray(items)) throw runtimeError(`Map state '${name}': ItemsPath ${state.ItemsPath ?? '$'} did not select an array`);
    const processor = (state.ItemProcessor ?? state.Iterator)!;
    const selector = state.ItemSelector ?? state.Parameters;
    trail.last = this.host.record('MapStateStarted', { length: items.length }, trail.last);
    const group = new Cancellation(cancellation);
    const runs: ScopeRun[] = new Array(items.length);
    const iteration = async (index: number): Promise<ScopeRun> => {
      const previous = resumeChildren?.[index];
      if (previous?.status === 'SUCCEEDED') return previous;
      const itemContext = { ...context, Map: { Item: { Index: index, Value: items[index] } } };
      const itemInput = selector !== undefined ? applyPayloadTemplate(selector, this.env(input, itemContext)) : items[index];
      if (group.isCancelled) return previous ?? { status: 'ABORTED', stoppedAt: { stateName: processor.StartAt, input: itemInput } };
      const iterationTrail = { last: this.host.record('MapIterationStarted', { name, index }, trail.last) };
      const iterationCancellation = new Cancellation(group);
      const run = await this.scope(processor, itemInput, iterationCancellation, iterationTrail, previous);
      iterationCancellation.dispose();
      const outcome = run.status === 'SUCCEEDED' ? 'Succeeded' : run.status === 'FAILED' ? 'Failed' : 'Aborted';
      this.host.record(`MapIteration${outcome}`, { name, index }, iterationTrail.last);
      if (run.status === 'FAILED') group.cancel();
      return run;
    };
    let nextIndex = 0;
    const worker = async () => {
      while (nextIndex < items.length) {
        const index = nextIndex++;
        runs[index] = await iteration(index);
      }
    };
    const concurrency = state.MaxConcurrency ? Math.min(state.MaxConcurrency, items.length) : items.length;
    await Promise.all(Array.from({ length: concurrency }, worker));
    group.dispose();
    return this.settleChildren('Map', runs, trail);
  }

  /** The Map Run is the state's one child: a redrive of the parent hands it back to be redriven. */
  private async distributedMap(visit: StateVisit, input: unknown, resumeChildren: ScopeRun[] | undefined): Promise<unknown> {
    const run = await runDistributedMap(this.host, visit, input, resumeChildren?.[0]);
    if (run.status === 'SUCCEEDED') return run.output;
    throw withChildren(run.status === 'FAILED' ? new StatesError(run.error!, run.cause!) : new RunCancelled(), [run]);
  }

  private settleChildren(kind: 'Parallel' | 'Map', runs: ScopeRun[], trail: Trail): unknown[] {
    const failed = runs.find((run) => run.status === 'FAILED');
    // `<kind>StateFailed` is recorded once the state gives up (withRetryAndCatch), not after each attempt.
    if (failed) throw withChildren(new StatesError(failed.error ?? '', failed.cause ?? ''), runs);
    if (runs.some((run) => run.status === 'ABORTED')) {
      trail.last = this.host.record(`${kind}StateAborted`, undefined, trail.last);
      throw withChildren(new RunCancelled(), runs);
    }
    trail.last = this.host.record(`${kind}StateSucceeded`, undefined, trail.last);
    return runs.map((run) => run.output);
  }
}

/** AWS's cause names the state, or for a task result the resource. */
function dataLimitExceeded(stateOrResource: string): StatesError {
  return new StatesError('States.DataLimitExceeded', `The state/task '${stateOrResource}' returned a result with a size exceeding the maximum number of bytes service limit.`);
}

/** History `resourceType` / `resource`: `arn:aws:states:::lambda:invoke` -> ['lambda', 'invoke']. */
function describeResource(resource: string): [string, string] {
  const integration = /^arn:[^:]+:states:::([^:]+):(.+)$/.exec(resource);
  if (integration) return [integration[1], integration[2]];
  const service = resource.split(':')[2] ?? 'unknown';
  return [service, resource];
}

function regionOf(arn: string): string {
  return arn.split(':')[3] ?? '';
}

/**
 * The ASL interpreter (JSONPath and JSONata states). Runs a scope state by state, records history events
 * through its host, waits on the stack clock, and returns a ScopeRun describing where it stopped so a
 * redrive can resume failed states, branches and iterations only.
 */
import type { StackClock } from '../../clock';
import type { Random } from '../rng';
import { Cancellation, RunCancelled } from './cancellation';
import { evaluateRule } from './choice-rules';
import { isCallbackResource, type CatcherDef, type ParsedDefinition, type RetrierDef, type StateDef, type StatesScope } from './definition';
import { JsonataStates } from './jsonata-states';
import { applyResultPath, readField, selectPath, withVariables } from './json-path';
import { isDistributedMap, jsonPathMapRunValues, mapRunSpec, runDistributedMap, type MapRunValues } from './distributed-map';
import { applyPayloadTemplate, resolveExpression } from './payload-template';
import type { ScopeRun } from './scope-run';
import { runtimeError, RuntimeFault, StatesError } from './states-error';
import { mapConcurrency } from './map-concurrency';
import { VariableScope } from './variables';
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
  /** Set for `.waitForTaskToken` resources: the token the integration hands to whoever answers. */
  taskToken?: string;
}

export interface RunHost {
  readonly clock: StackClock;
  readonly random: Random;
  /** Appends a history event (ignored once the execution closed); returns the id of the event now last. */
  record(type: string, details: Record<string, unknown> | undefined, previousEventId: number): number;
  invokeTask(invocation: TaskInvocation, cancellation: Cancellation): Promise<unknown>;
  /** A fresh task token for one attempt of a `.waitForTaskToken` Task. */
  issueTaskToken(): string;
  /**
   * Waits for the answer to `token`: SendTaskSuccess's output, or a StatesError for SendTaskFailure or
   * States.HeartbeatTimeout (no answer nor heartbeat for `heartbeatSeconds`); RunCancelled when cancelled.
   */
  awaitCallback(token: string, heartbeatSeconds: number | undefined, cancellation: Cancellation): Promise<unknown>;
  /** The token's task is over: later answers get TaskTimedOut. */
  closeTaskToken(token: string): void;
  /** Waits on the stack clock; rejects with RunCancelled when cancelled. */
  sleepUntil(dueMs: number, cancellation: Cancellation): Promise<void>;
  /** Runs Parallel branches or Map workers side by side, so the host can tell when all of them wait. */
  concurrently<T>(strands: Array<() => Promise<T>>): Promise<T[]>;
  /** Runs the Map Runs of Distributed Map states (distributed-map.ts). */
  readonly mapRuns: MapRunLauncher;
}

/** The id of the last event recorded in a scope, which the next event names as previousEventId. */
export interface Trail {
  last: number;
}

/** One visit of a state: what every step of running it needs. */
export interface StateVisit {
  name: string;
  state: StateDef;
  context: Record<string, unknown>;
  cancellation: Cancellation;
  trail: Trail;
  variables: VariableScope;
  /** The id of the state's StateEntered event, which a JSONata failure's cause names. */
  enteredEventId: number;
}

/** How a Task, Parallel or Map state turns its result, or a caught error, into the step it takes. */
export interface Settle {
  success(result: unknown): Promise<Step> | Step;
  caught(catcher: CatcherDef, errorOutput: { Error: string; Cause: string }): Promise<Step> | Step;
}

/** A Task's limits, resolved before it starts. */
export interface TaskLimits {
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
}

export interface Step {
  output: unknown;
  next?: string;
  /** Variables the state's Assign (or its matched Choice rule's or catcher's) evaluated. */
  assigned?: Record<string, unknown>;
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
  /** The machine's QueryLanguage, which every state without its own follows (nested ones included). */
  private jsonataByDefault = false;
  private readonly jsonata: JsonataStates;

  constructor(
    private readonly host: RunHost,
    private readonly execution: ExecutionContext,
  ) {
    this.jsonata = new JsonataStates(host, {
      wait: (fields, visit) => this.wait(fields, undefined, visit.context, visit.cancellation),
      withRetryAndCatch: (visit, attempt, resumeChildren, settle) => this.withRetryAndCatch(visit, attempt, resumeChildren, settle),
      map: (visit, items, select, resumeChildren, maxConcurrency) => this.map(visit, items, select, resumeChildren, maxConcurrency),
      parallel: (visit, input, resumeChildren) => this.parallel(visit, input, resumeChildren),
      distributedMap: (visit, values, resumeChildren) => this.distributedMap(visit, values, resumeChildren),
      task: (visit, parameters, limits) => this.task(visit, parameters, limits),
    });
  }

  runScope(scope: ParsedDefinition, input: unknown, cancellation: Cancellation, lastEventId: number, resume?: ScopeRun): Promise<ScopeRun> {
    this.jsonataByDefault = scope.QueryLanguage === 'JSONata';
    return this.scope(scope, input, cancellation, { last: lastEventId }, new VariableScope(undefined, resume?.stoppedAt?.variables), resume);
  }

  private async scope(
    scope: StatesScope,
    input: unknown,
    cancellation: Cancellation,
    trail: Trail,
    variables: VariableScope,
    resume?: ScopeRun,
  ): Promise<ScopeRun> {
    let stateName = resume?.stoppedAt?.stateName ?? scope.StartAt;
    let data = resume?.stoppedAt ? resume.stoppedAt.input : input;
    let resumeChildren = resume?.stoppedAt?.children;
    for (;;) {
      try {
        cancellation.throwIfCancelled();
        const step = await this.state(stateName, scope.States[stateName], data, cancellation, trail, resumeChildren, variables);
        resumeChildren = undefined;
        if (step.next === undefined) return { status: 'SUCCEEDED', output: step.output };
        stateName = step.next;
        data = step.output;
      } catch (error) {
        // redrive-executions.html: a Parallel or Map state that failed with States.DataLimitExceeded is rerun whole
        // on redrive (a Distributed Map starts a new Map Run), so its children are not kept for resuming.
        const dataLimit = error instanceof StatesError && error.error === 'States.DataLimitExceeded';
        const stoppedAt = { stateName, input: data, children: dataLimit ? undefined : childRuns.get(error as Error), variables: variables.snapshot() };
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
    variables: VariableScope,
  ): Promise<Step> {
    const context = this.contextFor(name, state, variables);
    trail.last = this.host.record(`${state.Type}StateEntered`, { name, input: json(rawInput), inputDetails: NOT_TRUNCATED }, trail.last);
    const enteredEventId = trail.last;
    let step: Step;
    let output: string;
    try {
      step = await this.execute({ name, state, context, cancellation, trail, variables, enteredEventId }, rawInput, resumeChildren);
      output = json(step.output);
      // Over the quota the state fails before it exits, so its Assign never takes effect.
      if (exceedsPayloadQuota(output)) throw dataLimitExceeded(name);
      if (step.assigned) variables.assign(step.assigned);
    } catch (error) {
      if (error instanceof RuntimeFault) throw error.attributedTo(name, enteredEventId);
      if (error instanceof StatesError || error instanceof RunCancelled) throw error;
      throw new RuntimeFault((error as Error).message).attributedTo(name, enteredEventId);
    }
    trail.last = this.host.record(`${state.Type}StateExited`, { name, output, outputDetails: NOT_TRUNCATED, ...assignedDetails(step.assigned) }, trail.last);
    return step;
  }

  /**
   * `$$` (with the variables the state can read): AWS gives `State.RetryCount` only to the states that
   * can retry, not to a Pass state (AWS-recorded).
   */
  private contextFor(stateName: string, state: StateDef, variables: VariableScope): Record<string, unknown> {
    const entered = { Name: stateName, EnteredTime: new Date(this.host.clock.nowMs()).toISOString() };
    return withVariables({ ...this.execution, State: RETRYING_TYPES.has(state.Type) ? { ...entered, RetryCount: 0 } : entered }, variables);
  }

  /** Evaluates an Assign like a payload template whose `$` is `data`, reading variables as they were on state entry. */
  private assignments(assign: Record<string, unknown> | undefined, data: unknown, context: unknown): Record<string, unknown> | undefined {
    return assign === undefined ? undefined : (applyPayloadTemplate(assign, this.env(data, context)) as Record<string, unknown>);
  }

  private env(data: unknown, context: unknown) {
    return { data, context, random: this.host.random };
  }

  private execute(visit: StateVisit, rawInput: unknown, resumeChildren: ScopeRun[] | undefined): Promise<Step> | Step {
    if (this.isJsonata(visit.state)) return this.jsonata.execute(visit, rawInput, resumeChildren);
    const { name, state, context, cancellation } = visit;
    const input = selectPath('InputPath', state.InputPath, rawInput, context);
    const next = state.End ? undefined : state.Next;
    switch (state.Type) {
      case 'Pass': {
        const result =
          state.Result !== undefined ? state.Result : state.Parameters !== undefined ? applyPayloadTemplate(state.Parameters, this.env(input, context)) : input;
        return {
          output: selectPath('OutputPath', state.OutputPath, applyResultPath(state.ResultPath, rawInput, result), context),
          next,
          assigned: this.assignments(state.Assign, result, context),
        };
      }
      case 'Succeed':
        return { output: selectPath('OutputPath', state.OutputPath, input, context) };
      case 'Fail':
        throw this.failError(state, input, context);
      case 'Choice': {
        const rule = state.Choices!.find((choice) => evaluateRule(choice, input, context));
        const target = (rule?.Next as string | undefined) ?? state.Default;
        if (!target) throw new StatesError('States.NoChoiceMatched', `No Choice Rules matched and no Default was specified in state '${name}'`);
        // A matched rule's Assign applies; the state's own Assign goes with the Default.
        const assign = rule ? (rule.Assign as Record<string, unknown> | undefined) : state.Assign;
        return { output: selectPath('OutputPath', state.OutputPath, input, context), next: target, assigned: this.assignments(assign, input, context) };
      }
      case 'Wait':
        return this.wait(state, input, context, cancellation).then(() => ({
          output: selectPath('OutputPath', state.OutputPath, input, context),
          next,
          assigned: this.assignments(state.Assign, input, context),
        }));
      case 'Task':
      case 'Parallel':
      case 'Map':
        return this.withRetryAndCatch(visit, (attemptChildren) => this.work(visit, input, attemptChildren), resumeChildren, this.jsonPathSettle(visit, rawInput));
    }
  }

  private isJsonata(state: StateDef): boolean {
    return state.QueryLanguage === undefined ? this.jsonataByDefault : state.QueryLanguage === 'JSONata';
  }

  /** ResultSelector, ResultPath, OutputPath and Assign (with `$` the selected result, or the error output in a catcher). */
  private jsonPathSettle({ state, context }: StateVisit, rawInput: unknown): Settle {
    return {
      success: (result) => {
        const selected = state.ResultSelector !== undefined ? applyPayloadTemplate(state.ResultSelector, this.env(result, context)) : result;
        return {
          output: selectPath('OutputPath', state.OutputPath, applyResultPath(state.ResultPath, rawInput, selected), context),
          next: state.End ? undefined : state.Next,
          assigned: this.assignments(state.Assign, selected, context),
        };
      },
      caught: (catcher, errorOutput) => ({
        output: applyResultPath(catcher.ResultPath === undefined ? '$' : catcher.ResultPath, rawInput, errorOutput),
        next: catcher.Next,
        assigned: this.assignments(catcher.Assign, errorOutput, context),
      }),
    };
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
    attempt: (resumeChildren: ScopeRun[] | undefined) => Promise<unknown>,
    resumeChildren: ScopeRun[] | undefined,
    settle: Settle,
  ): Promise<Step> {
    const retriers = state.Retry ?? [];
    const retriesSoFar = retriers.map(() => 0);
    // Only the first attempt after a redrive resumes children; a retry reruns the whole state, as AWS does.
    let children = resumeChildren;
    for (;;) {
      try {
        return await settle.success(await attempt(children));
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
        return settle.caught(catcher, { Error: error.error, Cause: error.causeText });
      }
    }
  }

  private work(visit: StateVisit, input: unknown, resumeChildren: ScopeRun[] | undefined): Promise<unknown> {
    const { name, state, context } = visit;
    if (isDistributedMap(state)) return this.distributedMap(visit, jsonPathMapRunValues(this.host.random, visit, input), resumeChildren);
    if (state.Type === 'Map') {
      const items = readField('ItemsPath', state.ItemsPath ?? '$', input, context);
      if (!Array.isArray(items)) throw runtimeError(`Map state '${name}': ItemsPath ${state.ItemsPath ?? '$'} did not select an array`);
      const selector = state.ItemSelector ?? state.Parameters;
      const select = (itemContext: Record<string, unknown>, item: unknown) => (selector !== undefined ? applyPayloadTemplate(selector, this.env(input, itemContext)) : item);
      return this.map(visit, items, select, resumeChildren, mapConcurrency(state, input, context));
    }
    // Each attempt gets its own token, visible as $$.Task.Token while Parameters are built.
    if (isCallbackResource(state.Resource)) context.Task = { Token: this.host.issueTaskToken() };
    const effective = state.Parameters !== undefined ? applyPayloadTemplate(state.Parameters, this.env(input, context)) : input;
    if (state.Type === 'Parallel') return this.parallel(visit, effective, resumeChildren);
    const timeoutSeconds = state.TimeoutSeconds ?? (state.TimeoutSecondsPath ? Number(readField('TimeoutSecondsPath', state.TimeoutSecondsPath, input, context)) : undefined);
    const heartbeatSeconds = state.HeartbeatSeconds ?? (state.HeartbeatSecondsPath ? Number(readField('HeartbeatSecondsPath', state.HeartbeatSecondsPath, input, context)) : undefined);
    return this.task(visit, effective, { timeoutSeconds, heartbeatSeconds });
  }

  private async task({ name, state, context, cancellation, trail }: StateVisit, parameters: unknown, { timeoutSeconds, heartbeatSeconds }: TaskLimits): Promise<unknown> {
    const resource = state.Resource!;
    const [resourceType, resourceName] = describeResource(resource);
    const taskToken = (context.Task as { Token: string } | undefined)?.Token;
    // concepts-error-handling.html: "After Parameters processing, the input of a state is larger than the payload size quota".
    if (exceedsPayloadQuota(json(parameters))) throw dataLimitExceeded(name, 'has an input');
    trail.last = this.host.record(
      'TaskScheduled',
      {
        resourceType,
        resource: resourceName,
        region: regionOf(this.execution.StateMachine.Id),
        parameters: json(parameters),
        ...(timeoutSeconds ? { timeoutInSeconds: timeoutSeconds } : {}),
        ...(heartbeatSeconds ? { heartbeatInSeconds: heartbeatSeconds } : {}),
      },
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
      let output = await taskCancellation.race(this.host.invokeTask({ stateName: name, resource, parameters, context, taskToken }, taskCancellation));
      if (taskToken !== undefined) {
        // The integration's own response is TaskSubmitted; the task's result is what the callback sends.
        trail.last = this.host.record('TaskSubmitted', { resourceType, resource: resourceName, output: json(output), outputDetails: NOT_TRUNCATED }, trail.last);
        output = await this.host.awaitCallback(taskToken, heartbeatSeconds, taskCancellation);
      }
      const outputText = json(output);
      if (exceedsPayloadQuota(outputText)) throw dataLimitExceeded(resource);
      trail.last = this.host.record('TaskSucceeded', { resourceType, resource: resourceName, output: outputText, outputDetails: NOT_TRUNCATED }, trail.last);
      return output;
    } catch (error) {
      if (error instanceof RunCancelled && timedOut) {
        // AWS records a task timeout with the error only, no cause (its recorded TaskTimedOut and ExecutionFailed events).
        trail.last = this.host.record('TaskTimedOut', { resourceType, resource: resourceName, error: 'States.Timeout' }, trail.last);
        throw new StatesError('States.Timeout', '');
      }
      if (error instanceof RunCancelled) throw error;
      const failure = error instanceof StatesError ? error : new StatesError('States.TaskFailed', String((error as Error)?.message ?? error));
      const eventType = failure.error === HEARTBEAT_TIMEOUT ? 'TaskTimedOut' : 'TaskFailed';
      trail.last = this.host.record(eventType, { resourceType, resource: resourceName, error: failure.error, cause: failure.causeText }, trail.last);
      throw failure;
    } finally {
      stopTimer?.();
      taskCancellation.dispose();
      if (taskToken !== undefined) this.host.closeTaskToken(taskToken);
    }
  }

  private async parallel({ state, cancellation, trail, variables }: StateVisit, input: unknown, resumeChildren: ScopeRun[] | undefined): Promise<unknown[]> {
    trail.last = this.host.record('ParallelStateStarted', undefined, trail.last);
    const group = new Cancellation(cancellation);
    const runs = await this.host.concurrently(
      state.Branches!.map((branch, i) => async () => {
        const previous = resumeChildren?.[i];
        if (previous?.status === 'SUCCEEDED') return previous;
        const branchCancellation = new Cancellation(group);
        const run = await this.scope(branch, input, branchCancellation, { last: trail.last }, variables.inner(previous?.stoppedAt?.variables), previous);
        branchCancellation.dispose();
        if (run.status === 'FAILED') group.cancel();
        return run;
      }),
    );
    group.dispose();
    return this.settleChildren('Parallel', runs, trail);
  }

  /**
   * Runs the iterations of `items`, at most `maxConcurrency` at once (0: all); `select` builds an
   * iteration's input from its context (with `Map.Item`) and item.
   */
  private async map(
    visit: StateVisit,
    items: unknown[],
    select: (itemContext: Record<string, unknown>, item: unknown) => unknown,
    resumeChildren: ScopeRun[] | undefined,
    maxConcurrency: number,
  ): Promise<unknown[]> {
    const { name, state, context, cancellation, trail, variables } = visit;
    const processor = (state.ItemProcessor ?? state.Iterator)!;
    trail.last = this.host.record('MapStateStarted', { length: items.length }, trail.last);
    const group = new Cancellation(cancellation);
    const runs: ScopeRun[] = new Array(items.length);
    const iteration = async (index: number): Promise<ScopeRun> => {
      const previous = resumeChildren?.[index];
      if (previous?.status === 'SUCCEEDED') return previous;
      // Source: the item source's InputType, STATE_DATA for items from the state input (input-output-contextobject.html).
      const itemContext = { ...context, Map: { Item: { Index: index, Value: items[index], Source: 'STATE_DATA' } } };
      const itemInput = await select(itemContext, items[index]);
      if (group.isCancelled) return previous ?? { status: 'ABORTED', stoppedAt: { stateName: processor.StartAt, input: itemInput } };
      const iterationTrail = { last: this.host.record('MapIterationStarted', { name, index }, trail.last) };
      const iterationCancellation = new Cancellation(group);
      const run = await this.scope(processor, itemInput, iterationCancellation, iterationTrail, variables.inner(previous?.stoppedAt?.variables), previous);
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
    const concurrency = maxConcurrency ? Math.min(maxConcurrency, items.length) : items.length;
    await this.host.concurrently(Array.from({ length: concurrency }, () => worker));
    group.dispose();
    return this.settleChildren('Map', runs, trail);
  }

  /** The Map Run is the state's one child: a redrive of the parent hands it back to be redriven. */
  private async distributedMap(visit: StateVisit, values: MapRunValues, resumeChildren: ScopeRun[] | undefined): Promise<unknown> {
    const run = await runDistributedMap(this.host, visit, mapRunSpec(visit.state, this.jsonataByDefault, values), resumeChildren?.[0]);
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

/**
 * The error name is AWS's; the cause is our wording (AWS documents none), naming the state, or for a task
 * result the resource.
 */
function dataLimitExceeded(stateOrResource: string, what = 'returned a result'): StatesError {
  return new StatesError('States.DataLimitExceeded', `The state/task '${stateOrResource}' ${what} with a size exceeding the maximum number of bytes service limit.`);
}

/** StateExited's record of what the state assigned: each value as JSON, as GetExecutionHistory shows it. */
function assignedDetails(assigned: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!assigned) return {};
  const assignedVariables = Object.fromEntries(Object.entries(assigned).map(([name, value]) => [name, json(value)]));
  return { assignedVariables, assignedVariablesDetails: NOT_TRUNCATED };
}

/** The error of a callback task that got no heartbeat in time. */
export const HEARTBEAT_TIMEOUT = 'States.HeartbeatTimeout';

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

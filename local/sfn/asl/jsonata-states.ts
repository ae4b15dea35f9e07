/**
 * JSONata states ("Transforming data with JSONata",
 * https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html): Arguments, Output,
 * Assign, Condition, Items, ItemSelector (inline and Distributed Map) and `{% %}` values in the other fields, with `$states.input`
 * the raw state input (JSONata states have no InputPath). Waiting, Retry/Catch, tasks, branches and
 * iterations are the interpreter's, shared with JSONPath states.
 */
import { isCallbackResource, type StateDef } from './definition';
import { isDistributedMap, type MapRunValues } from './distributed-map';
import type { RunHost, Settle, StateVisit, Step, TaskLimits } from './interpreter';
import { evaluateTemplate, isJsonataExpression, QueryEvaluationFailure, type StatesBinding } from './jsonata';
import { isConcurrency } from './map-concurrency';
import type { ScopeRun } from './scope-run';
import { StatesError } from './states-error';

/** The interpreter's work that both query languages share. */
export interface SharedWork {
  wait(fields: StateDef, visit: StateVisit): Promise<void>;
  withRetryAndCatch(visit: StateVisit, attempt: (resumeChildren: ScopeRun[] | undefined) => Promise<unknown>, resumeChildren: ScopeRun[] | undefined, settle: Settle): Promise<Step>;
  map(
    visit: StateVisit,
    items: unknown[],
    select: (itemContext: Record<string, unknown>, item: unknown) => unknown,
    resumeChildren: ScopeRun[] | undefined,
    maxConcurrency: number,
  ): Promise<unknown[]>;
  parallel(visit: StateVisit, input: unknown, resumeChildren: ScopeRun[] | undefined): Promise<unknown[]>;
  /** Runs (or on a redrive, redrives) the Map Run of a Distributed Map from the values the state resolved. */
  distributedMap(visit: StateVisit, values: MapRunValues, resumeChildren: ScopeRun[] | undefined): Promise<unknown>;
  task(visit: StateVisit, parameters: unknown, limits: TaskLimits): Promise<unknown>;
}

export class JsonataStates {
  constructor(
    private readonly host: RunHost,
    private readonly shared: SharedWork,
  ) {}

  async execute(visit: StateVisit, rawInput: unknown, resumeChildren: ScopeRun[] | undefined): Promise<Step> {
    const { state } = visit;
    const next = state.End ? undefined : state.Next;
    const states = { input: rawInput };
    switch (state.Type) {
      case 'Pass':
      case 'Succeed':
        return this.step(visit, states, rawInput, next, state);
      case 'Fail': {
        const error = await this.value(visit, state.Error, 'Error', states);
        const cause = await this.value(visit, state.Cause, 'Cause', states);
        throw new StatesError(String(error ?? ''), String(cause ?? ''));
      }
      case 'Choice': {
        const choices = state.Choices!;
        for (const [i, rule] of choices.entries()) {
          const matched = await this.value(visit, rule.Condition, `Choices[${i}]/Condition`, states);
          if (typeof matched !== 'boolean') {
            throw this.evaluationFailed(visit, `Choices[${i}]/Condition`, `The Condition '${String(rule.Condition)}' of the Choice rule at index ${i} did not evaluate to a boolean.`);
          }
          if (matched) return this.step(visit, states, rawInput, rule.Next as string, rule as { Output?: unknown; Assign?: Record<string, unknown> }, `Choices[${i}]/`);
        }
        if (!state.Default) throw new StatesError('States.NoChoiceMatched', `No Choice Rules matched and no Default was specified in state '${visit.name}'`);
        return this.step(visit, states, rawInput, state.Default, state);
      }
      case 'Wait': {
        const seconds = await this.value(visit, state.Seconds, 'Seconds', states);
        if (seconds !== undefined && !(typeof seconds === 'number' && seconds >= 0)) {
          throw this.evaluationFailed(visit, 'Seconds', `The Seconds field of the Wait state '${visit.name}' did not give a non-negative number.`);
        }
        const timestamp = await this.value(visit, state.Timestamp, 'Timestamp', states);
        await this.shared.wait({ Seconds: seconds, Timestamp: timestamp } as StateDef, visit);
        return this.step(visit, states, rawInput, next, state);
      }
      case 'Task':
      case 'Parallel':
      case 'Map':
        return this.shared.withRetryAndCatch(visit, (attemptChildren) => this.work(visit, rawInput, attemptChildren), resumeChildren, {
          success: (result) => this.step(visit, { input: rawInput, result }, result, next, state),
          caught: (catcher, errorOutput) => this.step(visit, { input: rawInput, errorOutput }, errorOutput, catcher.Next, catcher, `Catch[${(state.Catch ?? []).indexOf(catcher)}]/`),
        });
    }
  }

  /** Output (default: `fallback`) and Assign of a state, a matched Choice rule or a catcher, named under `prefix`. */
  private async step(
    visit: StateVisit,
    states: Omit<StatesBinding, 'context'>,
    fallback: unknown,
    next: string | undefined,
    fields: { Output?: unknown; Assign?: Record<string, unknown> },
    prefix = '',
  ): Promise<Step> {
    const output = fields.Output === undefined ? fallback : await this.value(visit, fields.Output, `${prefix}Output`, states);
    const assigned = fields.Assign === undefined ? undefined : ((await this.value(visit, fields.Assign, `${prefix}Assign`, states)) as Record<string, unknown>);
    return { output, next, assigned };
  }

  /** A field value with `{% %}` expressions evaluated; a failure is recorded as EvaluationFailed. */
  private async value(visit: StateVisit, template: unknown, field: string, states: Omit<StatesBinding, 'context'>, context = visit.context): Promise<unknown> {
    try {
      return await evaluateTemplate(template, field, {
        where: { stateName: visit.name, enteredEventId: visit.enteredEventId },
        states: { ...states, context },
        variables: visit.variables.visible(),
        random: this.host.random,
      });
    } catch (error) {
      if (error instanceof QueryEvaluationFailure) this.recordEvaluationFailed(visit, error);
      throw error;
    }
  }

  private evaluationFailed(visit: StateVisit, field: string, detail: string): QueryEvaluationFailure {
    const failure = new QueryEvaluationFailure(field, detail, { stateName: visit.name, enteredEventId: visit.enteredEventId });
    this.recordEvaluationFailed(visit, failure);
    return failure;
  }

  /** EvaluationFailed, as GetExecutionHistory shows a JSONata failure (API_EvaluationFailedEventDetails). */
  private recordEvaluationFailed(visit: StateVisit, failure: QueryEvaluationFailure): void {
    visit.trail.last = this.host.record('EvaluationFailed', { state: visit.name, error: failure.error, cause: failure.causeText, location: failure.field }, visit.trail.last);
  }

  /** A Task's Arguments (default: the state input), a Parallel's branch input, a Map's iterations or Map Run. */
  private async work(visit: StateVisit, rawInput: unknown, resumeChildren: ScopeRun[] | undefined): Promise<unknown> {
    const { state, context } = visit;
    const states = { input: rawInput };
    if (state.Type === 'Map') return this.map(visit, states, rawInput, resumeChildren);
    if (isCallbackResource(state.Resource)) context.Task = { Token: this.host.issueTaskToken() };
    const effective = state.Arguments === undefined ? rawInput : await this.value(visit, state.Arguments, 'Arguments', states);
    if (state.Type === 'Parallel') return this.shared.parallel(visit, effective, resumeChildren);
    const limit = async (field: 'TimeoutSeconds' | 'HeartbeatSeconds') => {
      if (!isJsonataExpression(state[field])) return state[field] as number | undefined;
      // transforming-data.html: a string or an out-of-range value here is a States.QueryEvaluationError.
      const seconds = await this.value(visit, state[field], field, states);
      if (Number.isInteger(seconds) && (seconds as number) > 0) return seconds as number;
      throw this.evaluationFailed(visit, field, `The ${field} field of the Task state '${visit.name}' did not give a positive integer.`);
    };
    return this.shared.task(visit, effective, { timeoutSeconds: await limit('TimeoutSeconds'), heartbeatSeconds: await limit('HeartbeatSeconds') });
  }

  /**
   * A Map's Items (default: the state input; an array or an expression), its ItemSelector with
   * `$states.context.Map.Item` and MaxConcurrency. In Distributed mode also the ItemBatcher
   * (MaxItemsPerBatch, MaxInputBytesPerBatch, BatchInput) and ToleratedFailurePercentage/Count, each a
   * value or a `{% %}` expression, as a JSONata state has no `…Path` fields
   * (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html,
   * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html). A value of the
   * wrong kind is States.QueryEvaluationError, like Items that are not an array.
   */
  private async map(visit: StateVisit, states: { input: unknown }, rawInput: unknown, resumeChildren: ScopeRun[] | undefined): Promise<unknown> {
    const { state, context } = visit;
    const items = state.Items === undefined ? rawInput : await this.value(visit, state.Items, 'Items', states);
    if (!Array.isArray(items)) throw this.evaluationFailed(visit, 'Items', `The Items field of the Map state '${visit.name}' did not give an array.`);
    const select = (itemContext: Record<string, unknown>, item: unknown) =>
      state.ItemSelector === undefined ? item : this.value(visit, state.ItemSelector, 'ItemSelector', states, itemContext);
    const number = (template: unknown, field: string, valid: (value: unknown) => boolean, kind: string) => this.number(visit, template, field, states, valid, kind);
    const maxConcurrency = (await number(state.MaxConcurrency ?? 0, 'MaxConcurrency', isConcurrency, 'a non-negative integer')) as number;
    if (!isDistributedMap(state)) return this.shared.map(visit, items, select, resumeChildren, maxConcurrency);
    const selected: unknown[] = [];
    for (const [index, value] of items.entries()) selected.push(await select({ ...context, Map: { Item: { Index: index, Value: value, Source: 'STATE_DATA' } } }, value));
    const batcher = state.ItemBatcher;
    const batchLimit = async (field: 'MaxItemsPerBatch' | 'MaxInputBytesPerBatch') =>
      (await number(batcher![field], `ItemBatcher/${field}`, isPositiveInteger, 'a positive integer')) ?? Infinity;
    return this.shared.distributedMap(
      visit,
      {
        selected,
        batching: batcher && {
          maxItems: await batchLimit('MaxItemsPerBatch'),
          maxBytes: await batchLimit('MaxInputBytesPerBatch'),
          batchInput: batcher.BatchInput === undefined ? undefined : await this.value(visit, batcher.BatchInput, 'ItemBatcher/BatchInput', states),
        },
        maxConcurrency,
        toleratedFailurePercentage: await number(state.ToleratedFailurePercentage, 'ToleratedFailurePercentage', isPercentage, 'a number from 0 to 100'),
        toleratedFailureCount: await number(state.ToleratedFailureCount, 'ToleratedFailureCount', isConcurrency, 'a non-negative integer'),
      },
      resumeChildren,
    );
  }

  /** A Map field that is a number or an expression giving one (undefined when absent); another value fails the state. */
  private async number(visit: StateVisit, template: unknown, field: string, states: { input: unknown }, valid: (value: unknown) => boolean, kind: string): Promise<number | undefined> {
    if (template === undefined) return undefined;
    const value = await this.value(visit, template, field, states);
    if (!valid(value)) throw this.evaluationFailed(visit, field, `The ${field} field of the Map state '${visit.name}' did not give ${kind}.`);
    return value as number;
  }
}

const isPositiveInteger = (value: unknown) => Number.isInteger(value) && (value as number) > 0;
const isPercentage = (value: unknown) => typeof value === 'number' && value >= 0 && value <= 100;

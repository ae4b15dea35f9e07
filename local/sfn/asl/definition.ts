/** Types of a validated ASL definition (JSONPath and JSONata states). */
export interface RetrierDef {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface CatcherDef {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
  Assign?: Record<string, unknown>;
  /** JSONata: the state's output when this catcher fires (default: the error output). */
  Output?: unknown;
}

/** One state; fields are those of the ASL spec, checked per type by validateDefinition. */
export interface StateDef {
  Type: 'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';
  QueryLanguage?: 'JSONPath' | 'JSONata';
  /** JSONata fields: a template with `{% %}` expressions (Items may also be a literal array). */
  Arguments?: unknown;
  Output?: unknown;
  Items?: unknown;
  Next?: string;
  End?: boolean;
  InputPath?: string | null;
  OutputPath?: string | null;
  Parameters?: unknown;
  ResultSelector?: unknown;
  ResultPath?: string | null;
  Result?: unknown;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Retry?: RetrierDef[];
  Catch?: CatcherDef[];
  Choices?: Array<Record<string, unknown>>;
  Default?: string;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Error?: string;
  ErrorPath?: string;
  Cause?: string;
  CausePath?: string;
  Branches?: StatesScope[];
  ItemsPath?: string;
  ItemSelector?: unknown;
  /** A JSONata state may give it as an expression. */
  MaxConcurrency?: number | string;
  MaxConcurrencyPath?: string;
  ItemProcessor?: ItemProcessorDef;
  Iterator?: StatesScope;
  /** Workflow variables set when the state is left (Choice rules and catchers have their own). */
  Assign?: Record<string, unknown>;
  /** Distributed Map only (distributed-map.ts). */
  Label?: string;
  ItemBatcher?: ItemBatcherDef;
  /** A JSONata state may give these as expressions (and has no `…Path` variants). */
  ToleratedFailurePercentage?: number | string;
  ToleratedFailurePercentagePath?: string;
  ToleratedFailureCount?: number | string;
  ToleratedFailureCountPath?: string;
}

export interface StatesScope {
  StartAt: string;
  States: Record<string, StateDef>;
}

export interface ItemProcessorDef extends StatesScope {
  ProcessorConfig?: { Mode?: 'INLINE' | 'DISTRIBUTED'; ExecutionType?: 'STANDARD' | 'EXPRESS' };
  /** Distributed mode only: the children's language (default: the machine's). */
  QueryLanguage?: 'JSONPath' | 'JSONata';
}

/** A JSONata state may give the two limits as expressions (and has no `…Path` variants). */
export interface ItemBatcherDef {
  MaxItemsPerBatch?: number | string;
  MaxItemsPerBatchPath?: string;
  MaxInputBytesPerBatch?: number | string;
  MaxInputBytesPerBatchPath?: string;
  BatchInput?: unknown;
}

export interface ParsedDefinition extends StatesScope {
  TimeoutSeconds?: number;
  QueryLanguage?: 'JSONPath' | 'JSONata';
}

/** `.waitForTaskToken` resources pause until SendTaskSuccess/SendTaskFailure answer their token. */
export function isCallbackResource(resource: string | undefined): boolean {
  return resource !== undefined && resource.endsWith('.waitForTaskToken');
}

/** Names of the states of `scope` and of every Parallel branch and Map processor inside it. */
export function allStateNames(scope: StatesScope): string[] {
  return Object.entries(scope.States).flatMap(([name, state]) => {
    const inner = [...(state.Branches ?? []), ...[state.ItemProcessor ?? state.Iterator].filter((s) => s !== undefined)];
    return [name, ...inner.flatMap(allStateNames)];
  });
}

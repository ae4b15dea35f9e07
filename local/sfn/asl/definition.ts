/** Types of a validated ASL definition (JSONPath query language only). */
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
}

/** One state; fields are those of the ASL spec, checked per type by validateDefinition. */
export interface StateDef {
  Type: 'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';
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
  MaxConcurrency?: number;
  ItemProcessor?: ItemProcessorDef;
  Iterator?: StatesScope;
  /** Distributed Map only (distributed-map.ts). */
  Label?: string;
  ItemBatcher?: ItemBatcherDef;
  ToleratedFailurePercentage?: number;
  ToleratedFailurePercentagePath?: string;
  ToleratedFailureCount?: number;
  ToleratedFailureCountPath?: string;
}

export interface StatesScope {
  StartAt: string;
  States: Record<string, StateDef>;
}

export interface ItemProcessorDef extends StatesScope {
  ProcessorConfig?: { Mode?: 'INLINE' | 'DISTRIBUTED'; ExecutionType?: 'STANDARD' | 'EXPRESS' };
}

export interface ItemBatcherDef {
  MaxItemsPerBatch?: number;
  MaxItemsPerBatchPath?: string;
  MaxInputBytesPerBatch?: number;
  MaxInputBytesPerBatchPath?: string;
  BatchInput?: unknown;
}

export interface ParsedDefinition extends StatesScope {
  TimeoutSeconds?: number;
}

/** Names of the states of `scope` and of every Parallel branch and Map processor inside it. */
export function allStateNames(scope: StatesScope): string[] {
  return Object.entries(scope.States).flatMap(([name, state]) => {
    const inner = [...(state.Branches ?? []), ...[state.ItemProcessor ?? state.Iterator].filter((s) => s !== undefined)];
    return [name, ...inner.flatMap(allStateNames)];
  });
}

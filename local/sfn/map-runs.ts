/**
 * Map Runs of Distributed Map states. Each item (or batch of items) runs as a child execution of the
 * ItemProcessor, Standard or Express as ProcessorConfig.ExecutionType says, with Map Run child ARNs
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html). At most
 * maxConcurrency children run at once; the Map Run fails once its failures exceed the tolerated
 * threshold, stopping the children still running. Redriving the parent redrives the Map Run: only the
 * children that failed, were aborted, timed out or never started run again; Standard ones are redriven,
 * Express ones started anew (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html).
 */
import { randomUUID } from 'node:crypto';
import type { Cancellation } from './asl/cancellation';
import type { ParsedDefinition } from './asl/definition';
import { StatesError } from './asl/states-error';
import type { EmulatorContext } from './context';
import { statesArnPrefix } from './api/lookup';
import { reopenForRedrive } from './api/redrive';
import { History, NOT_TRUNCATED } from './history';
import type { ExecutionRecord, Revision, StateMachineType } from './store';

export type MapRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

/** AWS runs up to 10,000 children at once when MaxConcurrency is 0 or absent. */
export const MAX_CHILDREN_AT_ONCE = 10_000;
/** "You haven't exceeded the hard limit of 1000 redrives of a given Map Run." (redrive-map-run.html) */
export const MAP_RUN_REDRIVE_LIMIT = 1000;
export const TOLERATED_FAILURE_ERROR = 'States.ExceedToleratedFailureThreshold';
export const TOLERATED_FAILURE_CAUSE = 'The specified tolerated failure threshold was exceeded';

/** One child execution's work: an item, or a batch of them. */
export interface MapRunChild {
  input: string;
  itemCount: number;
  /** Absent until it first starts; for Express children, the latest run. */
  execution?: ExecutionRecord;
  /** Queued by a redrive and not restarted yet. */
  pendingRedrive: boolean;
}

export interface MapRunTolerance {
  /** Absent when the state gave neither: no failure is tolerated. */
  toleratedFailurePercentage?: number;
  toleratedFailureCount?: number;
}

export interface MapRunRecord extends MapRunTolerance {
  arn: string;
  label: string;
  parent: ExecutionRecord;
  /** `<parent state machine ARN>/<label>`: the stateMachineArn its children report. */
  stateMachineArn: string;
  executionType: StateMachineType;
  revision: Revision;
  status: MapRunStatus;
  startDateMs: number;
  stopDateMs?: number;
  /** As configured or updated; 0 means AWS's 10,000. */
  maxConcurrency: number;
  redriveCount: number;
  redriveDateMs?: number;
  children: MapRunChild[];
  totalItems: number;
  /** Items of children now FAILED or TIMED_OUT: what the threshold counts (aborted children are not failures). */
  failedItems: number;
  /** While it runs: starts more children or settles it after an UpdateMapRun. */
  reschedule?: () => void;
}

export interface MapRunSpec extends MapRunTolerance {
  label?: string;
  executionType: StateMachineType;
  /** The ItemProcessor's states, with the QueryLanguage the children run in. */
  processor: ParsedDefinition;
  /** One entry per child execution, in item order. */
  children: Array<{ input: unknown; itemCount: number }>;
  maxConcurrency: number;
}

export type MapRunResult = { status: 'SUCCEEDED'; outputs: unknown[] } | { status: 'FAILED'; error: string; cause: string } | { status: 'ABORTED' };

/** What a Map state asks of the emulator, for one parent execution (the interpreter's RunHost.mapRuns). */
export interface MapRunLauncher {
  start(spec: MapRunSpec, cancellation: Cancellation): { mapRun: MapRunRecord; done: Promise<MapRunResult> };
  /** Throws States.Runtime past the redrive limit. */
  redrive(mapRunArn: string, cancellation: Cancellation): { mapRun: MapRunRecord; done: Promise<MapRunResult> };
}


/** Children a redrive runs again (besides those never started). */
const UNSUCCESSFUL_STATUSES = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);
/** "the total number of failed or timed out items divided by the total number of items" (maprun-fail-threshold.html). */
const FAILURE_STATUSES = new Set(['FAILED', 'TIMED_OUT']);

export class MapRuns {
  readonly byArn = new Map<string, MapRunRecord>();
  /** Map Runs per parent execution ARN, in start order (ListMapRuns). */
  readonly byParent = new Map<string, MapRunRecord[]>();

  constructor(private readonly ctx: EmulatorContext) {}

  launcherFor(parent: ExecutionRecord): MapRunLauncher {
    return {
      start: (spec, cancellation) => {
        const mapRun = this.create(parent, spec);
        return { mapRun, done: this.schedule(mapRun, mapRun.children, cancellation) };
      },
      redrive: (mapRunArn, cancellation) => {
        const mapRun = this.byArn.get(mapRunArn)!;
        if (mapRun.redriveCount >= MAP_RUN_REDRIVE_LIMIT) {
          throw new StatesError('States.Runtime', `The Map Run ${mapRunArn} reached its limit of ${MAP_RUN_REDRIVE_LIMIT} redrives`);
        }
        const rerun = mapRun.children.filter((child) => !child.execution || UNSUCCESSFUL_STATUSES.has(child.execution.status));
        for (const child of rerun) child.pendingRedrive = true;
        mapRun.redriveCount++;
        mapRun.redriveDateMs = this.ctx.clock.nowMs();
        mapRun.status = 'RUNNING';
        mapRun.stopDateMs = undefined;
        mapRun.failedItems = 0;
        return { mapRun, done: this.schedule(mapRun, rerun, cancellation) };
      },
    };
  }

  /** UpdateMapRun: new limits apply to the children started from now on, and the threshold is checked again. */
  update(mapRun: MapRunRecord, changes: Partial<Pick<MapRunRecord, 'maxConcurrency' | 'toleratedFailureCount' | 'toleratedFailurePercentage'>>): void {
    Object.assign(mapRun, Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)));
    mapRun.reschedule?.();
  }

  private create(parent: ExecutionRecord, spec: MapRunSpec): MapRunRecord {
    const stateMachine = parent.stateMachine;
    const label = spec.label ?? randomUUID();
    const arn = `${statesArnPrefix(this.ctx)}:mapRun:${stateMachine.name}/${label}:${randomUUID()}`;
    const mapRun: MapRunRecord = {
      arn,
      label,
      parent,
      stateMachineArn: `${stateMachine.arn}/${label}`,
      executionType: spec.executionType,
      revision: { definitionJson: JSON.stringify(spec.processor), definition: spec.processor, roleArn: parent.revision.roleArn },
      status: 'RUNNING',
      startDateMs: this.ctx.clock.nowMs(),
      maxConcurrency: spec.maxConcurrency,
      toleratedFailurePercentage: spec.toleratedFailurePercentage,
      toleratedFailureCount: spec.toleratedFailureCount,
      redriveCount: 0,
      children: spec.children.map(({ input, itemCount }) => ({ input: JSON.stringify(input), itemCount, pendingRedrive: false })),
      totalItems: spec.children.reduce((sum, child) => sum + child.itemCount, 0),
      failedItems: 0,
    };
    this.byArn.set(arn, mapRun);
    const siblings = this.byParent.get(parent.arn) ?? [];
    siblings.push(mapRun);
    this.byParent.set(parent.arn, siblings);
    return mapRun;
  }

  /** Runs `queue` in order, at most maxConcurrency at a time; each start and close is O(1), so 10,000 children stay cheap. */
  private schedule(mapRun: MapRunRecord, queue: MapRunChild[], cancellation: Cancellation): Promise<MapRunResult> {
    return new Promise((resolve) => {
      let next = 0;
      let unsubscribe = () => {};
      const running = new Set<ExecutionRecord>();
      const settle = (status: Exclude<MapRunStatus, 'RUNNING'>, result: MapRunResult) => {
        mapRun.status = status;
        mapRun.stopDateMs = this.ctx.clock.nowMs();
        mapRun.reschedule = undefined;
        unsubscribe();
        for (const execution of [...running]) execution.abortRun?.('ABORTED');
        resolve(result);
      };
      const pump = () => {
        if (mapRun.status !== 'RUNNING') return;
        if (exceedsTolerance(mapRun)) return settle('FAILED', { status: 'FAILED', error: TOLERATED_FAILURE_ERROR, cause: TOLERATED_FAILURE_CAUSE });
        const limit = Math.min(mapRun.maxConcurrency || MAX_CHILDREN_AT_ONCE, MAX_CHILDREN_AT_ONCE);
        while (next < queue.length && running.size < limit) {
          const execution = this.startChild(mapRun, queue[next++]);
          running.add(execution);
          execution.onClose = () => {
            running.delete(execution);
            if (FAILURE_STATUSES.has(execution.status)) mapRun.failedItems += childIndex.get(execution)!.itemCount;
            pump();
          };
        }
        if (running.size === 0 && next >= queue.length) {
          settle('SUCCEEDED', { status: 'SUCCEEDED', outputs: mapRun.children.map((child) => JSON.parse(child.execution!.output ?? 'null')) });
        }
      };
      unsubscribe = cancellation.onCancel(() => settle('ABORTED', { status: 'ABORTED' }));
      if (mapRun.status !== 'RUNNING') return;
      mapRun.reschedule = pump;
      pump();
    });
  }

  /** A never-started child and an Express one start anew; a Standard one is redriven, as RedriveExecution does. */
  private startChild(mapRun: MapRunRecord, child: MapRunChild): ExecutionRecord {
    child.pendingRedrive = false;
    const previous = child.execution;
    if (previous && mapRun.executionType === 'STANDARD') {
      reopenForRedrive(this.ctx, previous, this.ctx.clock.nowMs());
      return previous;
    }
    const execution = this.newChild(mapRun, child.input);
    child.execution = execution;
    childIndex.set(execution, child);
    this.ctx.store.addExecution(execution, { listedByStateMachine: false });
    this.ctx.notifier.emit(execution);
    this.ctx.runner.launch(execution);
    return execution;
  }

  private newChild(mapRun: MapRunRecord, input: string): ExecutionRecord {
    const nowMs = this.ctx.clock.nowMs();
    const { parent, executionType, revision } = mapRun;
    const name = randomUUID();
    const machinePart = `${parent.stateMachine.name}/${mapRun.label}`;
    const prefix = statesArnPrefix(this.ctx);
    const history = new History();
    history.append('ExecutionStarted', nowMs, { input, inputDetails: NOT_TRUNCATED, roleArn: revision.roleArn });
    return {
      arn: executionType === 'EXPRESS' ? `${prefix}:express:${machinePart}:${name}:${randomUUID()}` : `${prefix}:execution:${machinePart}:${name}`,
      name,
      stateMachine: parent.stateMachine,
      revision,
      stateMachineArn: mapRun.stateMachineArn,
      type: executionType,
      status: 'RUNNING',
      startDateMs: nowMs,
      input,
      redriveCount: 0,
      mapRunArn: mapRun.arn,
      // Children play the parent's mocked responses and share its counters, as the iterations of an inline Map do.
      testCase: parent.testCase,
      mockInvocations: parent.mockInvocations,
      history,
      seq: this.ctx.store.takeSeq(),
      redriveTokens: [],
    };
  }
}

/** Child execution -> its entry, so a close finds its item count without a scan. */
const childIndex = new WeakMap<ExecutionRecord, MapRunChild>();

/**
 * "If you specify both values, the workflow fails when it exceeds either value"; with neither given (the
 * default percentage of zero), one failed or timed-out item fails it
 * (https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html).
 */
export function exceedsTolerance(mapRun: Pick<MapRunRecord, keyof MapRunTolerance | 'failedItems' | 'totalItems'>): boolean {
  const { toleratedFailureCount: count, toleratedFailurePercentage: percentage, failedItems, totalItems } = mapRun;
  if (count === undefined && percentage === undefined) return failedItems > 0;
  return (count !== undefined && failedItems > count) || (percentage !== undefined && totalItems > 0 && (failedItems * 100) / totalItems > percentage);
}

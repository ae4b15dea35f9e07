/**
 * In-memory records of state machines and executions, with the indexes the APIs need so no request
 * scans every execution: by ARN, and per state machine / Map Run in start order (newest read first).
 */
import type { ParsedDefinition } from './asl/definition';
import type { ScopeRun } from './asl/scope-run';
import { History } from './history';

export type StateMachineType = 'STANDARD' | 'EXPRESS';
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
export const CLOSED_STATUSES: readonly ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/** What an execution runs: one revision of a state machine's definition and role. */
export interface Revision {
  /** Absent until the first UpdateStateMachine that changes something (AWS's "INITIAL" revision). */
  revisionId?: string;
  definitionJson: string;
  definition: ParsedDefinition;
  roleArn: string;
}

/** A published version: an immutable copy of the revision that was current when it was published. */
export interface VersionRecord extends Revision {
  arn: string;
  number: number;
  description?: string;
  creationDateMs: number;
}

export interface RoutingEntry {
  stateMachineVersionArn: string;
  weight: number;
}

export interface AliasRecord {
  arn: string;
  name: string;
  description?: string;
  routing: RoutingEntry[];
  creationDateMs: number;
  updateDateMs: number;
  /** Smooth weighted round-robin credits, one per routing entry (see api/versions.ts). */
  credits: number[];
}

export interface StateMachineRecord extends Revision {
  arn: string;
  name: string;
  type: StateMachineType;
  creationDateMs: number;
  status: 'ACTIVE' | 'DELETING';
  tags: Map<string, string>;
  /** Published versions by number. Numbers are never reused, even after a version is deleted. */
  versions: Map<number, VersionRecord>;
  lastVersionNumber: number;
  aliases: Map<string, AliasRecord>;
  openExecutions: number;
}

/** A copy of the state machine's current revision, which later updates do not change. */
export function currentRevision(stateMachine: StateMachineRecord): Revision {
  const { revisionId, definitionJson, definition, roleArn } = stateMachine;
  return { revisionId, definitionJson, definition, roleArn };
}

export interface RedriveTokenUse {
  token: string;
  /** Also the redriveDate the token's redrive returned. */
  firstUsedMs: number;
}

export interface ExecutionRecord {
  arn: string;
  name: string;
  stateMachine: StateMachineRecord;
  /** The definition and role it started with; its redrives run the same (UpdateStateMachine does not change them). */
  revision: Revision;
  /** For Map Run children the parent's ARN with `/label`; otherwise the state machine's ARN. */
  stateMachineArn: string;
  type: StateMachineType;
  status: ExecutionStatus;
  startDateMs: number;
  stopDateMs?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDateMs?: number;
  mapRunArn?: string;
  stateMachineVersionArn?: string;
  stateMachineAliasArn?: string;
  /** Step Functions Local test case (`<stateMachineArn>#<TestCase>`). */
  testCase?: string;
  history: History;
  /** Start order, to break ties between equal start dates. */
  seq: number;
  /** Client tokens of successful redrives, oldest first (at most 10 kept). */
  redriveTokens: RedriveTokenUse[];
  /** What the last run left behind, so a redrive can resume only what did not succeed. */
  lastRun?: ScopeRun;
  /** Invocation counters for mocked responses, per state name; they survive retries and redrives. */
  mockInvocations: Map<string, number>;
  /** Told once the execution closes (a Map Run waits on its children this way). */
  onClose?: (execution: ExecutionRecord) => void;
  /** Stops the running interpreter (StopExecution / execution timeout). */
  abortRun?: (status: 'ABORTED' | 'TIMED_OUT', error?: string, cause?: string) => void;
}

/** Executions of one state machine or Map Run, ordered by (startDateMs, seq) ascending. */
export class ExecutionIndex {
  private items: ExecutionRecord[] = [];
  private sorted = true;

  add(execution: ExecutionRecord): void {
    const last = this.items[this.items.length - 1];
    if (last && compareStart(last, execution) > 0) this.sorted = false;
    this.items.push(execution);
  }

  /**
   * Newest first, starting strictly after (older than) `after` when given; stops once `limit` matched
   * or the list ends. Returns whether more may follow.
   */
  pageNewestFirst(
    after: { startDateMs: number; seq: number } | undefined,
    limit: number,
    matches: (e: ExecutionRecord) => boolean,
  ): { page: ExecutionRecord[]; more: boolean } {
    if (!this.sorted) {
      this.items.sort(compareStart);
      this.sorted = true;
    }
    let index = after ? this.firstIndexNotBefore(after) - 1 : this.items.length - 1;
    const page: ExecutionRecord[] = [];
    for (; index >= 0; index--) {
      const execution = this.items[index];
      if (!matches(execution)) continue;
      if (page.length === limit) return { page, more: true };
      page.push(execution);
    }
    return { page, more: false };
  }

  private firstIndexNotBefore(key: { startDateMs: number; seq: number }): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareStart(this.items[mid], key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function compareStart(a: { startDateMs: number; seq: number }, b: { startDateMs: number; seq: number }): number {
  return a.startDateMs - b.startDateMs || a.seq - b.seq;
}

export class EmulatorStore {
  readonly stateMachines = new Map<string, StateMachineRecord>();
  readonly executions = new Map<string, ExecutionRecord>();
  readonly byStateMachine = new Map<string, ExecutionIndex>();
  readonly byMapRun = new Map<string, ExecutionIndex>();
  openExecutions = 0;
  private nextSeq = 1;

  takeSeq(): number {
    return this.nextSeq++;
  }

  /**
   * `listedByStateMachine: false` for Map Run children, which ListExecutions finds by mapRunArn only (their
   * stateMachineArn is `<parent>/<label>`); seeded children stay listed under their machine for the CLI tests.
   */
  addExecution(execution: ExecutionRecord, { listedByStateMachine = true } = {}): void {
    this.executions.set(execution.arn, execution);
    if (listedByStateMachine) indexFor(this.byStateMachine, execution.stateMachine.arn).add(execution);
    if (execution.mapRunArn) indexFor(this.byMapRun, execution.mapRunArn).add(execution);
    if (execution.status === 'RUNNING') this.markOpen(execution);
  }

  markOpen(execution: ExecutionRecord): void {
    this.openExecutions++;
    execution.stateMachine.openExecutions++;
  }

  markClosed(execution: ExecutionRecord): void {
    this.openExecutions--;
    const stateMachine = execution.stateMachine;
    stateMachine.openExecutions--;
    // A DELETING state machine disappears once its last open execution closes.
    if (stateMachine.status === 'DELETING' && stateMachine.openExecutions === 0) {
      this.stateMachines.delete(stateMachine.arn);
    }
  }
}

function indexFor(map: Map<string, ExecutionIndex>, key: string): ExecutionIndex {
  let index = map.get(key);
  if (!index) map.set(key, (index = new ExecutionIndex()));
  return index;
}

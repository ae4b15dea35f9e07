/**
 * Step Functions calls the pipeline makes, each at most once per decision, and the mapping of their
 * answers into evidence and outcomes. Throttling and 5xx are retried by the SDK; what still fails is
 * thrown, so the message is retried by SQS rather than lost.
 */
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  StartExecutionCommand,
  StateMachineDeleting,
  StateMachineDoesNotExist,
  type HistoryEvent,
  type MapRunListItem,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { MapRunFailures } from '../core/alerts';
import { FAIL_STATE_ENTERED_EVENT } from '../core/fail-state';
import type { EvidenceNeed, ExecutionEvidence, ExecutionStatus, RedriveStatus } from '../core/evidence';

export class ExecutionNotFoundError extends Error {
  constructor(readonly executionArn: string) {
    super(`Step Functions has no execution ${executionArn}`);
    this.name = 'ExecutionNotFoundError';
  }
}

const ms = (date: Date | undefined) => (date ? date.getTime() : undefined);

/** DescribeExecution's answer, merged over what the event said (the API is authoritative). */
export async function describeInto(sfn: SFNClient, evidence: ExecutionEvidence): Promise<ExecutionEvidence> {
  return (await describeWithInput(sfn, evidence, 'METADATA_ONLY')).evidence;
}

/**
 * One DescribeExecution: the evidence and, with ALL_DATA, the execution's input (a restart needs it).
 * A state machine encrypted with a customer managed key also needs kms:Decrypt for the input.
 */
export async function describeWithInput(sfn: SFNClient, evidence: ExecutionEvidence, includedData: 'ALL_DATA' | 'METADATA_ONLY' = 'ALL_DATA'): Promise<{ evidence: ExecutionEvidence; input?: string }> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn: evidence.executionArn, includedData }));
    return { input: out.input, evidence: {
      ...evidence,
      stateMachineArn: out.stateMachineArn ?? evidence.stateMachineArn,
      executionName: out.name ?? evidence.executionName,
      status: (out.status as ExecutionStatus | undefined) ?? evidence.status,
      startDateMs: ms(out.startDate) ?? evidence.startDateMs,
      stopDateMs: ms(out.stopDate),
      redriveCount: out.redriveCount ?? 0,
      redriveStatus: out.redriveStatus as RedriveStatus | undefined,
      redriveStatusReason: out.redriveStatusReason,
      error: out.error,
      cause: out.cause,
      mapRunArn: out.mapRunArn,
      sources: [...evidence.sources, 'describe'],
    } };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) throw new ExecutionNotFoundError(evidence.executionArn);
    throw error;
  }
}

/** Closing events and the member of each that carries the execution's error and cause. */
const CLOSING_DETAILS = {
  ExecutionFailed: 'executionFailedEventDetails',
  ExecutionTimedOut: 'executionTimedOutEventDetails',
  ExecutionAborted: 'executionAbortedEventDetails',
} as const satisfies Partial<Record<string, keyof HistoryEvent>>;

/** Newest events read to find the state a failed execution failed in: the last state entered is among them. */
export const FAILED_STATE_HISTORY_PAGE = 100;

export interface HistoryTail {
  evidence: ExecutionEvidence;
  /** The most recently entered state among the events read. */
  lastEnteredState?: string;
  /** That state is a Fail state (its entered event is FailStateEntered): a redrive would fail again there. */
  lastEnteredFailState?: boolean;
}

/**
 * One reverse page of history (`maxResults` newest events, no execution data): the newest event's id is
 * the number of events, and a closing event (ExecutionFailed, …) carries the error and cause, as
 * DescribeExecution would. Never a page-through.
 */
export async function historyTailInto(sfn: SFNClient, evidence: ExecutionEvidence, maxResults: number): Promise<HistoryTail> {
  try {
    const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn: evidence.executionArn, reverseOrder: true, maxResults, includeExecutionData: false }));
    const events = out.events ?? [];
    const newest = events[0];
    const member = newest?.type ? CLOSING_DETAILS[newest.type as keyof typeof CLOSING_DETAILS] : undefined;
    const closing = member ? (newest![member] as { error?: string; cause?: string } | undefined) : undefined;
    const entered = events.find((event) => event.stateEnteredEventDetails?.name !== undefined);
    return {
      evidence: {
        ...evidence,
        historyEventCount: newest?.id ?? 0,
        ...(closing && { error: closing.error, cause: closing.cause }),
        sources: [...evidence.sources, 'history'],
      },
      ...(entered && { lastEnteredState: entered.stateEnteredEventDetails!.name, lastEnteredFailState: entered.type === FAIL_STATE_ENTERED_EVENT }),
    };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) throw new ExecutionNotFoundError(evidence.executionArn);
    throw error;
  }
}

/** The newest event's id is the number of history events: one call, never a page-through. */
export async function countHistoryInto(sfn: SFNClient, evidence: ExecutionEvidence): Promise<ExecutionEvidence> {
  return (await historyTailInto(sfn, evidence, 1)).evidence;
}

export async function gatherEvidence(sfn: SFNClient, evidence: ExecutionEvidence, needs: EvidenceNeed[]): Promise<ExecutionEvidence> {
  let result = evidence;
  if (needs.includes('describe')) result = await describeInto(sfn, result);
  if (needs.includes('history')) result = await countHistoryInto(sfn, result);
  return result;
}

export type RedriveOutcome =
  | { kind: 'redriven'; redriveDateMs: number }
  | { kind: 'notRedrivable'; reason: string }
  | { kind: 'notFound' };

/** The server is the final arbiter: ExecutionNotRedrivable is an answer, not an error to retry. */
export async function redriveExecution(sfn: SFNClient, executionArn: string, clientToken: string): Promise<RedriveOutcome> {
  try {
    const out = await sfn.send(new RedriveExecutionCommand({ executionArn, clientToken }));
    return { kind: 'redriven', redriveDateMs: ms(out.redriveDate) ?? 0 };
  } catch (error) {
    if (error instanceof ExecutionNotRedrivable) return { kind: 'notRedrivable', reason: error.message };
    if (error instanceof ExecutionDoesNotExist) return { kind: 'notFound' };
    throw error;
  }
}

export type RestartStart =
  | { kind: 'started'; startDateMs: number }
  /** ExecutionAlreadyExists, and DescribeExecution shows the same input: an earlier try started it. */
  | { kind: 'alreadyStarted'; startDateMs: number }
  /** The name belongs to an execution with another input. */
  | { kind: 'nameTaken'; detail: string }
  | { kind: 'targetMissing'; detail: string };

/**
 * Starts the restart under its deterministic name. AWS makes a retry idempotent: the same name and input
 * on a running execution returns it; on a closed one ExecutionAlreadyExists, confirmed by DescribeExecution.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
export async function startRestart(sfn: SFNClient, request: { targetArn: string; name: string; input: string; restartArn: string }): Promise<RestartStart> {
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: request.targetArn, name: request.name, input: request.input }));
    return { kind: 'started', startDateMs: ms(out.startDate) ?? 0 };
  } catch (error) {
    if (error instanceof StateMachineDoesNotExist || error instanceof StateMachineDeleting) return { kind: 'targetMissing', detail: `${request.targetArn}: ${error.message}` };
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
  const existing = await sfn.send(new DescribeExecutionCommand({ executionArn: request.restartArn }));
  if (existing.input !== request.input) return { kind: 'nameTaken', detail: `${request.restartArn} exists with another input` };
  return { kind: 'alreadyStarted', startDateMs: ms(existing.startDate) ?? 0 };
}

/** True if the restart execution exists with this input (the restarter started it); false if there is no such execution. */
export async function existingRestart(sfn: SFNClient, restartArn: string, input: string): Promise<boolean> {
  try {
    const existing = await sfn.send(new DescribeExecutionCommand({ executionArn: restartArn }));
    return existing.input === input;
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return false;
    throw error;
  }
}

/** Children an alert names, at most: enough to start from; the command it shows lists them all. */
export const MAX_NAMED_CHILDREN = 10;
/** Map Runs described, newest first, to find the one that failed the parent. */
const MAX_MAP_RUNS_DESCRIBED = 3;
/** ListMapRuns pages read (100 Map Runs a page by default): a Map state in a loop may start many. */
const MAX_MAP_RUN_PAGES = 10;

/**
 * The parent's failed Map Run and the children that failed it, for the alert that gives up on the parent
 * (the children themselves are never redriven one by one: the parent's redrive reruns them). Made only
 * when the parent failed with States.ExceedToleratedFailureThreshold: ListMapRuns, DescribeMapRun on the
 * newest runs until a FAILED one, and one ListExecutions page of its most common failing status (the
 * ListExecutions quota is the sweep's too). If only that listing fails (throttled, or Express children,
 * which ListExecutions does not list), the Map Run and its counts are still returned.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListMapRuns.html
 */
export async function failedMapRun(sfn: SFNClient, executionArn: string, onListError: (error: unknown) => void = () => undefined): Promise<MapRunFailures | undefined> {
  const runs: MapRunListItem[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_MAP_RUN_PAGES && (page === 0 || nextToken); page++) {
    const out = await sfn.send(new ListMapRunsCommand({ executionArn, nextToken }));
    runs.push(...(out.mapRuns ?? []));
    nextToken = out.nextToken;
  }
  const newestFirst = runs.sort((a, b) => (ms(b.startDate) ?? 0) - (ms(a.startDate) ?? 0)).slice(0, MAX_MAP_RUNS_DESCRIBED);
  for (const { mapRunArn } of newestFirst) {
    const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
    if (run.status !== 'FAILED') continue;
    const counts = { failed: run.executionCounts?.failed ?? 0, timedOut: run.executionCounts?.timedOut ?? 0, aborted: run.executionCounts?.aborted ?? 0 };
    // Aborted children were stopped because the Map Run failed: they are not why it did.
    const listed = counts.timedOut > counts.failed ? 'TIMED_OUT' : 'FAILED';
    let children: string[] = [];
    if (counts.failed + counts.timedOut > 0) {
      try {
        const { executions = [] } = await sfn.send(new ListExecutionsCommand({ mapRunArn, statusFilter: listed, maxResults: MAX_NAMED_CHILDREN }));
        children = executions.map((child) => child.name ?? child.executionArn ?? '?');
      } catch (error) {
        onListError(error);
      }
    }
    return { mapRunArn: mapRunArn!, ...counts, listedStatus: listed, children };
  }
  return undefined;
}

/** True for throttling, as the SDK classifies it (SFN does not model ThrottlingException). */
export function isThrottling(error: unknown): boolean {
  const e = error as { name?: string; $retryable?: { throttling?: boolean } };
  return e?.name === 'ThrottlingException' || e?.$retryable?.throttling === true;
}

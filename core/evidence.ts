/**
 * What we know about one execution when deciding. Filled from the status-change event first, and from
 * DescribeExecution / GetExecutionHistory only where the event lacks what a rule needs.
 */
import { parseExecutionArn } from './arn';

export const EXECUTION_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const REDRIVE_STATUSES = ['REDRIVABLE', 'NOT_REDRIVABLE', 'REDRIVABLE_BY_MAP_RUN'] as const;
export type RedriveStatus = (typeof REDRIVE_STATUSES)[number];

export interface ExecutionEvidence {
  executionArn: string;
  stateMachineArn: string;
  executionName: string;
  status: ExecutionStatus;
  startDateMs: number;
  stopDateMs?: number;
  /** Successful redrives so far; the failure generation. */
  redriveCount?: number;
  redriveStatus?: RedriveStatus;
  redriveStatusReason?: string;
  error?: string;
  cause?: string;
  mapRunArn?: string;
  /** Id of the newest history event, i.e. the number of events (ids are sequential from 1). */
  historyEventCount?: number;
  /** Where the fields came from, for explain and logs. */
  sources: EvidenceSource[];
}

export type EvidenceSource = 'event' | 'describe' | 'history' | 'ledger' | 'list';

export type EvidenceNeed = 'describe' | 'history';

/**
 * Whether the execution's error and cause were read from a source that carries them, so that their
 * absence means "none". A ListExecutions item (and the sweep's hand-over built from one) has neither.
 */
export function errorEvidenceRead(evidence: ExecutionEvidence): boolean {
  if (evidence.error !== undefined || evidence.cause !== undefined) return true;
  return evidence.sources.some((source) => source !== 'list');
}

/** Calls still needed before `decide` can rule, given the config. Never more than one of each. */
export function missingEvidence(evidence: ExecutionEvidence, historyHeadroomEvents: number): EvidenceNeed[] {
  const needs: EvidenceNeed[] = [];
  const parsed = parseExecutionArn(evidence.executionArn);
  // Express executions and Map Run children are ruled out from the ARN alone: no call needed.
  if (parsed.resourceType === 'express' || parsed.mapRunLabel) return needs;
  const terminal = evidence.status !== 'RUNNING' && evidence.status !== 'PENDING_REDRIVE' && evidence.status !== 'SUCCEEDED';
  if (!terminal) return needs;
  const described = evidence.sources.includes('describe');
  if (
    !described &&
    (evidence.redriveCount === undefined ||
    evidence.redriveStatus === undefined ||
    evidence.stopDateMs === undefined ||
      (evidence.error === undefined && evidence.cause === undefined && evidence.status === 'FAILED'))
  ) {
    needs.push('describe');
  }
  // With no headroom, AWS's redriveStatus already proves the history is below 24,999 events.
  if (historyHeadroomEvents > 0 && evidence.historyEventCount === undefined && !evidence.sources.includes('history')) {
    needs.push('history');
  }
  return needs;
}

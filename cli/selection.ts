/**
 * The operator's selection of failed executions, streamed page by page, and the verdict of the core
 * rules on each, at most one evidence call per execution.
 */
import {
  ListExecutionsCommand,
  ListStateMachinesCommand,
  type ExecutionListItem,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { Ledger } from '../adapters/ledger';
import { describeInto, ExecutionNotFoundError, FAILED_STATE_HISTORY_PAGE, historyTailInto, type HistoryTail } from '../adapters/sfn';
import { parseExecutionArn, parseStateMachineArn } from '../core/arn';
import type { AutoRedriveConfig, WatchableStatus } from '../core/config';
import { decide, EvidenceMissingError, type Decision, type PolicyOverrides } from '../core/decide';
import { errorEvidenceRead, type ExecutionEvidence } from '../core/evidence';
import { failedStateFields } from '../core/fail-state';
import { MAX_STORED_CAUSE_CHARS, recordedFailedState, type LedgerRecord } from '../core/ledger-record';
import { compilePattern } from '../core/policy';
import { restartRefusal } from '../core/restart';
import { evidenceFromListItem } from '../engine/sweep';
import { CliError } from './errors';
import { liftability } from './overrides';
import type { PlanEntry } from './plan-file';
import type { ApiRateLimiter } from './rate-limit';

export interface Selection {
  stateMachineArns: string[];
  statuses: WatchableStatus[];
  /** On the stop date, inclusive. */
  sinceMs: number;
  untilMs: number;
  /** Same syntax as errorPolicy (exact name, `glob*`, `/regex/`), matched against error and cause. */
  errorPattern?: string;
  /** Name of the state the execution failed in. */
  failedState?: string;
  /** Only executions never redriven (redriveFilter NOT_REDRIVEN). Off by default: a failure the pipeline gave up on has been redriven before. */
  notRedrivenOnly: boolean;
  limit?: number;
}

const LIST_PAGE_SIZE = 1000;

/** Checks `--state-machine` values before any call is made. */
export function validateStateMachineArns(arns: string[]): void {
  for (const arn of arns) {
    try {
      parseStateMachineArn(arn);
    } catch {
      throw new CliError(`Malformed state machine ARN ${JSON.stringify(arn)}: expected arn:<partition>:states:<region>:<account>:stateMachine:<name> (use --name-prefix to select by name)`);
    }
  }
}

/** State machine ARNs from exact ARNs and name prefixes. Express machines are not redrivable, so are left out. */
export async function resolveStateMachines(sfn: SFNClient, arns: string[], prefixes: string[]): Promise<{ arns: string[]; expressSkipped: string[] }> {
  const resolved = new Set(arns);
  const expressSkipped: string[] = [];
  if (prefixes.length > 0) {
    const found = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListStateMachinesCommand({ maxResults: LIST_PAGE_SIZE, nextToken }));
      for (const sm of page.stateMachines ?? []) {
        const prefix = prefixes.find((p) => sm.name?.startsWith(p));
        if (!prefix || !sm.stateMachineArn) continue;
        found.add(prefix);
        if (sm.type === 'EXPRESS') expressSkipped.push(sm.stateMachineArn);
        else resolved.add(sm.stateMachineArn);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    const unmatched = prefixes.filter((p) => !found.has(p));
    if (unmatched.length > 0) throw new CliError(`Unknown state machine: no state machine name starts with ${unmatched.map((p) => JSON.stringify(p)).join(', ')}`);
  }
  return { arns: [...resolved], expressSkipped };
}

/**
 * Executions of the selected state machines and statuses whose stop date is in range, newest first per
 * state machine and status. ListExecutions sorts by start date, so paging goes on to the end of the list.
 */
export async function* listSelected(sfn: SFNClient, selection: Selection): AsyncGenerator<ExecutionListItem> {
  for (const stateMachineArn of selection.stateMachineArns) {
    for (const statusFilter of selection.statuses) {
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new ListExecutionsCommand({
            stateMachineArn,
            statusFilter,
            redriveFilter: selection.notRedrivenOnly ? 'NOT_REDRIVEN' : undefined,
            maxResults: LIST_PAGE_SIZE,
            nextToken,
          }),
        );
        for (const item of page.executions ?? []) {
          const stopMs = item.stopDate?.getTime();
          if (stopMs !== undefined && stopMs >= selection.sinceMs && stopMs <= selection.untilMs) yield item;
        }
        nextToken = page.nextToken;
      } while (nextToken);
    }
  }
}

export interface Judge {
  sfn: SFNClient;
  ledger: Ledger;
  limiter: ApiRateLimiter;
  config: AutoRedriveConfig;
  nowMs: () => number;
  overrides?: PolicyOverrides;
  /** `--error`, compiled. */
  errorRegex?: RegExp;
  /** `--failed-state`. */
  failedState?: string;
  /** Evidence calls made, per API: at most one per execution. */
  evidenceCalls: Record<EvidenceApi, number>;
  /** Waits for the turn of one more execution's evidence call (`--rate`). */
  pace: () => Promise<void>;
  /** A restart plan (`restart`): the redrive policy does not apply, only what a restart needs. */
  restart?: boolean;
}

export type EvidenceApi = 'DescribeExecution' | 'GetExecutionHistory';
export const EVIDENCE_APIS: readonly [EvidenceApi, EvidenceApi] = ['DescribeExecution', 'GetExecutionHistory'];

/** A plain Express execution: no DescribeExecution or history for it (Map Run children do have them). */
function isPlainExpress(evidence: ExecutionEvidence): boolean {
  const arn = parseExecutionArn(evidence.executionArn);
  return arn.resourceType === 'express' && !arn.mapRunLabel;
}

export function compileErrorPattern(pattern: string | undefined): RegExp | undefined {
  if (pattern === undefined) return undefined;
  try {
    return compilePattern(pattern);
  } catch (error) {
    throw new CliError(`--error ${JSON.stringify(pattern)} is not a valid pattern: ${(error as Error).message}`);
  }
}

/** Whether the config's error policy reads the error text (and has not been lifted for this run). */
function policyReadsError(judge: Judge): boolean {
  const { neverRetry, onlyRetry } = judge.config.errorPolicy;
  return !judge.overrides?.errorPolicy && (neverRetry.length > 0 || onlyRetry.length > 0);
}

/**
 * The error and cause of the failure the ledger recorded, when it is this same failure generation and
 * the cause was kept whole: the pipeline's worker read them from the status event or DescribeExecution.
 */
function withLedgerErrorText(evidence: ExecutionEvidence, record: LedgerRecord | undefined): ExecutionEvidence {
  if (!record || record.generation !== evidence.redriveCount) return evidence;
  if (record.error === undefined && record.cause === undefined) return evidence;
  if ((record.cause?.length ?? 0) >= MAX_STORED_CAUSE_CHARS) return evidence;
  return { ...evidence, error: record.error, cause: record.cause, sources: [...evidence.sources, 'ledger'] };
}


/**
 * The one evidence call an execution may cost. `--failed-state` and history headroom need history; else
 * DescribeExecution (15/s in AWS) and a one-event reverse history page (20/s) both carry the error and
 * cause, so the call goes to whichever of our two buckets would serve it first.
 */
async function readEvidence(judge: Judge, evidence: ExecutionEvidence): Promise<HistoryTail> {
  const api: EvidenceApi = judge.failedState !== undefined || judge.config.historyHeadroomEvents > 0 ? 'GetExecutionHistory' : judge.limiter.soonest(EVIDENCE_APIS);
  await judge.pace();
  judge.evidenceCalls[api]++;
  if (api === 'DescribeExecution') return { evidence: await describeInto(judge.sfn, evidence) };
  return historyTailInto(judge.sfn, evidence, judge.failedState !== undefined ? FAILED_STATE_HISTORY_PAGE : 1);
}

function decideNow(judge: Judge, evidence: ExecutionEvidence, record: LedgerRecord | undefined, overrides = judge.overrides): Decision {
  return decide({ evidence, ledger: record, config: judge.config, nowMs: judge.nowMs(), trigger: 'operator', overrides });
}

/**
 * The verdict on one listed execution, as a plan entry, or undefined if it does not match `--error` or
 * `--failed-state`. Decides from the list item (status, dates, redriveCount), the ledger item and the
 * config; makes one evidence call only when a filter or the error policy needs the error text and the
 * ledger does not have it, or when the config counts history. Step Functions judges the rest (history
 * size, state machine status) when the run calls RedriveExecution.
 */
export async function judge(deps: Judge, item: ExecutionListItem, record: LedgerRecord | undefined): Promise<PlanEntry | undefined> {
  let evidence = withLedgerErrorText(evidenceFromListItem(item), record);
  const plainExpress = isPlainExpress(evidence);
  const filtered = deps.errorRegex !== undefined || deps.failedState !== undefined;
  // A plain Express execution has no history or description to match a filter against.
  if (plainExpress && filtered) return undefined;
  const textRead = errorEvidenceRead(evidence);
  let needsCall = !plainExpress && (deps.failedState !== undefined || (deps.errorRegex !== undefined && !textRead));
  // With the policy lifted, would the rules redrive it? Only then does the error text (or a history count) matter.
  const withoutPolicy = decideNow(deps, evidence, record, { ...deps.overrides, errorPolicy: true });
  if (!needsCall && !plainExpress && !deps.restart && withoutPolicy.action === 'REDRIVE') {
    needsCall = (!textRead && policyReadsError(deps)) || (deps.config.historyHeadroomEvents > 0 && evidence.historyEventCount === undefined);
  }
  let failedState: string | undefined;
  let failedInFailState: boolean | undefined;
  if (needsCall) {
    try {
      ({ evidence, lastEnteredState: failedState, lastEnteredFailState: failedInFailState } = await readEvidence(deps, evidence));
    } catch (error) {
      if (!(error instanceof ExecutionNotFoundError)) throw error;
      return planEntry(evidence, { action: 'SKIP', reason: 'EXECUTION_NOT_FOUND', detail: error.message, generation: evidence.redriveCount ?? 0, attemptNumber: 0 }, record);
    }
  }
  if (deps.errorRegex && ![evidence.error, evidence.cause].some((text) => text !== undefined && deps.errorRegex!.test(text))) return undefined;
  if (deps.failedState !== undefined && failedState !== deps.failedState) return undefined;
  if (deps.restart) {
    const refusal = restartRefusal(evidence, record);
    const generation = evidence.redriveCount ?? 0;
    return planEntry(evidence, refusal ? { action: 'SKIP', ...refusal, generation, attemptNumber: 0 } : { action: 'RESTART', reason: 'RESTART', detail: 'restart', generation, attemptNumber: 0 }, record, failedState, failedInFailState);
  }
  let decision: Decision;
  try {
    decision = decideNow(deps, evidence, record);
  } catch (error) {
    // Ineligible whatever the error is (e.g. over the attempt cap): no call was worth making.
    if (!(error instanceof EvidenceMissingError)) throw error;
    decision = withoutPolicy;
  }
  return planEntry(evidence, decision, record, failedState, failedInFailState);
}

/** The failed state is as read now (history), or as the ledger recorded it when the pipeline gave up on this generation. */
function planEntry(evidence: ExecutionEvidence, decision: Decision, record: LedgerRecord | undefined, readState?: string, readFailState?: boolean): PlanEntry {
  const generation = evidence.redriveCount ?? 0;
  return {
    executionArn: evidence.executionArn,
    stateMachineArn: evidence.stateMachineArn,
    name: evidence.executionName,
    status: evidence.status,
    startDateMs: evidence.startDateMs,
    stopDateMs: evidence.stopDateMs,
    generation,
    error: evidence.error,
    cause: evidence.cause,
    ...(failedStateFields(readState, readFailState) ?? recordedFailedState(record, generation)),
    historyEventCount: evidence.historyEventCount,
    redriveStatus: evidence.redriveStatus,
    redriveStatusReason: evidence.redriveStatusReason,
    sources: evidence.sources,
    verdict: decision.action === 'REDRIVE' || decision.action === 'RESTART' ? decision.action : decision.reason,
    detail: decision.detail,
    ...(decision.action !== 'REDRIVE' && decision.action !== 'RESTART' && { lift: liftability(decision.reason) }),
    ...(decision.overrides && { overrides: decision.overrides }),
    ...(record?.phase === 'GAVE_UP' && record.generation === (evidence.redriveCount ?? 0) && { gaveUp: true }),
  };
}

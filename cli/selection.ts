/**
 * The operator's selection of failed executions, streamed page by page, and the verdict of the core
 * rules on each. Shared by the plan and the run of `redrive`, so both count the same way.
 */
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  type ExecutionListItem,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { Ledger } from '../adapters/ledger';
import { countHistoryInto, describeInto } from '../adapters/sfn';
import { parseExecutionArn, parseStateMachineArn } from '../core/arn';
import type { AutoRedriveConfig, WatchableStatus } from '../core/config';
import { decide, type Decision, type PolicyOverrides } from '../core/decide';
import { missingEvidence, type ExecutionEvidence } from '../core/evidence';
import type { LedgerRecord } from '../core/ledger-record';
import { compilePattern } from '../core/policy';
import { evidenceFromListItem } from '../engine/sweep';
import { CliError } from './errors';

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
/** A failed execution's last page of history names the state it failed in. */
const FAILED_STATE_HISTORY_PAGE = 100;

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

export interface Verdict {
  evidence: ExecutionEvidence;
  decision: Decision;
  /** The ledger item the decision read, handed to the engine so the run does not read it twice. */
  ledger: LedgerRecord | undefined;
}

export interface Classifier {
  sfn: SFNClient;
  ledger: Ledger;
  config: AutoRedriveConfig;
  nowMs: () => number;
  overrides?: PolicyOverrides;
}

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

/**
 * The core's verdict on one listed execution, or undefined if it does not match the `--error` or
 * `--failed-state` filter. Calls DescribeExecution when the rules or the filter need it, and one page of
 * history only for `--failed-state`.
 */
export async function classify(deps: Classifier, item: ExecutionListItem, selection: Selection, errorRegex: RegExp | undefined): Promise<Verdict | undefined> {
  let evidence = evidenceFromListItem(item);
  const plainExpress = isPlainExpress(evidence);
  const needsDescribe = missingEvidence(evidence, deps.config.historyHeadroomEvents).includes('describe') || (errorRegex !== undefined && !plainExpress);
  if (needsDescribe) evidence = await describeInto(deps.sfn, evidence);
  if (errorRegex && ![evidence.error, evidence.cause].some((text) => text !== undefined && errorRegex.test(text))) return undefined;
  let failedState: string | undefined;
  if (selection.failedState !== undefined) {
    if (plainExpress) return undefined;
    ({ evidence, failedState } = await lastEnteredState(deps.sfn, evidence));
    if (failedState !== selection.failedState) return undefined;
  } else if (missingEvidence(evidence, deps.config.historyHeadroomEvents).includes('history')) {
    evidence = await countHistoryInto(deps.sfn, evidence);
  }
  const ledger = await deps.ledger.get(evidence.executionArn);
  const decision = decide({ evidence, ledger, config: deps.config, nowMs: deps.nowMs(), trigger: 'operator', overrides: deps.overrides });
  return { evidence, decision, ledger };
}

/** The most recently entered state, from one reverse page of history (which also counts the events). */
async function lastEnteredState(sfn: SFNClient, evidence: ExecutionEvidence): Promise<{ evidence: ExecutionEvidence; failedState?: string }> {
  const out = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn: evidence.executionArn, reverseOrder: true, maxResults: FAILED_STATE_HISTORY_PAGE, includeExecutionData: false }),
  );
  const events = out.events ?? [];
  const entered = events.find((event) => event.stateEnteredEventDetails?.name !== undefined);
  return {
    evidence: { ...evidence, historyEventCount: events[0]?.id ?? 0, sources: [...evidence.sources, 'history'] },
    failedState: entered?.stateEnteredEventDetails?.name,
  };
}

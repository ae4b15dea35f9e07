/**
 * Fix-forward restarts, the pure part: where a restart runs (the state machine's latest revision, a
 * version or an alias), and the deterministic name of the new execution. The name is what makes a
 * retried restart idempotent: StartExecution with the same name and input returns the running execution,
 * and on a closed one answers ExecutionAlreadyExists, which DescribeExecution then confirms.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
import { createHash } from 'node:crypto';
import { parseExecutionArn } from './arn';
import type { ExecutionEvidence } from './evidence';
import type { LedgerRecord } from './ledger-record';
import { isValidStepFunctionsName } from './names';
import type { ReasonCode } from './reasons';

export type RestartTarget = { kind: 'latest' } | { kind: 'version'; version: number } | { kind: 'alias'; alias: string };

/** AWS's limit on an execution name. */
export const EXECUTION_NAME_MAX_LENGTH = 80;
/** Alias names as CreateStateMachineAlias accepts them: at least one character that is not a digit. */
const ALIAS_NAME = /^(?=.*[a-zA-Z_.-])[a-zA-Z0-9_.-]{1,80}$/;
const RESTART_SUFFIX = /^(?<root>.+)-restart-(?<number>[1-9]\d{0,5})$/;

/** A restart rule's target as the config writes it (`"latest"`, `{"alias": "prod"}`, `{"version": 3}`). */
export function restartTargetFromConfig(target: 'latest' | { alias: string } | { version: number }): RestartTarget {
  if (target === 'latest') return { kind: 'latest' };
  return 'alias' in target ? { kind: 'alias', alias: target.alias } : { kind: 'version', version: target.version };
}

/** `latest`, `version:3` or `alias:prod`, as the CLI's `--target` writes it. */
export function parseRestartTarget(text: string): RestartTarget {
  if (text === 'latest') return { kind: 'latest' };
  const version = /^version:([1-9]\d{0,8})$/.exec(text);
  if (version) return { kind: 'version', version: Number(version[1]) };
  const alias = /^alias:(.+)$/.exec(text);
  if (alias && ALIAS_NAME.test(alias[1])) return { kind: 'alias', alias: alias[1] };
  throw new Error(`restart target ${JSON.stringify(text)} is not "latest", "version:<number>" or "alias:<name>"`);
}

export function describeRestartTarget(target: RestartTarget): string {
  switch (target.kind) {
    case 'latest':
      return 'latest';
    case 'version':
      return `version:${target.version}`;
    case 'alias':
      return `alias:${target.alias}`;
  }
}

/** The ARN StartExecution is called with: the state machine's, or its version's or alias's. */
export function restartTargetArn(stateMachineArn: string, target: RestartTarget): string {
  switch (target.kind) {
    case 'latest':
      return stateMachineArn;
    case 'version':
      return `${stateMachineArn}:${target.version}`;
    case 'alias':
      return `${stateMachineArn}:${target.alias}`;
  }
}

/**
 * The restart's name: `<root>-restart-<n>`, where a restart of a restart counts on (`order-42` →
 * `order-42-restart-1` → `order-42-restart-2`). A name that would pass 80 characters keeps the start of
 * the root and a hash of the whole original name, so two long names never share a restart name.
 */
export function restartExecutionName(originalName: string): string {
  const previous = RESTART_SUFFIX.exec(originalName)?.groups;
  const root = previous ? previous.root : originalName;
  const suffix = `-restart-${restartsBefore(originalName) + 1}`;
  let name = `${root}${suffix}`;
  if (name.length > EXECUTION_NAME_MAX_LENGTH) {
    const hash = createHash('sha256').update(originalName).digest('hex').slice(0, 8);
    const room = EXECUTION_NAME_MAX_LENGTH - suffix.length - hash.length - 1;
    // Whole code points only, so a surrogate pair is never split.
    let kept = '';
    for (const character of root) {
      if (kept.length + character.length > room) break;
      kept += character;
    }
    name = `${kept}-${hash}${suffix}`;
  }
  if (!isValidStepFunctionsName(name)) throw new Error(`cannot derive a legal restart name from ${JSON.stringify(originalName)}`);
  return name;
}

/** How many restarts lead to this execution: 0 for an original, n for `<root>-restart-<n>`. */
export function restartsBefore(executionName: string): number {
  const previous = RESTART_SUFFIX.exec(executionName)?.groups;
  return previous ? Number(previous.number) : 0;
}

/** The ARN the restart gets: executions of a version or alias are named under the state machine itself. */
export function restartExecutionArn(originalExecutionArn: string): string {
  const { partition, region, account, stateMachineName, executionName, resourceType, mapRunLabel } = parseExecutionArn(originalExecutionArn);
  if (resourceType !== 'execution' || mapRunLabel !== undefined) throw new Error(`${originalExecutionArn} is not a Standard execution of a state machine: it cannot be restarted`);
  return `arn:${partition}:states:${region}:${account}:execution:${stateMachineName}:${restartExecutionName(executionName)}`;
}

/**
 * Why an execution cannot be restarted now, or undefined. A claimed restart (RESTARTING) may be resumed;
 * an execution restarted before, or whose redrive is in flight or done, is left alone.
 */
export function restartRefusal(evidence: ExecutionEvidence, record: LedgerRecord | undefined): { reason: ReasonCode; detail: string } | undefined {
  const { status } = evidence;
  if (status === 'RUNNING' || status === 'SUCCEEDED' || status === 'PENDING_REDRIVE') return { reason: 'NOT_FAILED', detail: `status is ${status}` };
  const arn = parseExecutionArn(evidence.executionArn);
  if (arn.resourceType === 'express') return { reason: 'EXPRESS_STATE_MACHINE', detail: 'an Express execution has no input to read back (DescribeExecution does not serve it)' };
  if (arn.mapRunLabel || evidence.mapRunArn) return { reason: 'MAP_RUN_CHILD', detail: 'a Map Run child: restart the parent execution instead' };
  if (record?.restartedAs) return { reason: 'RESTARTED', detail: `already restarted as ${record.restartedAs} (${record.restartTarget})` };
  const generation = evidence.redriveCount ?? 0;
  if (record && record.generation > generation) return { reason: 'ALREADY_HANDLED', detail: `stale: the ledger is at generation ${record.generation}, the execution at ${generation}` };
  if (record && record.generation === generation && (record.phase === 'REDRIVING' || record.phase === 'REDRIVEN')) {
    return { reason: 'ALREADY_HANDLED', detail: `generation ${generation} is ${record.phase}: its redrive comes first` };
  }
  return undefined;
}

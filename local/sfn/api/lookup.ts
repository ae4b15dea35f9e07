/** ARN checks and record lookups shared by the operations (InvalidArn / ...DoesNotExist errors). */
import { parseExecutionArn, STATE_MACHINE_ARN_SOURCE } from '../../../core/arn';
import type { EmulatorContext } from '../context';
import { apiErrors, SfnApiError } from '../errors';
import type { AliasRecord, ExecutionRecord, StateMachineRecord, VersionRecord } from '../store';

/** A state machine ARN as StartExecution accepts it: optionally `:<version>` or `:<alias>`, and Step Functions Local's `#<TestCase>`. */
const STATE_MACHINE_TARGET = new RegExp(
  `^(?<baseArn>${STATE_MACHINE_ARN_SOURCE})(?::(?<qualifier>[A-Za-z0-9_.-]{1,80}))?(?:#(?<testCase>.+))?$`,
  'u',
);

export interface StateMachineTarget {
  stateMachine: StateMachineRecord;
  /** Set for a version ARN (`:<number>`). */
  version?: VersionRecord;
  versionArn?: string;
  /** Set for an alias ARN (`:<name>`, with at least one non-digit). */
  alias?: AliasRecord;
  testCase?: string;
}

export function resolveStateMachine(ctx: EmulatorContext, arn: string, { allowTestCase = false } = {}): StateMachineTarget {
  const match = STATE_MACHINE_TARGET.exec(arn);
  if (!match || (!allowTestCase && match.groups!.testCase !== undefined)) throw apiErrors.invalidArn(arn);
  const { baseArn, qualifier, testCase } = match.groups!;
  const stateMachine = ctx.store.stateMachines.get(baseArn);
  if (!stateMachine) throw apiErrors.stateMachineDoesNotExist(arn);
  if (qualifier === undefined) return { stateMachine, testCase };
  if (/^\d+$/.test(qualifier)) {
    const version = stateMachine.versions.get(Number(qualifier));
    if (!version) throw apiErrors.stateMachineDoesNotExist(arn);
    return { stateMachine, version, versionArn: version.arn, testCase };
  }
  const alias = stateMachine.aliases.get(qualifier);
  if (!alias) throw apiErrors.stateMachineDoesNotExist(arn);
  return { stateMachine, alias, testCase };
}

/** An execution by ARN. Plain Express executions are not visible to the history-based APIs. */
export function findExecution(ctx: EmulatorContext, arn: string, { allowExpress = false } = {}): ExecutionRecord {
  let resourceType: string;
  try {
    resourceType = parseExecutionArn(arn).resourceType;
  } catch {
    throw apiErrors.invalidArn(arn);
  }
  const execution = ctx.store.executions.get(arn);
  if (resourceType === 'express' && !allowExpress && !execution?.mapRunArn) {
    throw apiErrors.invalidArn(arn, 'Resource type not valid in this context: express');
  }
  if (!execution) throw apiErrors.executionDoesNotExist(arn);
  return execution;
}

/** `…:mapRun:<state machine>/<label>:<id>`, as ListExecutions and the Map Run APIs take it. */
export const MAP_RUN_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:mapRun:[^:/]+\/[^:]+:[^:]+$/;

/** `arn:<partition>:states:<region>:<account>`, the start of every ARN the emulator issues. */
export function statesArnPrefix(ctx: EmulatorContext): string {
  return `arn:${ctx.partition}:states:${ctx.region}:${ctx.account}`;
}

export function stateMachineArnFor(ctx: EmulatorContext, name: string): string {
  return `${statesArnPrefix(ctx)}:stateMachine:${name}`;
}

/** Refuses a new open execution (start or redrive) once the account's open-execution quota is reached. */
export function checkOpenExecutionQuota(ctx: EmulatorContext): void {
  if (ctx.store.openExecutions >= ctx.maxOpenExecutions) {
    throw new SfnApiError('ExecutionLimitExceeded', `Execution Limit Exceeded: ${ctx.maxOpenExecutions} open executions`);
  }
}

/** Tagging APIs address state machines by plain ARN; a missing one is ResourceNotFound. */
export function lookupTaggable(ctx: EmulatorContext, arn: string): StateMachineRecord {
  if (!STATE_MACHINE_TARGET.test(arn) || arn.includes('#')) throw apiErrors.invalidArn(arn);
  const stateMachine = ctx.store.stateMachines.get(arn);
  if (!stateMachine) throw apiErrors.resourceNotFound(arn);
  return stateMachine;
}

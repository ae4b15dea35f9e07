/**
 * Step Functions ARN parsing. The ARN alone tells Express from Standard (`:express:` vs
 * `:execution:`) and a Map Run child (`stateMachine/label`), which saves API calls.
 * Names follow core/names.ts; since a name contains neither `:` nor `/`, every part splits unambiguously.
 */
import { NAME_SOURCE } from './names';

export interface ParsedExecutionArn {
  partition: string;
  region: string;
  account: string;
  /** `execution` for Standard, `express` for Express executions. */
  resourceType: 'execution' | 'express';
  stateMachineName: string;
  /** Set for Distributed Map children: `<parent>/<mapRunLabel>`. */
  mapRunLabel?: string;
  executionName: string;
  /** ARN of the state machine (the parent's, for a Map Run child). */
  stateMachineArn: string;
}

export class InvalidArnError extends Error {
  constructor(readonly arn: string, reason: string) {
    super(`Invalid execution ARN ${JSON.stringify(arn.slice(0, 300))}: ${reason}`);
    this.name = 'InvalidArnError';
  }
}

/** AWS's bound on every Step Functions ARN it accepts. */
export const ARN_MAX_LENGTH = 256;

/** Length in characters (code points), as the bound counts them; a huge string is not spread out. */
function arnLength(arn: string): number {
  return arn.length > 2 * ARN_MAX_LENGTH ? arn.length : [...arn].length;
}

/** `pattern` matched against `arn`, or null for a non-string or an ARN over the length bound. */
function matchArn(pattern: RegExp, arn: unknown): RegExpExecArray | null {
  return typeof arn === 'string' && arnLength(arn) <= ARN_MAX_LENGTH ? pattern.exec(arn) : null;
}

/** `arn:<partition>:states:<region>:<account>`, as regex source with named groups. */
const STATES_ARN_HEAD = String.raw`arn:(?<partition>aws[a-z-]*):states:(?<region>[a-z0-9-]+):(?<account>\d{12})`;

/**
 * A state machine ARN `…:stateMachine:<name>`, as `u`-flag regex source with the named groups
 * `partition`, `region`, `account` and `name`, for patterns that add qualifiers around it.
 */
export const STATE_MACHINE_ARN_SOURCE = `${STATES_ARN_HEAD}:stateMachine:(?<name>${NAME_SOURCE})`;

/** `…:execution|express:<stateMachine>[/<mapRunLabel>]:<name>[:<express id>]`. */
const EXECUTION_ARN = new RegExp(
  `^${STATES_ARN_HEAD}:(?<resourceType>execution|express):(?<stateMachineName>${NAME_SOURCE})` +
    `(?:/(?<mapRunLabel>${NAME_SOURCE}))?:(?<executionName>${NAME_SOURCE})(?::[0-9a-f-]{36})?$`,
  'u',
);

export function parseExecutionArn(arn: string): ParsedExecutionArn {
  if (typeof arn !== 'string' || arn.length === 0) throw new InvalidArnError(String(arn), 'empty');
  const length = arnLength(arn);
  if (length > ARN_MAX_LENGTH) throw new InvalidArnError(arn, `longer than ${ARN_MAX_LENGTH} characters (${length})`);
  const match = matchArn(EXECUTION_ARN, arn);
  if (!match) {
    throw new InvalidArnError(
      arn,
      'expected arn:<partition>:states:<region>:<account>:execution:<stateMachine>:<name>',
    );
  }
  const { partition, region, account, resourceType, stateMachineName, mapRunLabel, executionName } = match.groups!;
  return {
    partition,
    region,
    account,
    resourceType: resourceType as 'execution' | 'express',
    stateMachineName,
    mapRunLabel,
    executionName,
    stateMachineArn: `arn:${partition}:states:${region}:${account}:stateMachine:${stateMachineName}`,
  };
}

export function isExecutionArn(arn: string): boolean {
  return matchArn(EXECUTION_ARN, arn) !== null;
}

export interface ParsedStateMachineArn {
  partition: string;
  region: string;
  account: string;
  name: string;
}

const STATE_MACHINE_ARN = new RegExp(`^${STATE_MACHINE_ARN_SOURCE}$`, 'u');

/** A plain state machine ARN (no version, alias or Map Run label). */
export function parseStateMachineArn(arn: string): ParsedStateMachineArn {
  const match = matchArn(STATE_MACHINE_ARN, arn);
  if (!match) {
    throw new InvalidArnError(String(arn), 'expected arn:<partition>:states:<region>:<account>:stateMachine:<name>');
  }
  const { partition, region, account, name } = match.groups!;
  return { partition, region, account, name };
}

export function isStateMachineArn(arn: string): boolean {
  return matchArn(STATE_MACHINE_ARN, arn) !== null;
}

/**
 * The `stateMachineArn` an execution reports: a state machine ARN, for a Map Run child with
 * `/<mapRunLabel>`, and leniently an optional `:<version or alias>`.
 */
const EXECUTION_STATE_MACHINE_ARN = new RegExp(`^${STATE_MACHINE_ARN_SOURCE}(?:/${NAME_SOURCE})?(?::${NAME_SOURCE})?$`, 'u');

export function isExecutionStateMachineArn(arn: string): boolean {
  return matchArn(EXECUTION_STATE_MACHINE_ARN, arn) !== null;
}

/** Console deep link for an execution, in the execution's own partition and region. */
export function consoleUrlForExecution(executionArn: string): string {
  const { partition, region } = parseExecutionArn(executionArn);
  const host =
    partition === 'aws-cn'
      ? 'console.amazonaws.cn'
      : partition === 'aws-us-gov'
        ? 'console.amazonaws-us-gov.com'
        : 'console.aws.amazon.com';
  return `https://${region}.${host}/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

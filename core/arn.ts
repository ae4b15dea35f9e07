/**
 * Step Functions ARN parsing. The ARN alone tells Express from Standard (`:express:` vs
 * `:execution:`) and a Map Run child (`stateMachine/label`), which saves API calls.
 */

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

const EXECUTION_ARN =
  /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):(execution|express):([A-Za-z0-9_-]{1,80})(?:\/([A-Za-z0-9_.:-]{1,80}))?:([^:\s]{1,80})(?::([0-9a-f-]{36}))?$/;

export function parseExecutionArn(arn: string): ParsedExecutionArn {
  if (typeof arn !== 'string' || arn.length === 0) throw new InvalidArnError(String(arn), 'empty');
  if (arn.length > 256) throw new InvalidArnError(arn, `longer than 256 characters (${arn.length})`);
  const match = EXECUTION_ARN.exec(arn);
  if (!match) {
    throw new InvalidArnError(
      arn,
      'expected arn:<partition>:states:<region>:<account>:execution:<stateMachine>:<name>',
    );
  }
  const [, partition, region, account, resourceType, stateMachineName, mapRunLabel, executionName] = match;
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
  return typeof arn === 'string' && arn.length <= 256 && EXECUTION_ARN.test(arn);
}

export interface ParsedStateMachineArn {
  partition: string;
  region: string;
  account: string;
  name: string;
}

const STATE_MACHINE_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;

export function parseStateMachineArn(arn: string): ParsedStateMachineArn {
  const match = STATE_MACHINE_ARN.exec(arn);
  if (!match) {
    throw new InvalidArnError(arn, 'expected arn:<partition>:states:<region>:<account>:stateMachine:<name>');
  }
  const [, partition, region, account, name] = match;
  return { partition, region, account, name };
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

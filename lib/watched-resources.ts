/**
 * The Step Functions resources that IAM policies name for the watched state machines. The same
 * function renders them with CloudFormation tokens (for the policy) and with cdk-nag's `<AWS::...>`
 * placeholders (for the acknowledgement ids), so the two cannot drift apart.
 */
import { parseStateMachineArn } from '../core/arn';
import type { AutoRedriveConfig } from '../core/config';
import { stateMachineArnPrefix, type PatternEnvironment } from '../core/event-pattern';

export interface WatchedResources {
  /** State machine ARNs or ARN patterns, for `states:ListExecutions`. */
  readonly stateMachines: string[];
  /** Execution ARN patterns, for `states:DescribeExecution` and friends. */
  readonly executions: string[];
  /** Map Run ARN patterns (`mapRun:<state machine>/<label>:<id>`), for `states:DescribeMapRun` and `states:ListExecutions` of a Map Run. */
  readonly mapRuns: string[];
}

/** How cdk-nag renders the stack's pseudo parameters in finding ids (see its flattenCfnReference). */
export const NAG_PSEUDO_ENVIRONMENT: PatternEnvironment = {
  partition: '<AWS::Partition>',
  region: '<AWS::Region>',
  account: '<AWS::AccountId>',
};

function executionsOf(env: PatternEnvironment, stateMachineNamePattern: string): string {
  return `arn:${env.partition}:states:${env.region}:${env.account}:execution:${stateMachineNamePattern}:*`;
}

function mapRunsOf(env: PatternEnvironment, stateMachineNamePattern: string): string {
  return `arn:${env.partition}:states:${env.region}:${env.account}:mapRun:${stateMachineNamePattern}/*`;
}

/**
 * Exact ARNs keep their own partition, region and account (the execution ARN of a state machine is
 * fully determined by it); name prefixes use the stack's environment, like the event pattern does.
 */
export function watchedResources(watch: AutoRedriveConfig['watch'], env: PatternEnvironment): WatchedResources {
  if (watch.all) {
    return { stateMachines: [stateMachineArnPrefix(env, '*')], executions: [executionsOf(env, '*')], mapRuns: [mapRunsOf(env, '*')] };
  }
  const exact = watch.stateMachineArns.map((arn) => ({ arn, ...parseStateMachineArn(arn) }));
  return {
    stateMachines: [
      ...exact.map((m) => m.arn),
      ...watch.stateMachineNamePrefixes.map((prefix) => `${stateMachineArnPrefix(env, prefix)}*`),
    ],
    executions: [
      ...exact.map((m) => executionsOf(m, m.name)),
      ...watch.stateMachineNamePrefixes.map((prefix) => executionsOf(env, `${prefix}*`)),
    ],
    mapRuns: [
      ...exact.map((m) => mapRunsOf(m, m.name)),
      ...watch.stateMachineNamePrefixes.map((prefix) => mapRunsOf(env, `${prefix}*`)),
    ],
  };
}

type RestartRuleTarget = 'latest' | { alias: string } | { version: number };

/** A state machine ARN (or ARN pattern) qualified as StartExecution names the target: itself, `:<version>` or `:<alias>`. */
function qualified(stateMachine: string, target: RestartRuleTarget): string {
  if (target === 'latest') return stateMachine;
  return `${stateMachine}:${'alias' in target ? target.alias : target.version}`;
}

/**
 * What the worker may start for `restart` rules (states:StartExecution): each rule's target on the state
 * machines the rule covers. Default rules cover every watched state machine; a state machine's own rules
 * cover its ARN or name prefix. No restart rule, no grant.
 */
export function restartTargets(config: AutoRedriveConfig, env: PatternEnvironment): string[] {
  const targetsOf = (rules: AutoRedriveConfig['errorPolicy']['rules']) =>
    rules.flatMap((rule) => (rule.action === 'restart' ? [rule.target] : []));
  const defaults = targetsOf(config.errorPolicy.rules);
  const resources = watchedResources(config.watch, env).stateMachines.flatMap((machine) => defaults.map((target) => qualified(machine, target)));
  for (const scope of config.errorPolicy.stateMachines) {
    const machine = scope.stateMachineArn ?? `${stateMachineArnPrefix(env, scope.namePrefix!)}*`;
    resources.push(...targetsOf(scope.rules).map((target) => qualified(machine, target)));
  }
  return [...new Set(resources)];
}

/** An account and region to deploy to; `undefined` where the stack leaves it open (environment-agnostic). */
export interface DeployEnvironment {
  readonly account?: string;
  readonly region?: string;
}

/** `account/region` of an exact state machine ARN. */
export function environmentOfArn(arn: string): string {
  const { account, region } = parseStateMachineArn(arn);
  return `${account}/${region}`;
}

/**
 * Whether a stack in `env` can act on the state machine: Step Functions sends its status changes to the
 * default bus of the machine's own account and region, and the worker redrives with its own role in its
 * own region. An open account or region matches any.
 */
export function isInEnvironment(arn: string, env: DeployEnvironment): boolean {
  const { account, region } = parseStateMachineArn(arn);
  return (env.account === undefined || env.account === account) && (env.region === undefined || env.region === region);
}

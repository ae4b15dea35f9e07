/**
 * The EventBridge event pattern of the intake rule. The CDK construct deploys exactly this object and
 * the local event bus evaluates exactly this object, so what is tested locally is what is deployed.
 */
import type { AutoRedriveConfig } from './config';

export const STATUS_CHANGE_SOURCE = 'aws.states';
export const STATUS_CHANGE_DETAIL_TYPE = 'Step Functions Execution Status Change';

/** Account, region and partition of the stack. Strings, so CDK can pass tokens such as `Aws.REGION`. */
export interface PatternEnvironment {
  partition: string;
  region: string;
  account: string;
}

export type StateMachineArnMatcher = string | { prefix: string };

export interface StatusChangePattern {
  source: string[];
  'detail-type': string[];
  detail: {
    status: string[];
    stateMachineArn?: StateMachineArnMatcher[];
  };
}

export function stateMachineArnPrefix(env: PatternEnvironment, namePrefix: string): string {
  return `arn:${env.partition}:states:${env.region}:${env.account}:stateMachine:${namePrefix}`;
}

export function buildEventPattern(
  config: Pick<AutoRedriveConfig, 'watch' | 'statuses'>,
  env: PatternEnvironment,
): StatusChangePattern {
  const pattern: StatusChangePattern = {
    source: [STATUS_CHANGE_SOURCE],
    'detail-type': [STATUS_CHANGE_DETAIL_TYPE],
    detail: { status: [...config.statuses] },
  };
  if (!config.watch.all) {
    pattern.detail.stateMachineArn = [
      ...config.watch.stateMachineArns,
      ...config.watch.stateMachineNamePrefixes.map((p) => ({ prefix: stateMachineArnPrefix(env, p) })),
    ];
  }
  return pattern;
}

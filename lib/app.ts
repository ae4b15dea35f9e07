/**
 * What bin/app.ts does, as functions the tests can call: find and read the config file, check what
 * only a deployment needs, add one stack per deployment target, and register the cdk-nag packs.
 */
import { readFileSync } from 'node:fs';
import { Validations, type App } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ConfigError, DEFAULT_CONFIG_FILE, parseConfigJson, type AutoRedriveConfig } from '../core/config';
import { hasAlertDestination, NO_ALERT_DESTINATION } from './auto-redrive';
import { AutoRedriveStack } from './auto-redrive-stack';
import { environmentOfArn, isInEnvironment, type DeployEnvironment } from './watched-resources';

/** Overrides the config file path; the `configFile` context value (`cdk synth -c configFile=...`) wins over it. */
export const CONFIG_FILE_ENV_VAR = 'AUTOREDRIVE_CONFIG_FILE';

export function configFilePath(app: App, env: NodeJS.ProcessEnv = process.env): string {
  const fromContext: unknown = app.node.tryGetContext('configFile');
  return typeof fromContext === 'string' && fromContext !== '' ? fromContext : (env[CONFIG_FILE_ENV_VAR] || DEFAULT_CONFIG_FILE);
}

/** Reads and validates the config file. Every problem, including an unreadable file, is a ConfigError. */
export function readConfigFile(file: string): AutoRedriveConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`cannot read the config file (${(error as Error).message})`], file);
  }
  return parseConfigJson(text, file);
}

/**
 * One stack per target, named `<stackName>-<account>-<region>`; no targets: one environment-agnostic
 * stack named `stackName`. The suffix is used even for a single target so that adding a second target
 * later does not rename (and so replace) the first stack. Each target's stack watches only the exact
 * ARNs in its own account and region (configForTarget). Throws one ConfigError for every problem
 * deploymentProblems finds, before any stack exists, so each is reported once per app.
 */
export function addAutoRedriveStacks(app: App, config: AutoRedriveConfig): AutoRedriveStack[] {
  const problems = deploymentProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  if (config.targets.length === 0) {
    return [new AutoRedriveStack(app, config.stackName, { config })];
  }
  return config.targets.map(
    (target) =>
      new AutoRedriveStack(app, `${config.stackName}-${target.account}-${target.region}`, {
        config: configForTarget(config, target),
        env: target,
      }),
  );
}

/**
 * The config of one target's stack: exact ARNs of another account or region are left out, so its
 * stack grants nothing on them, its rule does not name them and its Lambdas do not list them.
 */
export function configForTarget(config: AutoRedriveConfig, target: DeployEnvironment): AutoRedriveConfig {
  const stateMachineArns = config.watch.stateMachineArns.filter((arn) => isInEnvironment(arn, target));
  return { ...config, watch: { ...config.watch, stateMachineArns } };
}

/**
 * What `cdk synth` refuses beyond the schema, as `path: message` lines: an exact ARN in no target's
 * account and region (no stack would watch it), a target whose stack would watch nothing, and alerts
 * with no destination and no acknowledgement.
 */
export function deploymentProblems(config: AutoRedriveConfig): string[] {
  const problems: string[] = [];
  const { watch, targets } = config;
  if (targets.length > 0) {
    const targetList = targets.map((t) => `${t.account}/${t.region}`).join(', ');
    watch.stateMachineArns.forEach((arn, i) => {
      if (!targets.some((target) => isInEnvironment(arn, target))) {
        problems.push(`watch.stateMachineArns.${i}: ${arn} is in ${environmentOfArn(arn)}, which is not a target (${targetList}): no stack would watch it`);
      }
    });
    if (!watch.all && watch.stateMachineNamePrefixes.length === 0) {
      targets.forEach((target, i) => {
        if (configForTarget(config, target).watch.stateMachineArns.length === 0) {
          problems.push(`targets.${i}: no ARN in watch.stateMachineArns is in ${target.account}/${target.region} and there is no name prefix: its stack would watch nothing`);
        }
      });
    }
  }
  if (!hasAlertDestination(config)) problems.push(NO_ALERT_DESTINATION);
  return problems;
}

/**
 * cdk-nag's packs and AWS Control Tower's proactive controls (cfn-guard) run as CDK validation
 * plugins: `cdk synth` prints their findings and fails on errors.
 */
export function addPolicyChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app), new CfnGuardValidator());
}

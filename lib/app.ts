/**
 * What bin/app.ts does, as functions the tests can call: find and read the config file, add one
 * stack per deployment target, and register the cdk-nag packs.
 */
import { readFileSync } from 'node:fs';
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ConfigError, DEFAULT_CONFIG_FILE, parseConfigJson, type AutoRedriveConfig } from '../core/config';
import { AutoRedriveStack } from './auto-redrive-stack';

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
    throw new ConfigError([`${file}: cannot read the config file (${(error as Error).message})`]);
  }
  return parseConfigJson(text, file);
}

/**
 * One stack per target, named `<stackName>-<account>-<region>`; no targets: one environment-agnostic
 * stack named `stackName`. The suffix is used even for a single target so that adding a second target
 * later does not rename (and so replace) the first stack.
 */
export function addAutoRedriveStacks(app: App, config: AutoRedriveConfig): AutoRedriveStack[] {
  if (config.targets.length === 0) {
    return [new AutoRedriveStack(app, config.stackName, { config })];
  }
  return config.targets.map(
    ({ account, region }) =>
      new AutoRedriveStack(app, `${config.stackName}-${account}-${region}`, { config, env: { account, region } }),
  );
}

/** cdk-nag runs as a CDK validation plugin: `cdk synth` prints its findings and fails on errors. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}

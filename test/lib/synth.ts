/** Test helpers: synthesize AutoRedrive stacks into temporary folders (bundling skipped) and clean up. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type AppProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AutoRedrive } from '../../lib/auto-redrive';
import type { AutoRedriveProps } from '../../lib/auto-redrive-props';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const arnOf = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;

const outdirs: string[] = [];

/** The context `cdk synth` gives the app: cdk.json's, feature flags included, so tests see what deploys. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;

/** An App that writes into os.tmpdir() and does not run esbuild; call `cleanUpApps` in afterAll. */
export function testApp(props: AppProps = {}): App {
  const outdir = mkdtempSync(join(tmpdir(), 'autoredrive-test-'));
  outdirs.push(outdir);
  return new App({ outdir, ...props, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...props.context } });
}

export function cleanUpApps(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Synthesized {
  app: App;
  stack: Stack;
  construct: AutoRedrive;
  template: Template;
}

/** Most tests are not about alerts: without `alerts`, the props say why nobody reads them (synth fails otherwise). */
export function withAlertsAcknowledged(props: AutoRedriveProps): AutoRedriveProps {
  return props.alerts === undefined ? { ...props, alerts: { acknowledgeNoDestination: 'test stack: nobody reads its alerts' } } : props;
}

/** Synthesizes one AutoRedrive in an environment-agnostic stack; props as in withAlertsAcknowledged. */
export function synth(props: AutoRedriveProps): Synthesized {
  const app = testApp();
  const stack = new Stack(app, 'Test');
  const construct = new AutoRedrive(stack, 'AutoRedrive', withAlertsAcknowledged(props));
  return { app, stack, construct, template: Template.fromStack(stack) };
}

/** Every IAM policy statement in the template, with Action and Resource normalized to arrays. */
export function policyStatements(template: Template): { Action: string[]; Resource: unknown[]; policy: string }[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies).flatMap(([policy, resource]) =>
    (resource.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).map((s) => ({
      policy,
      Action: ([] as string[]).concat(s.Action),
      Resource: ([] as unknown[]).concat(s.Resource),
    })),
  );
}

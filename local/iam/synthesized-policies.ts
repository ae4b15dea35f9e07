/**
 * The IAM policies `cdk synth` gives each Lambda's role, for the local stack to enforce. The construct
 * is synthesized with the config the local stack runs (bundling skipped: only the template matters),
 * every AWS::IAM::Policy attached to a function's role is collected, and the intrinsics in it (Ref,
 * Fn::GetAtt, Fn::Join) are resolved to the local stack's ARNs, so a grant narrowed or dropped in the
 * construct is narrowed or dropped locally too.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type CfnElement, type IResource } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { AutoRedrive } from '../../lib/auto-redrive';
import type { AutoRedriveConfig } from '../../core/config';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../fabric/aws-names';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, unknown>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** The Lambdas of the construct, by the role they play locally. */
export type LambdaRole = 'worker' | 'sweep' | 'notifier' | 'approval';

export type RolePolicies = Partial<Record<LambdaRole, PolicyDocument>>;

/** What a resource of the construct is called in the local stack. */
export interface LocalResourceNames {
  ledgerTable: string;
  intakeQueue: string;
  intakeDlq: string;
  alertTopic: string;
  alertsQueue: string;
  alertsDlq: string;
  ruleDlq: string;
}

type Resolved = string;
/** Fn::GetAtt [id, 'Arn'] and Ref for one logical id. */
interface LocalValues {
  arn: string;
  ref: string;
}

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::Region': LOCAL_REGION,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** cdk.json's context (feature flags such as minimizePolicies), as `cdk synth` would use it; absent in the package. */
function projectContext(): Record<string, unknown> {
  const file = join(__dirname, '..', '..', 'cdk.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {} : {};
}

export function synthesizeRolePolicies(config: AutoRedriveConfig, names: LocalResourceNames): RolePolicies {
  const outdir = mkdtempSync(join(tmpdir(), 'autoredrive-local-synth-'));
  try {
    const app = new App({ outdir, context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'LocalStack');
    const construct = new AutoRedrive(stack, 'AutoRedrive', config);
    const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, CfnResource> };
    const values = localValues(stack, construct, names, template.Resources);
    const functions: Record<LambdaRole, IFunction | undefined> = {
      worker: construct.workerFunction,
      sweep: construct.sweepFunction,
      notifier: construct.slackNotifierFunction,
      approval: construct.approvalEndpointFunction,
    };
    const policies: RolePolicies = {};
    for (const [role, fn] of Object.entries(functions) as [LambdaRole, IFunction | undefined][]) {
      if (!fn?.role) continue;
      const roleId = logicalId(stack, fn.role);
      const statements = Object.values(template.Resources)
        .filter((resource) => resource.Type === 'AWS::IAM::Policy' && attachedTo(resource, roleId))
        .flatMap((resource) => (resource.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
      policies[role] = { Version: '2012-10-17', Statement: statements.map((statement) => resolveIntrinsics(statement, values) as PolicyStatement) };
    }
    return policies;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
}

function attachedTo(policy: CfnResource, roleId: string): boolean {
  return ((policy.Properties.Roles as unknown[] | undefined) ?? []).some((role) => (role as { Ref?: string }).Ref === roleId);
}

function logicalId(stack: Stack, resource: IResource): string {
  return stack.getLogicalId(resource.node.defaultChild as CfnElement);
}

/**
 * The construct's resources under their local names. Resources the local stack has no stand-in for
 * (log groups, the KMS key) get ARNs of the right shape that nothing local ever asks for.
 */
function localValues(stack: Stack, construct: AutoRedrive, names: LocalResourceNames, resources: Record<string, CfnResource>): Map<string, LocalValues> {
  const arnPrefix = (service: string) => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:`;
  const queue = (name: string): LocalValues => ({ arn: `${arnPrefix('sqs')}${name}`, ref: `http://local/${LOCAL_ACCOUNT}/${name}` });
  const known: [IResource | undefined, LocalValues][] = [
    [construct.ledgerTable, { arn: `${arnPrefix('dynamodb')}table/${names.ledgerTable}`, ref: names.ledgerTable }],
    [construct.intakeQueue, queue(names.intakeQueue)],
    [construct.intakeDeadLetterQueue, queue(names.intakeDlq)],
    [construct.ruleDeadLetterQueue, queue(names.ruleDlq)],
    [construct.slackAlertsQueue, queue(names.alertsQueue)],
    [construct.alertDeadLetterQueue, queue(names.alertsDlq)],
    [construct.alertTopic, { arn: `${arnPrefix('sns')}${names.alertTopic}`, ref: `${arnPrefix('sns')}${names.alertTopic}` }],
  ];
  const values = new Map<string, LocalValues>();
  for (const [resource, local] of known) if (resource) values.set(logicalId(stack, resource), local);
  for (const [id, resource] of Object.entries(resources)) {
    if (values.has(id)) continue;
    if (resource.Type === 'AWS::Logs::LogGroup') values.set(id, { arn: `${arnPrefix('logs')}log-group:${id}:*`, ref: id });
    if (resource.Type === 'AWS::KMS::Key') values.set(id, { arn: `${arnPrefix('kms')}key/${id}`, ref: id });
  }
  return values;
}

/** Ref, Fn::GetAtt Arn and Fn::Join, the intrinsics CDK renders into these policies; anything else is a bug here. */
export function resolveIntrinsics(value: unknown, values: ReadonlyMap<string, LocalValues>): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, values));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [key, argument] = entries[0] ?? [];
  if (entries.length === 1 && key === 'Ref') return refOf(String(argument), values);
  if (entries.length === 1 && key === 'Fn::GetAtt') return getAtt(argument as [string, string], values);
  if (entries.length === 1 && key === 'Fn::Join') {
    const [separator, parts] = argument as [string, unknown[]];
    return parts.map((part) => resolveIntrinsics(part, values) as Resolved).join(separator);
  }
  if (entries.length === 1 && key.startsWith('Fn::')) throw new Error(`the local stack cannot resolve ${key} in a synthesized policy`);
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, values)]));
}

function refOf(name: string, values: ReadonlyMap<string, LocalValues>): Resolved {
  const pseudo = PSEUDO_PARAMETERS[name];
  if (pseudo !== undefined) return pseudo;
  const local = values.get(name);
  if (!local) throw new Error(`the local stack has no stand-in for ${name}, referenced by a synthesized policy`);
  return local.ref;
}

function getAtt([id, attribute]: [string, string], values: ReadonlyMap<string, LocalValues>): Resolved {
  const local = values.get(id);
  if (!local || attribute !== 'Arn') throw new Error(`the local stack cannot resolve Fn::GetAtt ${id}.${attribute} in a synthesized policy`);
  return local.arn;
}

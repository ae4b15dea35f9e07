/**
 * The synthesized role policies, cached: a synth takes seconds (aws-cdk-lib alone loads for one or
 * two), a cache hit milliseconds. The construct is synthesized with the config fields its grants depend
 * on (the rest left at their defaults) and with placeholder resource names, filled in afterwards; the key
 * covers those fields, the construct's and config's sources, cdk.json and the aws-cdk-lib version. So the
 * many configs of the model-based test, differing in backoff or attempts, and its fresh ledger tables all
 * share one synth. Cached in memory for the process and on disk (os.tmpdir()) across runs.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type AutoRedriveConfig } from '../../core/config';
import type { LocalResourceNames, RolePolicies } from './synthesized-policies';

const ROOT = join(__dirname, '..', '..');
const CACHE_DIR = join(tmpdir(), 'sfn-autoredrive-iam-cache');
/** What the policies are synthesized from, besides the config. */
const SOURCE_DIRS = ['lib', 'core'];
const inProcess = new Map<string, RolePolicies>();

/** Stand-ins for the local names in the synthesized policies; no ARN contains them otherwise. */
const NAME_PLACEHOLDERS: LocalResourceNames = {
  ledgerTable: '@ledgerTable@',
  intakeQueue: '@intakeQueue@',
  intakeDlq: '@intakeDlq@',
  alertTopic: '@alertTopic@',
  alertsQueue: '@alertsQueue@',
  alertsDlq: '@alertsDlq@',
  ruleDlq: '@ruleDlq@',
};

export function rolePoliciesFor(config: AutoRedriveConfig, names: LocalResourceNames): RolePolicies {
  const grantInputs = iamRelevantConfig(config);
  const key = cacheKey(grantInputs);
  let policies = inProcess.get(key) ?? readCached(key);
  if (!policies) {
    // Loaded only on a miss: it pulls in aws-cdk-lib.
    const { synthesizeRolePolicies } = require('./synthesized-policies') as typeof import('./synthesized-policies');
    policies = synthesizeRolePolicies(grantInputs, NAME_PLACEHOLDERS);
    writeCached(key, policies);
  }
  inProcess.set(key, policies);
  return withNames(policies, names);
}

/**
 * The config fields lib/auto-redrive.ts derives IAM grants from: what is watched, whether the sweep and
 * the Slack notifier and the approval endpoint exist, their secrets' names, and the restart rules'
 * targets. A test changes every other field and checks the synthesized policies stay the same, so a
 * construct change that makes another field matter fails it.
 */
export function iamRelevantConfig(config: AutoRedriveConfig): AutoRedriveConfig {
  const { emails, slackWebhookSecretName, acknowledgeNoDestination } = config.alerts;
  // Restart rules grant states:StartExecution on their targets; no other rule touches IAM.
  const restartRules = (rules: AutoRedriveConfig['errorPolicy']['rules']) => rules.filter((rule) => rule.action === 'restart');
  const errorPolicy = {
    rules: restartRules(config.errorPolicy.rules),
    stateMachines: config.errorPolicy.stateMachines.map((scope) => ({ ...scope, rules: restartRules(scope.rules) })).filter((scope) => scope.rules.length > 0),
  };
  // Who may click changes no grant, but the schema wants someone named whenever a signing secret is.
  const { slackSigningSecretName, slackBotTokenSecretName, allowedSlackUserGroupIds } = config.approvals;
  const approvals = slackSigningSecretName
    ? { slackSigningSecretName, slackBotTokenSecretName, allowedSlackUserIds: ['U0LOCAL'], allowedSlackUserGroupIds: allowedSlackUserGroupIds.length > 0 ? ['S0LOCAL'] : [] }
    : {};
  return parseConfig({ watch: config.watch, eventBusName: config.eventBusName, sweep: { enabled: config.sweep.enabled }, alerts: { emails, slackWebhookSecretName, acknowledgeNoDestination }, errorPolicy, approvals });
}

function withNames(policies: RolePolicies, names: LocalResourceNames): RolePolicies {
  let json = JSON.stringify(policies);
  for (const [name, placeholder] of Object.entries(NAME_PLACEHOLDERS) as [keyof LocalResourceNames, string][]) json = json.split(placeholder).join(names[name]);
  return JSON.parse(json) as RolePolicies;
}

function cacheKey(config: AutoRedriveConfig): string {
  const hash = createHash('sha256').update(JSON.stringify({ config, cdk: (require('aws-cdk-lib/package.json') as { version: string }).version }));
  for (const dir of SOURCE_DIRS) {
    for (const file of readdirSync(join(ROOT, dir)).sort()) {
      if (/\.(ts|js)$/.test(file)) hash.update(file).update(readFileSync(join(ROOT, dir, file)));
    }
  }
  const cdkJson = join(ROOT, 'cdk.json');
  if (existsSync(cdkJson)) hash.update(readFileSync(cdkJson));
  return hash.digest('hex').slice(0, 32);
}

function readCached(key: string): RolePolicies | undefined {
  try {
    return JSON.parse(readFileSync(join(CACHE_DIR, `${key}.json`), 'utf8')) as RolePolicies;
  } catch {
    return undefined;
  }
}

/** Written aside and renamed, so a concurrent reader (another jest worker) never sees half a file. */
function writeCached(key: string, policies: RolePolicies): void {
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = join(CACHE_DIR, `${key}.${process.pid}.tmp`);
  writeFileSync(partial, JSON.stringify(policies));
  renameSync(partial, join(CACHE_DIR, `${key}.json`));
}

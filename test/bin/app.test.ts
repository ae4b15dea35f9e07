import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG_FILE, parseConfig } from '../../core/config';
import { Template } from 'aws-cdk-lib/assertions';
import {
  addAutoRedriveStacks,
  CONFIG_FILE_ENV_VAR,
  configFilePath,
  deploymentProblems,
  readConfigFile,
} from '../../lib/app';
import { NO_ALERT_DESTINATION } from '../../lib/auto-redrive';
import { cleanUpApps, policyStatements, testApp } from '../lib/synth';

const ROOT = join(__dirname, '..', '..');
let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'autoredrive-bin-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
  cleanUpApps();
});

function writeConfig(name: string, config: unknown): string {
  const file = join(workDir, name);
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  return file;
}

const WATCH = { stateMachineNamePrefixes: ['orders-'] };
const ALERTS = { emails: ['oncall@example.com'] };
const TWO_TARGETS = [
  { account: '111122223333', region: 'eu-west-1' },
  { account: '444455556666', region: 'us-east-1' },
];

/** Runs the real entry point the way `cdk synth` does, into a temporary cloud assembly, bundling skipped. */
function runApp(env: Record<string, string>, context: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(join(workDir, 'cdk.out-'));
  const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'bin', 'app.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      [CONFIG_FILE_ENV_VAR]: '',
      ...env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
    },
  });
  return { ...result, outdir };
}

describe('stacks per target', () => {
  it('adds one stack per target, named and placed by account and region', () => {
    const app = testApp();
    const stacks = addAutoRedriveStacks(app, parseConfig({ stackName: 'Redrive', targets: TWO_TARGETS, watch: WATCH, alerts: ALERTS }));
    expect(stacks.map((s) => [s.stackName, s.account, s.region])).toEqual([
      ['Redrive-111122223333-eu-west-1', '111122223333', 'eu-west-1'],
      ['Redrive-444455556666-us-east-1', '444455556666', 'us-east-1'],
    ]);
  });

  it('adds one environment-agnostic stack when there are no targets', () => {
    const app = testApp();
    const stacks = addAutoRedriveStacks(app, parseConfig({ watch: WATCH, alerts: ALERTS }));
    expect(stacks).toHaveLength(1);
    expect(stacks[0].stackName).toBe('SfnAutoRedrive');
    expect(stacks[0].environment).toBe('aws://unknown-account/unknown-region');
  });

  it("keeps an exact ARN out of every target's stack but its own account and region's", () => {
    const [eu, us] = ['arn:aws:states:eu-west-1:111122223333:stateMachine:billing', 'arn:aws:states:us-east-1:444455556666:stateMachine:etl'];
    const app = testApp();
    const stacks = addAutoRedriveStacks(app, parseConfig({ targets: TWO_TARGETS, watch: { stateMachineArns: [eu, us] }, alerts: ALERTS }));
    const [euStack, usStack] = stacks.map((stack) => {
      const template = Template.fromStack(stack);
      const granted = JSON.stringify(policyStatements(template).filter((s) => s.Action.some((a) => a.startsWith('states:'))));
      const rule = template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.states'] } } });
      const [pattern] = Object.values(rule).map((r) => r.Properties.EventPattern);
      return { granted, watched: pattern.detail.stateMachineArn, runtime: stack.autoRedrive.config.watch.stateMachineArns };
    });
    expect(euStack.watched).toEqual([eu]);
    expect(euStack.runtime).toEqual([eu]);
    expect(euStack.granted).toContain(':111122223333:execution:billing:*');
    expect(euStack.granted).not.toContain('444455556666');
    expect(usStack.watched).toEqual([us]);
    expect(usStack.runtime).toEqual([us]);
    expect(usStack.granted).not.toContain('111122223333');
  });

  it('refuses an exact ARN no target would watch, and a target that would watch nothing, in one error', () => {
    const stray = 'arn:aws:states:ap-south-1:111122223333:stateMachine:billing';
    const config = parseConfig({ targets: TWO_TARGETS, watch: { stateMachineArns: ['arn:aws:states:eu-west-1:111122223333:stateMachine:ok', stray] }, alerts: ALERTS });
    let error: unknown;
    try {
      addAutoRedriveStacks(testApp(), config);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `watch.stateMachineArns.1: ${stray} is in 111122223333/ap-south-1, which is not a target (111122223333/eu-west-1, 444455556666/us-east-1): no stack would watch it`,
      'targets.1: no ARN in watch.stateMachineArns is in 444455556666/us-east-1 and there is no name prefix: its stack would watch nothing',
    ]);
    // A name prefix gives every target's stack something to watch.
    expect(() => addAutoRedriveStacks(testApp(), { ...config, watch: { ...config.watch, stateMachineArns: [config.watch.stateMachineArns[0]], stateMachineNamePrefixes: ['orders-'] } })).not.toThrow();
  });

  it('refuses alerts with no destination unless acknowledged, once for all targets', () => {
    const app = testApp();
    expect(() => addAutoRedriveStacks(app, parseConfig({ targets: TWO_TARGETS, watch: WATCH }))).toThrow(new ConfigError([NO_ALERT_DESTINATION]));
    expect(app.node.children).toHaveLength(0);
    const acknowledged = parseConfig({ targets: TWO_TARGETS, watch: WATCH, alerts: { acknowledgeNoDestination: 'PagerDuty subscribes to the topic' } });
    expect(addAutoRedriveStacks(testApp(), acknowledged)).toHaveLength(2);
  });
});

describe('config file', () => {
  it('is found by context, then environment, then the default name', () => {
    expect(configFilePath(testApp({ context: { configFile: 'ctx.json' } }), { [CONFIG_FILE_ENV_VAR]: 'env.json' })).toBe('ctx.json');
    expect(configFilePath(testApp(), { [CONFIG_FILE_ENV_VAR]: 'env.json' })).toBe('env.json');
    expect(configFilePath(testApp(), {})).toBe(DEFAULT_CONFIG_FILE);
  });

  it('reports a missing file or broken JSON as a ConfigError naming the file', () => {
    const missing = join(workDir, 'missing.json');
    expect(() => readConfigFile(missing)).toThrow(ConfigError);
    expect(() => readConfigFile(missing)).toThrow(`${missing}: cannot read the config file`);
    const broken = writeConfig('broken.json', '{ "watch": ');
    expect(() => readConfigFile(broken)).toThrow(`${broken}: not valid JSON`);
  });

  it('the committed example config is valid and watches something', () => {
    const config = readConfigFile(join(ROOT, DEFAULT_CONFIG_FILE));
    expect(config.watch.stateMachineNamePrefixes.length + config.watch.stateMachineArns.length).toBeGreaterThan(0);
    expect(deploymentProblems(config)).toEqual([]);
  });
});

describe('bin/app.ts', () => {
  it('fails with one message naming every bad field and no stack trace', () => {
    const bad = writeConfig('bad.json', {
      watch: { stateMachineArns: ['nope'] },
      worker: { maxConcurrency: 1 },
      statuses: ['SUCCEEDED'],
    });
    const result = runApp({ [CONFIG_FILE_ENV_VAR]: bad });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid sfn-autoredrive config (3 problems)');
    for (const field of ['watch.stateMachineArns.0', 'worker.maxConcurrency', 'statuses.0']) {
      expect(result.stderr).toContain(`- ${bad}: ${field}:`);
    }
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('fails on unknown keys, naming each with its file, path and the key meant', () => {
    const typo = writeConfig('typo.json', { watch: WATCH, dryrun: true, alerts: { email: ['oncall@example.com'] } });
    const result = runApp({ [CONFIG_FILE_ENV_VAR]: typo });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${typo}: dryrun: unknown key (did you mean dryRun?)`);
    expect(result.stderr).toContain(`${typo}: alerts.email: unknown key (did you mean emails?)`);
    expect(existsSync(join(result.outdir, 'manifest.json'))).toBe(false);
  });

  it('fails once, naming the file, when alerts have no destination', () => {
    const silent = writeConfig('silent.json', { targets: TWO_TARGETS, watch: WATCH, alerts: { emails: [] } });
    const result = runApp({ [CONFIG_FILE_ENV_VAR]: silent });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${silent}: alerts: no alert destination`);
    expect(result.stderr.match(/no alert destination/g)).toHaveLength(1);
  });

  it('synthesizes one stack per target from the file named by -c configFile, over the environment', () => {
    const good = writeConfig('good.json', { stackName: 'Multi', targets: TWO_TARGETS, watch: WATCH, alerts: ALERTS });
    const ignored = writeConfig('ignored.json', { watch: {} });
    const result = runApp({ [CONFIG_FILE_ENV_VAR]: ignored }, { configFile: good });
    expect(result.stderr).not.toContain('Invalid');
    expect(result.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(result.outdir, 'manifest.json'), 'utf8'));
    const stacks = Object.entries(manifest.artifacts as Record<string, { type: string; environment: string }>)
      .filter(([, a]) => a.type === 'aws:cloudformation:stack')
      .map(([id, a]) => [id, a.environment]);
    expect(stacks).toEqual([
      ['Multi-111122223333-eu-west-1', 'aws://111122223333/eu-west-1'],
      ['Multi-444455556666-us-east-1', 'aws://444455556666/us-east-1'],
    ]);
    const report = JSON.parse(readFileSync(join(result.outdir, 'validation-report.json'), 'utf8'));
    // cdk-nag and the Control Tower rules ran; any report listed holds acknowledged findings only.
    const pluginReports = report.pluginReports as { pluginName: string; conclusion: string; violations: unknown[] }[];
    expect(pluginReports.map((r) => [r.pluginName, r.conclusion, r.violations])).toEqual(pluginReports.map((r) => [r.pluginName, 'success', []]));
    expect(pluginReports.map((r) => r.pluginName)).toContain('cdk-validator-cfnguard');
  });

  it('synthesizes examples/approvals.config.json (approve and restart rules, Slack) offline, with the policy checks clean', () => {
    const result = runApp({}, { configFile: join(ROOT, 'examples', 'approvals.config.json') });
    expect(result.stderr).not.toContain('Invalid');
    expect(result.status).toBe(0);
    const report = JSON.parse(readFileSync(join(result.outdir, 'validation-report.json'), 'utf8'));
    const pluginReports = report.pluginReports as { pluginName: string; conclusion: string; violations: unknown[] }[];
    expect(pluginReports.map((r) => [r.pluginName, r.conclusion, r.violations])).toEqual(pluginReports.map((r) => [r.pluginName, 'success', []]));
    const template = JSON.parse(readFileSync(join(result.outdir, 'SfnAutoRedriveApprovals.template.json'), 'utf8'));
    const outputs = Object.keys(template.Outputs ?? {});
    expect(outputs.some((name) => name.includes('ApprovalEndpointUrl'))).toBe(true);
    expect(JSON.stringify(template)).toContain(':stateMachine:orders-*:prod');
  });
});

import { ConfigError, configFromEnv, parseConfig, parseConfigJson, CONFIG_ENV_VAR } from '../../core/config';
import { suggestKey } from '../../core/schema-problems';

function problemsOf(attempt: () => unknown): string[] {
  try {
    attempt();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config schema', () => {
  it('fills every default from a minimal config', () => {
    const cfg = parseConfig({ watch: { stateMachineNamePrefixes: ['Orders-'] } });
    expect(cfg).toMatchObject({
      statuses: ['FAILED', 'TIMED_OUT'],
      maxAttempts: 3,
      backoff: { initialDelaySeconds: 60, multiplier: 5, maxDelaySeconds: 1800, jitter: 'full' },
      windowSafetyMarginSeconds: 900,
      historyHeadroomEvents: 0,
      dryRun: false,
      worker: { maxConcurrency: 5, batchSize: 10 },
      ledger: { retentionDays: 30 },
      logLevel: 'INFO',
      eventBusName: 'default',
    });
    expect(cfg.errorPolicy.neverRetry).toContain('States.Permissions');
  });

  it('names every bad field in one error', () => {
    let error: unknown;
    try {
      parseConfig({
        watch: { stateMachineArns: ['not-an-arn'] },
        maxAttempts: 0,
        statuses: ['SUCCEEDED'],
        worker: { maxConcurrency: 1 },
        alerts: { emails: ['nope'] },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const field of ['watch.stateMachineArns.0', 'maxAttempts', 'statuses.0', 'worker.maxConcurrency', 'alerts.emails.0']) {
      expect(message).toContain(field);
    }
    expect((error as ConfigError).problems).toHaveLength(5);
  });

  it('requires something to watch, and a reason to watch everything', () => {
    expect(() => parseConfig({})).toThrow(/watch: name at least one/);
    expect(() => parseConfig({ watch: { all: true } })).toThrow(/watch.allReason/);
    expect(parseConfig({ watch: { all: true, allReason: 'one team owns this account' } }).watch.all).toBe(true);
  });

  it('rejects an initial delay above the cap', () => {
    expect(() => parseConfig({ watch: { all: true, allReason: 'one team owns this account' }, backoff: { initialDelaySeconds: 900, maxDelaySeconds: 60 } })).toThrow(
      /backoff.initialDelaySeconds/,
    );
  });

  it('watches state machines by any legal name: dotted, non-ASCII, up to 80 characters', () => {
    const arn = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders.v2';
    const cfg = parseConfig({ watch: { stateMachineArns: [arn, 'arn:aws:states:eu-west-3:123456789012:stateMachine:commandes-été'], stateMachineNamePrefixes: ['orders.', '注文', 'p'.repeat(80)] } });
    expect(cfg.watch.stateMachineArns[0]).toBe(arn);
    expect(cfg.watch.stateMachineNamePrefixes).toEqual(['orders.', '注文', 'p'.repeat(80)]);
  });

  it.each([
    ['a prefix with a space', { stateMachineNamePrefixes: ['orders '] }, 'watch.stateMachineNamePrefixes.0'],
    ['a prefix with a slash', { stateMachineNamePrefixes: ['orders/'] }, 'watch.stateMachineNamePrefixes.0'],
    ['a prefix with a wildcard', { stateMachineNamePrefixes: ['orders*'] }, 'watch.stateMachineNamePrefixes.0'],
    ['an empty prefix', { stateMachineNamePrefixes: [''] }, 'watch.stateMachineNamePrefixes.0'],
    ['a prefix of 81 characters', { stateMachineNamePrefixes: ['p'.repeat(81)] }, 'watch.stateMachineNamePrefixes.0'],
    ['an ARN whose name has a colon', { stateMachineArns: ['arn:aws:states:us-east-1:123456789012:stateMachine:orders:v2'] }, 'watch.stateMachineArns.0'],
    ['an ARN whose name has a space', { stateMachineArns: ['arn:aws:states:us-east-1:123456789012:stateMachine:orders v2'] }, 'watch.stateMachineArns.0'],
  ])('rejects %s', (_label, watch, field) => {
    expect(() => parseConfig({ watch })).toThrow(field);
  });

  it('round-trips through the Lambda environment', () => {
    const cfg = parseConfig({ watch: { stateMachineNamePrefixes: ['A'] }, maxAttempts: 7 });
    expect(configFromEnv({ [CONFIG_ENV_VAR]: JSON.stringify(cfg) })).toEqual(cfg);
    expect(() => configFromEnv({})).toThrow(/AUTOREDRIVE_CONFIG: environment variable is not set/);
    expect(() => configFromEnv({ [CONFIG_ENV_VAR]: '{oops' })).toThrow(/not valid JSON/);
  });

  it('rejects unknown keys at every level, each named by its path', () => {
    const problems = problemsOf(() =>
      parseConfig({
        watch: { stateMachineNamePrefixes: ['orders-'], prefixes: ['x-'] },
        targets: [{ account: '111122223333', region: 'eu-west-1', acount: '111122223333' }],
        backoff: { jitter: 'none', maxDelay: 5 },
        alerts: { email: ['ops@example.com'] },
        worker: { concurrency: 3 },
        dryrun: true,
      }),
    );
    expect(problems.sort()).toEqual([
      'alerts.email: unknown key (did you mean emails?)',
      'backoff.maxDelay: unknown key',
      'dryrun: unknown key (did you mean dryRun?)',
      'targets.0.acount: unknown key (did you mean account?)',
      'watch.prefixes: unknown key',
      'worker.concurrency: unknown key',
    ]);
  });

  it('accepts the acknowledgement of alerts without a destination, with a reason', () => {
    const watch = { stateMachineNamePrefixes: ['orders-'] };
    expect(parseConfig({ watch, alerts: { acknowledgeNoDestination: 'PagerDuty subscribes to the topic' } }).alerts.acknowledgeNoDestination).toBe('PagerDuty subscribes to the topic');
    expect(problemsOf(() => parseConfig({ watch, alerts: { acknowledgeNoDestination: 'ok' } }))).toEqual([
      'alerts.acknowledgeNoDestination: state why alerts may go nowhere (10+ characters)',
    ]);
  });

  it('names the file (or the environment variable) on every line of the message', () => {
    const text = JSON.stringify({ watch: { stateMachineNamePrefixes: ['orders-'] }, dryrun: true, maxAttempts: 0 });
    let message = '';
    try {
      parseConfigJson(text, 'autoredrive.config.json');
    } catch (error) {
      message = (error as Error).message;
    }
    const [header, ...lines] = message.split('\n');
    expect(header).toBe('Invalid sfn-autoredrive config (2 problems):');
    expect(lines).toEqual([expect.stringMatching(/^ {2}- autoredrive\.config\.json: maxAttempts: /), '  - autoredrive.config.json: dryrun: unknown key (did you mean dryRun?)']);
    expect(() => configFromEnv({ [CONFIG_ENV_VAR]: text })).toThrow(`${CONFIG_ENV_VAR}: dryrun: unknown key (did you mean dryRun?)`);
    expect(() => parseConfigJson('{oops', 'team.json')).toThrow(/team\.json: not valid JSON/);
  });
});

describe('suggestKey', () => {
  const known = ['dryRun', 'emails', 'maxAttempts', 'stateMachineArns', 'stateMachineNamePrefixes', 'logLevel'];

  it.each([
    ['dryrun', 'dryRun'],
    ['DRYRUN', 'dryRun'],
    ['email', 'emails'],
    ['maxAttempt', 'maxAttempts'],
    ['maxAtempts', 'maxAttempts'],
    ['stateMachineArn', 'stateMachineArns'],
    ['statemachinenameprefix', 'stateMachineNamePrefixes'],
    ['logLevle', 'logLevel'],
  ])('suggests %s → %s', (typo, expected) => {
    expect(suggestKey(typo, known)).toBe(expected);
  });

  it('suggests nothing for a key far from every known one', () => {
    expect(suggestKey('colour', known)).toBeUndefined();
    expect(suggestKey('prefixes', known)).toBeUndefined();
    expect(suggestKey('x', [])).toBeUndefined();
  });
});

describe('config schema: policy rules and approvals', () => {
  const watch = { stateMachineNamePrefixes: ['Orders-'] };

  it('accepts all four actions; restart carries its target', () => {
    const cfg = parseConfig({
      watch,
      errorPolicy: {
        rules: [
          { match: ['Lambda.*'], action: 'auto' },
          { match: ['CardDeclined'], action: 'approve', note: 'a person checks' },
          { match: ['/^Fatal/'], action: 'never' },
          { match: ['SchemaMismatch'], action: 'restart', target: { alias: 'prod' } },
          { match: ['V3Bug'], action: 'restart', target: { version: 3 } },
          { match: ['Anything'], action: 'restart', target: 'latest' },
        ],
        stateMachines: [{ namePrefix: 'Orders-', rules: [{ match: ['X'], action: 'approve' }] }],
      },
      approvals: { slackSigningSecretName: 'slack/signing', allowedSlackUserIds: ['U024BE7LH'] },
    });
    expect(cfg.errorPolicy.rules.map((r) => r.action)).toEqual(['auto', 'approve', 'never', 'restart', 'restart', 'restart']);
    expect(cfg.approvals).toEqual({ slackSigningSecretName: 'slack/signing', allowedSlackUserIds: ['U024BE7LH'], allowedSlackUserGroupIds: [] });
  });

  it('defaults to no rules and no approval endpoint', () => {
    const cfg = parseConfig({ watch });
    expect(cfg.errorPolicy).toMatchObject({ rules: [], stateMachines: [] });
    expect(cfg.approvals).toEqual({ allowedSlackUserIds: [], allowedSlackUserGroupIds: [] });
  });

  it('names each bad rule', () => {
    const problems = problemsOf(() =>
      parseConfig({
        watch,
        errorPolicy: {
          rules: [
            { match: ['X'], action: 'restart' },
            { match: ['/(unclosed/'], action: 'auto' },
            { match: [], action: 'never' },
            { match: ['X'], action: 'retry' },
          ],
          stateMachines: [{ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:a', namePrefix: 'a', rules: [{ match: ['X'], action: 'auto' }] }],
        },
        approvals: { slackSigningSecretName: 'slack/signing', allowedSlackUserIds: ['alice'] },
      }),
    ).join('\n');
    expect(problems).toContain('errorPolicy.rules.0.target');
    expect(problems).toContain('errorPolicy.rules.1.match.0: is not a valid /regex/flags pattern');
    expect(problems).toContain('errorPolicy.rules.2.match');
    expect(problems).toContain('errorPolicy.rules.3');
    expect(problems).toContain('give exactly one of stateMachineArn and namePrefix');
    expect(problems).toContain('approvals.allowedSlackUserIds.0: must be a Slack user ID such as U024BE7LH');
  });

  it('refuses an approval endpoint nobody may use', () => {
    expect(problemsOf(() => parseConfig({ watch, approvals: { slackSigningSecretName: 'slack/signing' } })).join('\n')).toContain(
      'approvals.allowedSlackUserIds: name the Slack users (or user groups) who may approve',
    );
    expect(problemsOf(() => parseConfig({ watch, approvals: { slackSigningSecretName: 'slack/signing', allowedSlackUserGroupIds: ['S0614TZR7'] } })).join('\n')).toContain(
      'approvals.slackBotTokenSecretName: user groups are read with Slack\'s usergroups.users.list',
    );
    expect(() => parseConfig({ watch, approvals: { slackSigningSecretName: 's', allowedSlackUserGroupIds: ['S0614TZR7'], slackBotTokenSecretName: 'slack/bot' } })).not.toThrow();
  });
});

/**
 * The demo command line: --json on the committed example scenario (which also proves the example
 * runs), scenario validation (exit 2, every bad field named) and usage errors.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runCli, scenarioFile } from '../../support/demo-cli';
import { loadScenarioFile } from '../../../local/demo/scenario';

describe('demo CLI', () => {
  it('--json --scenario examples/scenario.json prints one JSON object with totals, reasons and every execution', async () => {
    const { code, stdout, stderr } = await runCli(['--json', '--scenario', 'examples/scenario.json']);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({
      scenario: 'nightly-settlement',
      ok: true,
      totals: { executions: 12, redriven: 3, recoveredAfterRedrive: 3, skipped: 2, duplicateRedrives: 0, unaccountedFailures: 0 },
      skippedByReason: { NON_RETRYABLE_ERROR: 2 },
      // The 13.5-day jump brings the skipped ones within a day of their window's end.
      alertsByKind: { WINDOW_CLOSING: 2 },
    });
    expect(summary.executions).toHaveLength(12);
    const timedOut = summary.executions.filter((e: { group: string }) => e.group === 'bank timeout once');
    expect(timedOut.map((e: { status: string; redriveCount: number; ledgerAttempts: Array<{ outcome: string }> }) => [e.status, e.redriveCount, e.ledgerAttempts.map((a) => a.outcome)])).toEqual([
      ['SUCCEEDED', 1, ['REDRIVEN']],
      ['SUCCEEDED', 1, ['REDRIVEN']],
      ['SUCCEEDED', 1, ['REDRIVEN']],
    ]);
    expect(summary.pipeline.emulatorFaultsInjected).toBeGreaterThan(0);
    // The live view went to stderr, so stdout stays machine-readable.
    expect(stderr).toContain('ALERT WINDOW_CLOSING');
  });

  it('rejects a bad scenario with exit 2, naming every bad field, without starting anything', async () => {
    const path = scenarioFile({
      name: 'broken',
      config: { watch: { stateMachineNamePrefixes: ['x-'] }, maxAttempts: 0, backoff: { multiplier: 'fast' } },
      stateMachines: [{ name: 'bad name', definition: { StartAt: 'A' } }],
      executions: [{ label: 'a', stateMachine: 'x', count: 0, startAtSeconds: -1 }],
      faults: { eventBus: { dropRate: 2 } },
      timeline: [{ atSeconds: 5 }],
      colour: 'blue',
    });
    const { code, stdout, stderr } = await runCli(['--scenario', path]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    for (const field of [
      'config.maxAttempts',
      'config.backoff.multiplier',
      'stateMachines.0.name',
      'stateMachines.0.definition.States',
      'executions.0.count',
      'executions.0.startAtSeconds',
      'faults.eventBus.dropRate',
      'timeline.0: give jumpSeconds, faults, clicks or deploy',
      'colour: unknown key',
    ]) {
      expect(stderr).toContain(field);
    }
  });

  it('exits 2 on a typo in the scenario or in the config it embeds, naming the file, the key and the key meant', async () => {
    const example = JSON.parse(readFileSync('examples/scenario.json', 'utf8'));
    const path = scenarioFile({
      ...example,
      mockConfig: resolve('examples', example.mockConfig),
      config: { ...example.config, dryrun: true, alerts: { ...example.config.alerts, slackWebhookSecret: 'x' } },
      executions: [{ ...example.executions[0], startAt: 5 }],
    });
    const { code, stdout, stderr } = await runCli(['--scenario', path]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${path}: config.dryrun: unknown key (did you mean dryRun?)`);
    expect(stderr).toContain(`${path}: config.alerts.slackWebhookSecret: unknown key (did you mean slackWebhookSecretName?)`);
    expect(stderr).toContain(`${path}: executions.0.startAt: unknown key`);
  });

  it('names a test case the mock config does not define', async () => {
    const example = loadScenarioFile('examples/scenario.json');
    const path = scenarioFile({ ...example, executions: [{ ...example.executions[0], testCase: 'Typo' }], mockConfig: example.mockConfig });
    const { code, stderr } = await runCli(['--scenario', path]);
    expect(code).toBe(2);
    expect(stderr).toContain('executions.0.testCase: the mock config has no test case "Typo" for state machine "settlement-nightly"');
  });

  it('exits 2 before starting anything when a definition has a field the emulator would reject, naming each with its state and JSON pointer', async () => {
    const example = loadScenarioFile('examples/scenario.json');
    const [machine] = example.stateMachines;
    const states = machine.definition.States as Record<string, Record<string, unknown>>;
    const { Retry, ...postToBank } = states.PostToBank;
    const definition = {
      ...machine.definition,
      States: { ...states, PostToBank: { ...postToBank, Retyr: Retry }, MarkSettled: { ...states.MarkSettled, Credentials: { RoleArn: 'arn:aws:iam::210987654321:role/settle' } } },
    };
    const path = scenarioFile({ ...example, stateMachines: [{ ...machine, definition }] });
    const { code, stdout, stderr } = await runCli(['--scenario', path]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      `${path}: stateMachines.0.definition ("settlement-nightly"): SCHEMA_VALIDATION_FAILED: Field "Retyr" is not supported for Task state "PostToBank" (did you mean Retry?) at /States/PostToBank/Retyr`,
    );
    expect(stderr).toContain(
      `${path}: stateMachines.0.definition ("settlement-nightly"): UNSUPPORTED_FEATURE: State "MarkSettled" (Task): cross-account Credentials are not supported at /States/MarkSettled/Credentials`,
    );
    expect(stderr).toContain('Invalid scenario (2 problems)');
  });

  it('exits 2 when the mock config mocks a state the state machine does not have, suggesting the one meant', async () => {
    const example = loadScenarioFile('examples/scenario.json');
    const { Settles, ...testCases } = example.mockConfig!.StateMachines!['settlement-nightly'].TestCases;
    const { PostToBank, ...settles } = Settles;
    const mockConfig = { ...example.mockConfig, StateMachines: { 'settlement-nightly': { TestCases: { ...testCases, Settles: { ...settles, PostToBnak: PostToBank } } } } };
    const path = scenarioFile({ ...example, mockConfig });
    const { code, stdout, stderr } = await runCli(['--scenario', path]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      `${path}: mockConfig.StateMachines.settlement-nightly.TestCases.Settles.PostToBnak: state machine "settlement-nightly" has no state named "PostToBnak" (did you mean PostToBank?)`,
    );
  });

  it('exits 2 on an unknown option or a missing file', async () => {
    expect((await runCli(['--bogus'])).code).toBe(2);
    const missing = await runCli(['--scenario', '/nonexistent/scenario.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read /nonexistent/scenario.json');
  });
});

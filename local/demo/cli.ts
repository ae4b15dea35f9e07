/**
 * `npm run demo [--json] [--scenario FILE]`: parses the arguments, runs the scenario with a live view,
 * prints the summary (tables, or one JSON object on stdout) and returns the exit code.
 */
import { Command, CommanderError } from 'commander';
import { BUILT_IN_SCENARIO_PATH, loadScenarioFile, ScenarioError } from './scenario';
import { createLiveView, type OutputStream } from './live-view';
import { formatSeconds, runScenario } from './runner';
import { EXIT_USAGE, exitCodeFor, renderGroups, renderPipeline, renderProblems, renderSummary, reportJson } from './summary';
import type { AutoRedriveConfig } from '../../core/config';
import { backoffDelayMs } from '../../core/policy';

export interface DemoIo {
  stdout: OutputStream;
  stderr: OutputStream;
}

interface DemoOptions {
  json?: boolean;
  scenario?: string;
}

export async function runDemoCli(argv: string[], io: DemoIo): Promise<number> {
  const program = new Command('demo')
    .description('Run sfn-autoredrive end to end on the embedded local stack (no AWS account needed).')
    .option('--json', 'print the summary as one JSON object on stdout, and nothing else there')
    .option('--scenario <file>', 'run a scenario file instead of the built-in order-processing one (see docs/scenarios.md)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  let options: DemoOptions;
  try {
    options = program.parse(argv, { from: 'user' }).opts<DemoOptions>();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    throw error;
  }

  let scenario;
  try {
    scenario = loadScenarioFile(options.scenario ?? BUILT_IN_SCENARIO_PATH);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return EXIT_USAGE;
  }

  // With --json, stdout carries only the JSON; the live view goes to stderr.
  const live = options.json ? io.stderr : io.stdout;
  const groups = new Set(scenario.executions.map((g) => g.label)).size;
  const total = scenario.executions.reduce((sum, g) => sum + g.count, 0);
  live.write(
    `sfn-autoredrive demo: ${scenario.name} (${total} executions in ${groups} groups)\n` +
      (scenario.description ? `${scenario.description}\n` : '') +
      `Starting the local stack: Step Functions emulator, DynamoDB Local, event bus → SQS → worker, Slack receiver. Virtual clock; backoff ${describeBackoff(scenario.config.backoff)}.\n\n`,
  );
  const view = createLiveView(live);
  let report;
  try {
    report = await runScenario(scenario, view);
  } finally {
    view.stop();
  }

  const code = exitCodeFor(report);
  if (options.json) {
    io.stdout.write(`${JSON.stringify(reportJson(report), null, 2)}\n`);
    return code;
  }
  io.stdout.write(`\n${renderGroups(report)}\n${renderSummary(report)}\n${renderPipeline(report)}\n`);
  if (!report.accounting.ok) io.stdout.write(`Accounting failed:\n${renderProblems(report)}\n`);
  io.stdout.write(
    `Virtual time ${formatSeconds(Math.round(report.virtualTime.elapsedMs / 1000))}; wall time ${(report.wallTimeMs / 1000).toFixed(1)} s (local stack start ${(report.stackStartMs / 1000).toFixed(1)} s).\n`,
  );
  return code;
}

/** The schedule's first three delays, from the core's own backoff function (before jitter). */
function describeBackoff(backoff: AutoRedriveConfig['backoff']): string {
  const delays = [1, 2, 3].map((attempt) => formatSeconds(backoffDelayMs(attempt, { ...backoff, jitter: 'none' }) / 1000));
  return `${delays.join(' → ')}${backoff.jitter === 'full' ? ' (full jitter)' : ''}, jumped instantly`;
}

/**
 * `sweep`: the scheduled sweep Lambda's job, on demand (engine/sweep.ts). Finds recent failures of the
 * watched state machines whose status event never reached the ledger and hands them to the worker's
 * path; reports, and alerts once about, failures whose 14-day window closes soon.
 */
import { Command, Option } from 'commander';
import { IntakeQueue } from '../adapters/intake-queue';
import { RUNTIME_ENV } from '../adapters/runtime-env';
import { formatDuration } from '../core/decide';
import { sweep } from '../engine/sweep';
import { AwsContext, loadConfig, type CliIo, type CommandEnv, type CommonOptions } from './context';
import { operatorEngine, operatorLogger, OperatorAlerts } from './engine';
import { CliError, EXIT, type ExitCode } from './errors';
import { json, renderFields, renderTable } from './output';
import { positiveInt } from './parsers';

export interface SweepOptions extends CommonOptions {
  handOver: 'enqueue' | 'decide';
  queueUrl?: string;
  alertTopicArn?: string;
  windowHours?: number;
  lookbackHours?: number;
  verbose?: boolean;
}

export function sweepCommand(env: CommandEnv): Command {
  return new Command('sweep')
    .description('Find failures whose events never arrived and hand them over; report redrive windows closing soon')
    .addOption(new Option('--hand-over <how>', 'enqueue: send them to the intake queue for the worker; decide: decide and redrive now').choices(['enqueue', 'decide']).default('enqueue'))
    .option('--queue-url <url>', `intake queue URL (default: $${RUNTIME_ENV.intakeQueueUrl}); decide also uses it for backoff rechecks`)
    .option('--alert-topic-arn <arn>', `alert topic for WINDOW_CLOSING alerts (default: $${RUNTIME_ENV.alertTopicArn})`)
    .option('--window-hours <n>', 'report executions with less than n hours left in their window (default: config sweep.windowClosingHours)', positiveInt('--window-hours'))
    .option('--lookback-hours <n>', 'how far back to look, by stop date (default: config sweep.lookbackHours)', positiveInt('--lookback-hours'))
    .option('--verbose', 'log every decision as a JSON line on stderr')
    .addHelpText(
      'after',
      `
The config file (--config) says which state machines are watched, as for the deployed stack.

Examples:
  $ sfn-autoredrive sweep --config autoredrive.config.json
  $ sfn-autoredrive sweep --hand-over decide --window-hours 48 --output json

Exit codes: 0 done, 1 partial failure, 2 usage error (no config, no queue URL or alert topic, missing permission).`,
    )
    .action(async (options: Omit<SweepOptions, keyof CommonOptions>) => {
      env.exit(await runSweep({ ...env.common(), ...options }, env.io));
    });
}

export async function runSweep(options: SweepOptions, io: CliIo): Promise<ExitCode> {
  const fileConfig = loadConfig(options, io, { required: true });
  const config = {
    ...fileConfig,
    sweep: { ...fileConfig.sweep, windowClosingHours: options.windowHours ?? fileConfig.sweep.windowClosingHours, lookbackHours: options.lookbackHours ?? fileConfig.sweep.lookbackHours },
  };
  const queueUrl = options.queueUrl ?? io.env[RUNTIME_ENV.intakeQueueUrl];
  if (!queueUrl) throw new CliError(`No intake queue: pass --queue-url or set ${RUNTIME_ENV.intakeQueueUrl}`);
  const ctx = await AwsContext.create(options, io);
  const alerts = new OperatorAlerts(ctx, options.alertTopicArn);
  // The sweep records each WINDOW_CLOSING alert as sent; without a topic it would be lost for good.
  if (!alerts.publishing) throw new CliError(`No alert topic: pass --alert-topic-arn or set ${RUNTIME_ENV.alertTopicArn}`);
  const ledger = ctx.ledger(config);
  const identity = await ctx.identity();
  const queue = new IntakeQueue(ctx.clients.sqs, queueUrl, io.env[RUNTIME_ENV.intakeDlqUrl] ?? '');
  const verbose = options.verbose === true;
  const handOver =
    options.handOver === 'decide'
      ? { engine: operatorEngine(ctx, { config, ledger, actor: `operator ${identity.arn}: sweep`, alerts, verbose, queue }) }
      : { queue };
  const report = await sweep({ config, clock: io.clock, sfn: ctx.clients.sfn, ledger, alerts, logger: operatorLogger(ctx, verbose), home: await ctx.home(), handOver });

  // Problems were swept past, not fatal: the rest is done, so the run is partial.
  const exitCode = report.problems.length > 0 ? EXIT.partial : EXIT.ok;
  if (options.output === 'json') {
    io.stdout(`${json({ ...report, handOver: options.handOver, throttled: ctx.limiter.throttledCounts() })}\n`);
    return exitCode;
  }
  const lines = [
    renderFields([
      ['state machines swept', report.stateMachines.length],
      ['failed executions listed', report.listed],
      [`missed (no ledger entry), ${options.handOver === 'enqueue' ? 'enqueued' : 'decided'}`, report.missed.length],
      [`window closing within ${config.sweep.windowClosingHours} h`, report.windowClosing.length],
      ['stopped before watching began (not redriven, alerted)', report.beforeWatching.length],
      ['problems (swept past)', report.problems.length],
    ]),
  ];
  if (report.missed.length > 0) lines.push('Missed:', ...report.missed.map((arn) => `  ${arn}`));
  if (report.beforeWatching.length > 0) lines.push('Stopped before watching began (sweep.backfill is off):', ...report.beforeWatching.map((arn) => `  ${arn}`));
  if (report.problems.length > 0) lines.push('Problems:', ...report.problems.map((p) => `  ${p.subject}: ${p.message}`));
  if (report.windowClosing.length > 0) {
    lines.push(renderTable(['execution', 'window left', 'alert'], report.windowClosing.map((w) => [w.executionArn, formatDuration(w.windowLeftMs), w.alerted ? 'sent now' : 'sent before'])));
  }
  io.stdout(`${lines.join('\n')}\n`);
  return exitCode;
}

/**
 * `redrive`: bulk redrive after an incident. Plan first (count, check every rule, preview), confirm,
 * then redrive through the worker's engine: the same conditional ledger claim and deterministic client
 * token, so a rerun, a concurrent run or the automatic pipeline never redrives one failure twice.
 *
 * Both phases stream ListExecutions pages; only counters and a bounded preview are kept in memory.
 */
import { Command, Option } from 'commander';
import { WATCHABLE_STATUSES, type WatchableStatus } from '../core/config';
import { REDRIVE_WINDOW_MS } from '../core/decide';
import { REASONS, type ReasonCode } from '../core/reasons';
import { AwsContext, loadConfig, type CliIo, type CommandEnv, type CommonOptions } from './context';
import { operatorEngine, OperatorAlerts } from './engine';
import { CliError, EXIT, toCliError, type ExitCode } from './errors';
import { increment, isoOrDash, json, renderFields, renderTable, sortedCounts } from './output';
import { forEachBounded } from './pool';
import { describeOverrides, liftability, policyOverrides, type OverrideOptions } from './overrides';
import { nonNegativeInt, positiveInt, positiveNumber } from './parsers';
import { startProgress } from './progress';
import { defaultExecutionRate, type RateSpec } from './rate-limit';
import { classify, compileErrorPattern, listSelected, resolveStateMachines, validateStateMachineArns, type Classifier, type Selection, type Verdict } from './selection';
import { parseTimeRange } from './time-range';

export interface RedriveOptions extends CommonOptions, OverrideOptions {
  stateMachine?: string[];
  namePrefix?: string[];
  since?: string;
  until?: string;
  status?: string[];
  error?: string;
  failedState?: string;
  notRedrivenOnly?: boolean;
  limit?: number;
  reason?: string;
  yes?: boolean;
  dryRun?: boolean;
  rate?: number;
  concurrency: number;
  preview: number;
  alertTopicArn?: string;
  verbose?: boolean;
}

interface PreviewRow {
  executionArn: string;
  status: string;
  stopDate: string;
  error: string;
  verdict: 'REDRIVE' | ReasonCode;
  detail: string;
  /** For an ineligible execution: the flag that lifts the rule, or that AWS's rule cannot be lifted. */
  lift?: string;
}

export interface Plan {
  stateMachines: string[];
  /** The override flags in force (our policy lifted for this run). */
  overrides: string[];
  expressStateMachinesSkipped: string[];
  sinceMs: number;
  untilMs: number;
  matched: number;
  eligible: number;
  ineligible: Record<string, number>;
  /** Selected executions with redriveCount ≥ 1 (left out by --not-redriven-only). */
  redrivenBefore: number;
  /** Selected executions whose current failure the pipeline gave up on (ledger GAVE_UP at this generation). */
  gaveUp: number;
  preview: PreviewRow[];
  interrupted: boolean;
}

export interface RunSummary {
  processed: number;
  redriven: number;
  skipped: Record<string, number>;
  errors: number;
  errorSamples: Array<{ executionArn: string; message: string }>;
  throttled: Record<string, number>;
  alertsNotPublished: number;
  interrupted: boolean;
  durationMs: number;
}

const ERROR_SAMPLES = 10;
const DEFAULT_CONCURRENCY = 8;

export function redriveCommand(env: CommandEnv): Command {
  return new Command('redrive')
    .description('Redrive failed executions in bulk: plan, confirm, then redrive at a safe rate (resumable, idempotent)')
    .option('--state-machine <arn...>', 'state machine ARN(s) to select from')
    .option('--name-prefix <prefix...>', 'select state machines whose name starts with this')
    .option('--since <time>', 'stopped at or after (ISO 8601 or 2h, 3d ago) (default: 14d, the redrive window)')
    .option('--until <time>', 'stopped at or before (default: now)')
    .option('--status <status...>', `statuses to select, from ${WATCHABLE_STATUSES.join(', ')} (default: the config's statuses)`)
    .option('--error <pattern>', 'only executions whose error or cause matches: exact name, glob (States.*), or /regex/')
    .option('--failed-state <name>', 'only executions that failed in this state (reads one history page each)')
    .option('--not-redriven-only', 'select only executions never redriven (ListExecutions redriveFilter NOT_REDRIVEN); by default executions redriven before, such as those the pipeline gave up on, are selected too')
    // Accepted for scripts written before executions redriven before were selected by default: it changes nothing.
    .addOption(new Option('--include-redriven', 'no effect: executions redriven before are selected by default').hideHelp())
    .option('--limit <n>', 'select at most n executions', positiveInt('--limit'))
    .option('--reason <text>', 'why you redrive; stored in the ledger with your identity (required)')
    .option('--override-error-policy', 'lift the config\'s errorPolicy (neverRetry, onlyRetry) for this run; needs --reason, recorded per execution in the ledger')
    .option('--override-max-attempts', 'lift the config\'s maxAttempts cap for this run (e.g. failures the pipeline gave up on); needs --reason, recorded per execution in the ledger')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'print the plan and stop')
    .option('--rate <n>', 'executions per second, in the plan and again in the run (the plan costs one DescribeExecution per execution; the run one DescribeExecution and one RedriveExecution) (default: safe for the region: 10/s in us-east-1, us-west-2, eu-west-1; 6/s elsewhere)', positiveNumber('--rate'))
    .option('--concurrency <n>', 'calls in flight at most', positiveInt('--concurrency'), DEFAULT_CONCURRENCY)
    .option('--preview <n>', 'executions shown in the plan preview', nonNegativeInt('--preview'), 10)
    .option('--alert-topic-arn <arn>', 'publish alerts (e.g. NOT_REDRIVABLE) to this SNS topic (default: $ALERT_TOPIC_ARN; otherwise counted only)')
    .option('--verbose', 'log every decision as a JSON line on stderr')
    .addHelpText(
      'after',
      `
Examples:
  # What would be redriven? (no changes)
  $ sfn-autoredrive redrive --name-prefix orders- --since 6h --dry-run

  # Redrive payment timeouts of one state machine from the last 2 hours
  $ sfn-autoredrive redrive --state-machine arn:aws:states:us-east-1:123456789012:stateMachine:orders-flow \\
      --since 2h --error 'Payment*' --reason "INC-1234 PSP outage over" --yes

  # Against \`serve --port 4580\` without its exports
  $ sfn-autoredrive redrive --endpoint-url http://127.0.0.1:4580 --dynamodb-endpoint-url http://127.0.0.1:4582 \\
      --table sfn-autoredrive-ledger --region us-east-1 --name-prefix orders- --reason "test" --yes

Exit codes: 0 done, 1 partial (errors, interrupted, expired page token), 2 usage error.
Rerunning is safe: each failure generation is claimed once in the ledger and redriven with a deterministic
client token, so executions already redriven (by you, a concurrent run or the worker) are skipped.`,
    )
    .action(async (options: Omit<RedriveOptions, keyof CommonOptions>) => {
      env.exit(await runRedrive({ ...env.common(), ...options }, env.io));
    });
}

/** `--status FAILED TIMED_OUT` or `--status FAILED,TIMED_OUT`. */
function parseStatuses(values: string[] | undefined): WatchableStatus[] | undefined {
  if (!values) return undefined;
  const statuses = values.flatMap((value) => value.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean);
  for (const status of statuses) {
    if (!(WATCHABLE_STATUSES as readonly string[]).includes(status)) {
      throw new CliError(`--status ${status} is not one of ${WATCHABLE_STATUSES.join(', ')}`);
    }
  }
  return [...new Set(statuses as WatchableStatus[])];
}

/** `--rate` paces DescribeExecution (one per execution) and lifts the other per-execution APIs to match. */
function applyExecutionRate(rates: Record<string, RateSpec>, ratePerSecond: number | undefined): void {
  if (ratePerSecond === undefined) return;
  const lift = (api: string, exact: boolean) => {
    const spec = rates[api];
    spec.perSecond = exact ? ratePerSecond : Math.max(spec.perSecond, ratePerSecond);
    spec.burst = exact ? Math.max(1, Math.ceil(ratePerSecond)) : Math.max(spec.burst, Math.ceil(ratePerSecond));
  };
  lift('DescribeExecution', true);
  lift('RedriveExecution', false);
  lift('GetExecutionHistory', false);
}

export async function runRedrive(options: RedriveOptions, io: CliIo): Promise<ExitCode> {
  const stateMachines = options.stateMachine ?? [];
  const prefixes = options.namePrefix ?? [];
  if (stateMachines.length === 0 && prefixes.length === 0) {
    throw new CliError('Select state machines with --state-machine ARN or --name-prefix PREFIX');
  }
  validateStateMachineArns(stateMachines);
  const requestedStatuses = parseStatuses(options.status);
  const reason = options.reason?.trim();
  if (!options.dryRun && !reason) throw new CliError('--reason "…" is required: it is stored in the ledger with your identity');
  const overrides = policyOverrides(options, reason);
  const errorRegex = compileErrorPattern(options.error);
  const nowMs = io.clock.nowMs();
  const range = parseTimeRange(options.since, options.until, nowMs, nowMs - REDRIVE_WINDOW_MS);
  const config = loadConfig(options, io);
  const ctx = await AwsContext.create(options, io, (rates) => applyExecutionRate(rates, options.rate));
  const ledger = ctx.ledger(config);
  const identity = options.dryRun ? undefined : await ctx.identity();
  if (options.rate === undefined && !options.dryRun) {
    io.stderr(`Rate: ${defaultExecutionRate(ctx.region)} executions/s (the default for ${ctx.region}; --rate to change)\n`);
  }

  const { arns, expressSkipped } = await resolveStateMachines(ctx.clients.sfn, stateMachines, prefixes);
  const selection: Selection = {
    stateMachineArns: arns,
    statuses: requestedStatuses ?? config.statuses,
    sinceMs: range.sinceMs,
    // The plan and the run cover the same range: failures that happen from now on are the worker's.
    untilMs: Math.min(range.untilMs, nowMs),
    errorPattern: options.error,
    failedState: options.failedState,
    notRedrivenOnly: options.notRedrivenOnly === true,
    limit: options.limit,
  };
  const classifier: Classifier = { sfn: ctx.clients.sfn, ledger, config, nowMs: () => io.clock.nowMs(), overrides };

  let interrupted = false;
  const removeInterrupt = io.onInterrupt(() => {
    interrupted = true;
    io.stderr('\nInterrupted: no new work; waiting for calls in flight (Ctrl-C again to quit at once)…\n');
  });
  try {
    const plan = await buildPlan(classifier, selection, errorRegex, options, () => interrupted);
    plan.expressStateMachinesSkipped = expressSkipped;
    if (options.output === 'table') io.stdout(renderPlan(plan));
    if (plan.interrupted) {
      if (options.output === 'json') io.stdout(`${json({ plan })}\n`);
      io.stderr('Interrupted while planning: nothing was redriven.\n');
      return EXIT.partial;
    }
    if (options.dryRun || plan.eligible === 0) {
      if (options.output === 'json') io.stdout(`${json({ plan })}\n`);
      if (!options.dryRun) io.stderr('Nothing to redrive.\n');
      return EXIT.ok;
    }
    if (!options.yes) {
      if (!io.isTTY) throw new CliError(`Refusing to redrive ${plan.eligible} executions without confirmation: stdin is not a terminal, pass --yes`);
      if (!(await io.confirm(`Redrive ${plan.eligible} executions? [y/N] `))) {
        io.stderr('Cancelled: nothing was redriven.\n');
        return EXIT.ok;
      }
    }
    const actor = `operator ${identity!.arn}: ${reason}`;
    const summary = await runPlan(ctx, classifier, selection, errorRegex, options, plan, actor, () => interrupted);
    if (options.output === 'json') io.stdout(`${json({ plan, run: summary })}\n`);
    else io.stdout(renderSummary(summary));
    return summary.errors > 0 || summary.interrupted ? EXIT.partial : EXIT.ok;
  } finally {
    removeInterrupt();
  }
}

async function buildPlan(classifier: Classifier, selection: Selection, errorRegex: RegExp | undefined, options: RedriveOptions, interrupted: () => boolean): Promise<Plan> {
  const plan: Plan = {
    stateMachines: selection.stateMachineArns,
    overrides: describeOverrides(classifier.overrides),
    expressStateMachinesSkipped: [],
    sinceMs: selection.sinceMs,
    untilMs: selection.untilMs,
    matched: 0,
    eligible: 0,
    ineligible: {},
    redrivenBefore: 0,
    gaveUp: 0,
    preview: [],
    interrupted: false,
  };
  const limitReached = () => selection.limit !== undefined && plan.matched >= selection.limit;
  await forEachBounded(
    listSelected(classifier.sfn, selection),
    options.concurrency,
    async (item) => {
      const verdict = await classify(classifier, item, selection, errorRegex);
      if (!verdict || limitReached()) return;
      plan.matched++;
      if ((verdict.evidence.redriveCount ?? 0) > 0) plan.redrivenBefore++;
      if (verdict.ledger?.phase === 'GAVE_UP' && verdict.ledger.generation === (verdict.evidence.redriveCount ?? 0)) plan.gaveUp++;
      if (verdict.decision.action === 'REDRIVE') plan.eligible++;
      else increment(plan.ineligible, verdict.decision.reason);
      if (plan.preview.length < options.preview) plan.preview.push(previewRow(verdict));
    },
    () => interrupted() || limitReached(),
  );
  plan.interrupted = interrupted();
  return plan;
}

function previewRow({ evidence, decision }: Verdict): PreviewRow {
  return {
    executionArn: evidence.executionArn,
    status: evidence.status,
    stopDate: isoOrDash(evidence.stopDateMs),
    error: evidence.error ?? '',
    verdict: decision.action === 'REDRIVE' ? 'REDRIVE' : decision.reason,
    detail: decision.detail,
    ...(decision.action !== 'REDRIVE' && { lift: liftability(decision.reason) }),
  };
}

async function runPlan(
  ctx: AwsContext,
  classifier: Classifier,
  selection: Selection,
  errorRegex: RegExp | undefined,
  options: RedriveOptions,
  plan: Plan,
  actor: string,
  interrupted: () => boolean,
): Promise<RunSummary> {
  const startedMs = Date.now();
  const alerts = new OperatorAlerts(ctx, options.alertTopicArn);
  const engine = operatorEngine(ctx, { config: classifier.config, ledger: classifier.ledger, actor, alerts, verbose: options.verbose === true, overrides: classifier.overrides });
  const summary: RunSummary = { processed: 0, redriven: 0, skipped: {}, errors: 0, errorSamples: [], throttled: {}, alertsNotPublished: 0, interrupted: false, durationMs: 0 };
  let fatal: CliError | undefined;
  const progress = startProgress(ctx.io, plan.matched, 'redrive');
  const limitReached = () => selection.limit !== undefined && summary.processed >= selection.limit;
  try {
    await forEachBounded(
      listSelected(classifier.sfn, selection),
      options.concurrency,
      async (item) => {
        try {
          const verdict = await classify(classifier, item, selection, errorRegex);
          if (!verdict || limitReached()) return;
          summary.processed++;
          if (verdict.decision.action !== 'REDRIVE') {
            increment(summary.skipped, verdict.decision.reason);
            return;
          }
          const outcome = await engine.handleEvidence(verdict.evidence, 'operator', { record: verdict.ledger });
          if (outcome.redriven && !outcome.confirmedOnly) summary.redriven++;
          else increment(summary.skipped, outcome.redriven ? 'ALREADY_HANDLED' : outcome.reason);
        } catch (error) {
          const problem = toCliError(error);
          // A missing permission or a bad table fails every call alike: stop instead of failing each.
          if (problem.exitCode === EXIT.usage) fatal ??= problem;
          summary.errors++;
          if (summary.errorSamples.length < ERROR_SAMPLES) summary.errorSamples.push({ executionArn: item.executionArn ?? '?', message: problem.message });
        } finally {
          progress.update({ done: summary.processed, redriven: summary.redriven, errors: summary.errors });
        }
      },
      () => interrupted() || fatal !== undefined || limitReached(),
    );
  } finally {
    progress.stop();
  }
  if (fatal) throw fatal;
  summary.throttled = ctx.limiter.throttledCounts();
  summary.alertsNotPublished = alerts.unsent.length;
  summary.interrupted = interrupted();
  summary.durationMs = Date.now() - startedMs;
  return summary;
}

function reasonText(reason: string): string {
  return reason in REASONS ? `${reason}: ${REASONS[reason as ReasonCode]}` : reason;
}

export function renderPlan(plan: Plan): string {
  const lines = [`Plan: ${plan.stateMachines.length} state machine(s), stopped ${isoOrDash(plan.sinceMs)} .. ${isoOrDash(plan.untilMs)}`];
  if (plan.overrides.length > 0) lines.push(`Our policy lifted for this run (recorded in the ledger per execution): ${plan.overrides.join(', ')}`);
  if (plan.expressStateMachinesSkipped.length > 0) lines.push(`Express state machines left out (not redrivable): ${plan.expressStateMachinesSkipped.join(', ')}`);
  lines.push(
    renderTable(
      ['', 'executions'],
      [['matched', plan.matched], ['  of which redriven before', plan.redrivenBefore], ['  of which the pipeline gave up on', plan.gaveUp], ['eligible (will be redriven)', plan.eligible], ...sortedCounts(plan.ineligible).map(([reason, n]): [string, string] => [`ineligible ${reasonText(reason)}`, `${n} (${liftability(reason)})`])],
    ),
  );
  if (plan.preview.length > 0) {
    lines.push(`Preview (first ${plan.preview.length}):`);
    lines.push(renderTable(['execution', 'status', 'stopped', 'error', 'verdict'], plan.preview.map((row) => [row.executionArn.split(':').slice(-2).join(':'), row.status, row.stopDate, row.error, row.verdict === 'REDRIVE' ? 'redrive' : `${row.verdict}: ${row.detail} (${row.lift})`])));
  }
  return `${lines.join('\n')}\n`;
}

function renderSummary(summary: RunSummary): string {
  const rows: Array<[string, string | number]> = [
    ['processed', summary.processed],
    ['redriven', summary.redriven],
    ...sortedCounts(summary.skipped).map(([reason, n]): [string, number] => [`skipped ${reasonText(reason)}`, n]),
    ['errors', summary.errors],
    ['throttled (retried)', Object.entries(summary.throttled).map(([api, n]) => `${api} ${n}`).join(', ') || 0],
    ['duration', `${(summary.durationMs / 1000).toFixed(1)} s`],
  ];
  if (summary.alertsNotPublished > 0) rows.push(['alerts not published (no --alert-topic-arn)', summary.alertsNotPublished]);
  const lines = [summary.interrupted ? 'Interrupted. Done so far (rerun the same command to finish; it is safe):' : 'Summary:', renderFields(rows)];
  for (const sample of summary.errorSamples) lines.push(`error: ${sample.executionArn}: ${sample.message}`);
  return `${lines.join('\n')}\n`;
}

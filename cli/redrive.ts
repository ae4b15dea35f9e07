/**
 * `redrive`: bulk redrive after an incident. Plan first, confirm, then apply the plan through the
 * worker's engine: the same conditional ledger claim and deterministic client token, so a rerun, a
 * concurrent run or the automatic pipeline never redrives one failure twice.
 *
 * The plan is a file (`--plan-out`, or a temporary one): ListExecutions pages are streamed, the ledger is
 * read 100 items per BatchGetItem, and each verdict is written as a line. The run applies that file
 * (`--plan`) without listing again, and without a second evidence call: an execution costs at most one
 * DescribeExecution or GetExecutionHistory in the whole command (none when nothing needs its error
 * text), and one RedriveExecution if eligible, whose ExecutionNotRedrivable answer is a SKIP with AWS's
 * reason. Only counters and a bounded preview are kept in memory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { BATCH_GET_LIMIT } from '../adapters/ledger';
import { WATCHABLE_STATUSES, type WatchableStatus } from '../core/config';
import { REDRIVE_WINDOW_MS, type PolicyOverrides } from '../core/decide';
import { AwsContext, loadConfigWithSource, type CliIo, type CommandEnv, type CommonOptions } from './context';
import { operatorEngine, OperatorAlerts } from './engine';
import { CliError, EXIT, toCliError, type ExitCode } from './errors';
import { increment, json, renderFields, sortedCounts } from './output';
import { describeOverrides, policyOverrides, type OverrideOptions } from './overrides';
import { nonNegativeInt, positiveInt, positiveNumber } from './parsers';
import { PlanTally, reasonText, renderPlan, type Plan } from './plan';
import { entryEvidence, openPlan, PLAN_KIND, PLAN_VERSION, PlanWriter, type PlanEntry, type PlanFile, type PlanHeader } from './plan-file';
import { forEachBounded, withLookups } from './pool';
import { rate, startCounter, startProgress, type Progress } from './progress';
import { AdaptiveTokenBucket, type ApiRateLimiter, type RateSpec } from './rate-limit';
import { describeRestartTarget, parseRestartTarget, type RestartTarget } from '../core/restart';
import { compileErrorPattern, EVIDENCE_APIS, judge, listSelected, resolveStateMachines, validateStateMachineArns, type Judge } from './selection';
import { parseTimeRange, type TimeRange } from './time-range';

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
  plan?: string;
  planOut?: string;
  reason?: string;
  yes?: boolean;
  dryRun?: boolean;
  rate?: number;
  concurrency: number;
  preview: number;
  alertTopicArn?: string;
  verbose?: boolean;
  /** `restart`: fix-forward instead of redriving. */
  action?: 'redrive' | 'restart';
  /** `restart --target`: latest, version:<n> or alias:<name>. With `--plan`, the plan's own target applies. */
  target?: string;
}

export interface RunSummary {
  processed: number;
  redriven: number;
  /** New executions started by a restart plan. */
  restarted: number;
  skipped: Record<string, number>;
  /** RedriveExecution refusals (ExecutionNotRedrivable, ExecutionDoesNotExist), by AWS's reason. */
  refusedByAws: Record<string, number>;
  errors: number;
  errorSamples: Array<{ executionArn: string; message: string }>;
  throttled: Record<string, number>;
  alertsNotPublished: number;
  interrupted: boolean;
  durationMs: number;
  /** Redrives per second over the run. */
  redrivesPerSecond: number;
}

const ERROR_SAMPLES = 10;
/** Distinct AWS refusal reasons kept in the summary; the rest are counted under "other". */
const REFUSAL_REASONS_KEPT = 20;
const DEFAULT_CONCURRENCY = 32;

/** Options that select executions: they make a plan, so they cannot go with `--plan`. */
const SELECTION_OPTIONS: Array<[keyof RedriveOptions, string]> = [
  ['stateMachine', '--state-machine'],
  ['namePrefix', '--name-prefix'],
  ['since', '--since'],
  ['until', '--until'],
  ['status', '--status'],
  ['error', '--error'],
  ['failedState', '--failed-state'],
  ['notRedrivenOnly', '--not-redriven-only'],
  ['limit', '--limit'],
  ['overrideErrorPolicy', '--override-error-policy'],
  ['overrideMaxAttempts', '--override-max-attempts'],
  ['planOut', '--plan-out'],
];

/** The selection, plan and run options `redrive` and `restart` share. */
function withPlanOptions(command: Command, verb: string): Command {
  return command
    .option('--state-machine <arn...>', 'state machine ARN(s) to select from')
    .option('--name-prefix <prefix...>', 'select state machines whose name starts with this')
    .option('--since <time>', 'stopped at or after (ISO 8601 or 2h, 3d ago) (default: 14d, the redrive window)')
    .option('--until <time>', 'stopped at or before (default: now)')
    .option('--status <status...>', `statuses to select, from ${WATCHABLE_STATUSES.join(', ')} (default: the config's statuses)`)
    .option('--error <pattern>', 'only executions whose error or cause matches: exact name, glob (States.*), or /regex/ (one evidence call per execution whose error the ledger lacks)')
    .option('--failed-state <name>', 'only executions that failed in this state (one GetExecutionHistory page per execution)')
    .option('--not-redriven-only', 'select only executions never redriven (ListExecutions redriveFilter NOT_REDRIVEN); by default executions redriven before, such as those the pipeline gave up on, are selected too')
    .option('--limit <n>', 'select at most n executions', positiveInt('--limit'))
    .option('--plan-out <file>', 'write the reviewed plan (one JSON line per execution: ARN, generation, verdict) to this file; with --dry-run, stop there')
    .option('--plan <file>', 'apply a plan written by --plan-out: exactly those executions and verdicts, no listing and no evidence call; rerun to resume')
    .option('--reason <text>', `why you ${verb}; stored in the ledger with your identity (required, except with --dry-run)`)
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .option('--dry-run', 'print the plan (and write --plan-out) and stop')
    .option('--rate <n>', `at most n executions per second: evidence calls while planning, ${verb}s while applying (default: the API ceilings for the region, which leave room for the worker)`, positiveNumber('--rate'))
    .option('--concurrency <n>', 'calls in flight at most', positiveInt('--concurrency'), DEFAULT_CONCURRENCY)
    .option('--preview <n>', 'executions shown in the plan preview', nonNegativeInt('--preview'), 10)
    .option('--alert-topic-arn <arn>', 'publish alerts (e.g. NOT_REDRIVABLE) to this SNS topic (default: $ALERT_TOPIC_ARN; otherwise counted only)')
    .option('--verbose', 'log every decision as a JSON line on stderr');
}

export function redriveCommand(env: CommandEnv): Command {
  return withPlanOptions(
    new Command('redrive').description('Redrive failed executions in bulk: plan (to a file if you like), confirm, then apply the plan at a safe rate (resumable, idempotent)'),
    'redrive',
  )
    // Accepted for scripts written before executions redriven before were selected by default: it changes nothing.
    .addOption(new Option('--include-redriven', 'no effect: executions redriven before are selected by default').hideHelp())
    .option('--override-error-policy', 'lift the config\'s errorPolicy (neverRetry, onlyRetry) for this run; needs --reason, recorded per execution in the ledger')
    .option('--override-max-attempts', 'lift the config\'s maxAttempts cap for this run (e.g. failures the pipeline gave up on); needs --reason, recorded per execution in the ledger')
    .addHelpText(
      'after',
      `
Examples:
  # What would be redriven? Review it, then apply exactly that
  $ sfn-autoredrive redrive --name-prefix orders- --since 6h --dry-run --plan-out plan.jsonl
  $ sfn-autoredrive redrive --plan plan.jsonl --reason "INC-1234 PSP outage over" --yes

  # Redrive payment timeouts of one state machine from the last 2 hours, in one go
  $ sfn-autoredrive redrive --state-machine arn:aws:states:us-east-1:123456789012:stateMachine:orders-flow \\
      --since 2h --error 'Payment*' --reason "INC-1234 PSP outage over" --yes

  # The cause is fixed: lift our policy for this run (recorded in the ledger with your identity)
  $ sfn-autoredrive redrive --name-prefix orders- --error States.Permissions --override-error-policy \\
      --override-max-attempts --reason "INC-1235 IAM fixed" --yes

Exit codes: 0 done, 1 partial (errors, interrupted, expired page token), 2 usage error,
3 a service could not be reached (nothing more was done).
Rerunning is safe: each failure generation is claimed once in the ledger and redriven with a deterministic
client token, so executions already redriven (by you, a concurrent run or the worker) are skipped.`,
    )
    .action(async (options: Omit<RedriveOptions, keyof CommonOptions>) => {
      env.exit(await runRedrive({ ...env.common(), ...options }, env.io));
    });
}

export function restartCommand(env: CommandEnv): Command {
  return withPlanOptions(
    new Command('restart').description(
      'Fix-forward: start failed executions again, with the same input, on the latest revision, a version or an alias (after a bug fix a redrive cannot pick up); same plan, confirmation and ledger as redrive',
    ),
    'restart',
  )
    .option('--target <target>', 'where the restarts run: latest, version:<n> or alias:<name> (required unless --plan, whose own target applies)')
    .addHelpText(
      'after',
      `
Each restart is a new execution named <name>-restart-<n> (at most 80 characters) with the original's input,
read with DescribeExecution. The original ends RESTARTED in the ledger, linked to its restart both ways, and
is never redriven again. Rerunning is safe: the deterministic name makes StartExecution idempotent.

Examples:
  $ sfn-autoredrive restart --name-prefix orders- --error 'Bug*' --target alias:prod --dry-run --plan-out restart.jsonl
  $ sfn-autoredrive restart --plan restart.jsonl --reason "INC-1240 fix deployed as version 7" --yes

Exit codes: as for redrive.`,
    )
    .action(async (options: Omit<RedriveOptions, keyof CommonOptions> & { target?: string }) => {
      env.exit(await runRedrive({ ...env.common(), ...options, action: 'restart' }, env.io));
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

/** `--rate` caps executions per second; the per-API ceilings are lifted so that it is the cap that binds. */
function liftApiRates(rates: Record<string, RateSpec>, ratePerSecond: number | undefined): void {
  if (ratePerSecond === undefined) return;
  for (const api of ['DescribeExecution', 'GetExecutionHistory', 'RedriveExecution', 'StartExecution']) {
    rates[api].perSecond = Math.max(rates[api].perSecond, ratePerSecond);
    rates[api].burst = Math.max(rates[api].burst, Math.ceil(ratePerSecond));
  }
}

/** One token per execution, at most `--rate` a second: a tenth of a second's worth may go at once. */
function executionPacer(ratePerSecond: number | undefined): () => Promise<void> {
  if (ratePerSecond === undefined) return async () => undefined;
  const bucket = new AdaptiveTokenBucket({ perSecond: ratePerSecond, burst: Math.max(1, Math.ceil(ratePerSecond / 10)) });
  return () => bucket.take();
}

/** The pace the run keeps, as printed: the cap, or the ceilings of the APIs that set it. */
function paceText(limiter: ApiRateLimiter, region: string, ratePerSecond: number | undefined, applying: boolean): string {
  if (ratePerSecond !== undefined) return `Pace: at most ${ratePerSecond} executions/s (--rate), for evidence calls while planning and for redrives`;
  const per = (api: string) => {
    const spec = limiter.spec(api)!;
    return `${api} ${spec.perSecond}/s after a burst of ${spec.burst}`;
  };
  const evidence = `error text, where needed, at ${EVIDENCE_APIS.map((api) => `${api} ${limiter.spec(api)!.perSecond}/s`).join(' + ')}`;
  return `Pace (the defaults for ${region}, which leave room for the worker; --rate N caps executions/s): ${applying ? '' : `${evidence}; `}redrives at ${per('RedriveExecution')}`;
}

export async function runRedrive(options: RedriveOptions, io: CliIo): Promise<ExitCode> {
  const reason = options.reason?.trim();
  const verb = options.action ?? 'redrive';
  const restartTarget = restartTargetOf(options);
  if (options.plan !== undefined) {
    const given = SELECTION_OPTIONS.filter(([key]) => options[key] !== undefined).map(([, flag]) => flag);
    if (given.length > 0) throw new CliError(`--plan applies a plan as it was made: ${given.join(', ')} cannot be given with it (make a new plan instead)`);
  }
  const selection = options.plan === undefined ? parseSelection(options, io) : undefined;
  if (!options.dryRun && !reason) throw new CliError('--reason "…" is required: it is stored in the ledger with your identity');
  const requestedOverrides = options.plan === undefined ? policyOverrides(options, reason) : undefined;
  // Before any call: a script without a terminal cannot answer the prompt, so it would list everything in vain.
  if (!options.dryRun && !options.yes && !io.isTTY) {
    throw new CliError(`Refusing to ${verb} without confirmation: stdin is not a terminal. Pass --yes, or --dry-run to see the plan first`);
  }

  let interrupted = false;
  let activeProgress: Progress | undefined;
  const removeInterrupt = io.onInterrupt(() => {
    interrupted = true;
    activeProgress?.stop();
    io.stderr('\nInterrupted: no new work; waiting for calls in flight (Ctrl-C again to quit at once)…\n');
  });
  /** The directory of a plan file made only to be applied now, removed at the end. */
  let temporaryPlan: string | undefined;
  try {
    let planFile: PlanFile;
    let plan: Plan;
    let ctx: AwsContext;
    let overrides: PolicyOverrides | undefined;
    if (options.plan !== undefined) {
      planFile = await openPlan(resolve(io.cwd, options.plan));
      overrides = planFile.header.overrides;
      ctx = await AwsContext.create(options, io, (rates) => liftApiRates(rates, options.rate));
      if (planFile.header.region !== ctx.region) throw new CliError(`${planFile.path} was made in ${planFile.header.region}; this command runs in ${ctx.region} (--region)`);
      const planVerb = planFile.header.restartTarget === undefined ? 'redrive' : 'restart';
      if (planVerb !== verb) throw new CliError(`${planFile.path} is a ${planVerb} plan: apply it with \`sfn-autoredrive ${planVerb} --plan ${options.plan}\``);
      plan = await tallyPlanFile(planFile, options.preview);
      io.stderr(`${paceText(ctx.limiter, ctx.region, options.rate, true)}\n`);
    } else {
      overrides = requestedOverrides;
      const made = await makePlan(options, selection!, io, overrides, restartTarget, () => interrupted, (path) => (temporaryPlan = path));
      if (!made.planFile) {
        if (options.output === 'json') io.stdout(`${json({ plan: made.plan })}\n`);
        else io.stdout(renderPlan(made.plan));
        if (made.plan.interrupted) {
          io.stderr(`Interrupted while planning: nothing was ${verb === 'redrive' ? 'redriven' : 'restarted'}.\n`);
          return EXIT.partial;
        }
        return EXIT.ok;
      }
      ({ plan, ctx } = made);
      planFile = made.planFile;
    }
    if (options.output === 'table') io.stdout(renderPlan(plan));
    if (options.dryRun || plan.eligible === 0) {
      if (options.output === 'json') io.stdout(`${json({ plan })}\n`);
      if (!options.dryRun) io.stderr(`Nothing to ${verb}.\n`);
      return EXIT.ok;
    }
    if (!options.yes) {
      const lifted = plan.overrides.length > 0 ? `, with ${plan.overrides.join(' and ')}` : '';
      const question = plan.restartTarget === undefined ? `Redrive ${plan.eligible} executions${lifted}?` : `Restart ${plan.eligible} executions on ${plan.restartTarget}?`;
      if (!(await io.confirm(`${question} [y/N] `))) {
        io.stderr(`Cancelled: nothing was ${verb === 'redrive' ? 'redriven' : 'restarted'}.\n`);
        return EXIT.ok;
      }
    }
    const identity = await ctx.identity();
    const actor = `operator ${identity.arn}: ${reason}`;
    const summary = await applyPlan(ctx, planFile, plan, overrides, actor, options, () => interrupted, (progress) => (activeProgress = progress));
    if (options.output === 'json') io.stdout(`${json({ plan, run: summary })}\n`);
    else io.stdout(renderSummary(summary, planFile.path, temporaryPlan === undefined));
    return summary.errors > 0 || summary.interrupted ? EXIT.partial : EXIT.ok;
  } finally {
    removeInterrupt();
    if (temporaryPlan) rmSync(temporaryPlan, { recursive: true, force: true });
  }
}

interface MadePlan {
  plan: Plan;
  ctx: AwsContext;
  /** Absent for a dry run without --plan-out, and when planning was interrupted. */
  planFile?: PlanFile;
}

interface ParsedSelection {
  requestedStatuses?: WatchableStatus[];
  errorRegex?: RegExp;
  range: TimeRange;
  nowMs: number;
}

/** `restart`'s target for a new plan, checked before any call; undefined for `redrive` and for `--plan`. */
function restartTargetOf(options: RedriveOptions): RestartTarget | undefined {
  if (options.action !== 'restart') return undefined;
  if (options.plan !== undefined) {
    if (options.target !== undefined) throw new CliError(`--plan applies the plan's own restart target: --target cannot be given with it`);
    return undefined;
  }
  if (options.target === undefined) throw new CliError('--target is required: latest, version:<n> or alias:<name>');
  try {
    return parseRestartTarget(options.target);
  } catch (error) {
    throw new CliError(`--target: ${(error as Error).message}`);
  }
}

/** The selection options, checked before any call. */
function parseSelection(options: RedriveOptions, io: CliIo): ParsedSelection {
  if (!options.stateMachine?.length && !options.namePrefix?.length) throw new CliError('Select state machines with --state-machine ARN or --name-prefix PREFIX, or apply a plan with --plan FILE');
  validateStateMachineArns(options.stateMachine ?? []);
  const nowMs = io.clock.nowMs();
  return {
    requestedStatuses: parseStatuses(options.status),
    errorRegex: compileErrorPattern(options.error),
    range: parseTimeRange(options.since, options.until, nowMs, nowMs - REDRIVE_WINDOW_MS),
    nowMs,
  };
}

/** Lists the selection, judges each execution and writes the plan file (the given one, or a temporary one to apply). */
async function makePlan(
  options: RedriveOptions,
  { requestedStatuses, errorRegex, range, nowMs }: ParsedSelection,
  io: CliIo,
  overrides: PolicyOverrides | undefined,
  restartTarget: RestartTarget | undefined,
  interrupted: () => boolean,
  onTemporary: (path: string) => void,
): Promise<MadePlan> {
  const { config, source: configSource } = loadConfigWithSource(options, io);
  const ctx = await AwsContext.create(options, io, (rates) => liftApiRates(rates, options.rate));
  const ledger = ctx.ledger(config);
  io.stderr(`${paceText(ctx.limiter, ctx.region, options.rate, false)}\n`);
  const { arns, expressSkipped } = await resolveStateMachines(ctx.clients.sfn, options.stateMachine ?? [], options.namePrefix ?? []);
  const header: PlanHeader = {
    kind: PLAN_KIND,
    version: PLAN_VERSION,
    createdAt: new Date(nowMs).toISOString(),
    region: ctx.region,
    stateMachines: arns,
    expressStateMachinesSkipped: expressSkipped,
    sinceMs: range.sinceMs,
    // The plan covers what stopped until now: failures that happen from now on are the worker's.
    untilMs: Math.min(range.untilMs, nowMs),
    statuses: requestedStatuses ?? config.statuses,
    ...(options.error !== undefined && { errorPattern: options.error }),
    ...(options.failedState !== undefined && { failedState: options.failedState }),
    notRedrivenOnly: options.notRedrivenOnly === true,
    ...(options.limit !== undefined && { limit: options.limit }),
    ...(overrides && { overrides }),
    config,
    configSource,
    ...(restartTarget && { restartTarget: describeRestartTarget(restartTarget) }),
  };
  let path: string | undefined;
  if (options.planOut !== undefined) path = resolve(io.cwd, options.planOut);
  else if (!options.dryRun) {
    const directory = mkdtempSync(join(tmpdir(), 'sfn-autoredrive-plan-'));
    onTemporary(directory);
    path = join(directory, 'plan.jsonl');
  }
  const writer = path === undefined ? undefined : await PlanWriter.open(path, header);
  const tally = new PlanTally(header, describeOverrides(overrides), options.preview);
  const pace = executionPacer(options.rate);
  const deps: Judge = {
    sfn: ctx.clients.sfn,
    ledger,
    limiter: ctx.limiter,
    config,
    nowMs: () => io.clock.nowMs(),
    overrides,
    errorRegex,
    failedState: options.failedState,
    evidenceCalls: { DescribeExecution: 0, GetExecutionHistory: 0 },
    pace,
    restart: restartTarget !== undefined,
  };
  const limitReached = () => options.limit !== undefined && tally.plan.matched >= options.limit;
  const stopped = () => interrupted() || limitReached();
  const counter = startCounter(io, 'plan');
  let listed = 0;
  let complete = false;
  try {
    const selection = listSelected(ctx.clients.sfn, {
      stateMachineArns: arns,
      statuses: header.statuses,
      sinceMs: header.sinceMs,
      untilMs: header.untilMs,
      notRedrivenOnly: header.notRedrivenOnly,
    });
    await forEachBounded(
      withLookups(selection, BATCH_GET_LIMIT, (item) => item.executionArn!, (arns) => ledger.getMany(arns)),
      options.concurrency,
      async ([item, record]) => {
        listed++;
        const entry = await judge(deps, item, record);
        if (!entry || limitReached()) return;
        tally.add(entry);
        await writer?.write(entry);
        counter.update(() => `${listed} listed, ${tally.plan.matched} matched, ${tally.plan.eligible} eligible, ${deps.evidenceCalls.DescribeExecution + deps.evidenceCalls.GetExecutionHistory} evidence calls`);
      },
      stopped,
    );
    complete = !interrupted();
  } finally {
    counter.stop();
    tally.plan.evidenceCalls = { ...deps.evidenceCalls };
    await writer?.close(complete, tally.plan.evidenceCalls);
  }
  const plan = tally.plan;
  plan.interrupted = !complete;
  if (options.planOut !== undefined) plan.planFile = path;
  return { plan, ctx, planFile: complete && path !== undefined && !options.dryRun ? await openPlan(path) : undefined };
}

/** The plan a file holds, counted again from its entries. */
async function tallyPlanFile(planFile: PlanFile, previewSize: number): Promise<Plan> {
  const tally = new PlanTally(planFile.header, describeOverrides(planFile.header.overrides), previewSize);
  for await (const entry of planFile.entries()) tally.add(entry);
  tally.plan.evidenceCalls = planFile.trailer.evidenceCalls ?? {};
  tally.plan.planFile = planFile.path;
  return tally.plan;
}

/**
 * Applies the plan's REDRIVE entries through the engine, 100 ledger items per BatchGetItem read fresh (so
 * what was redriven since the plan, by anyone, is skipped without a call), and counts the other entries
 * as skipped by their planned reason.
 */
async function applyPlan(
  ctx: AwsContext,
  planFile: PlanFile,
  plan: Plan,
  overrides: PolicyOverrides | undefined,
  actor: string,
  options: RedriveOptions,
  interrupted: () => boolean,
  onProgress: (progress: Progress) => void,
): Promise<RunSummary> {
  const startedMs = Date.now();
  const { config } = planFile.header;
  const ledger = ctx.ledger(config);
  const alerts = new OperatorAlerts(ctx, options.alertTopicArn);
  const engine = operatorEngine(ctx, { config, ledger, actor, alerts, verbose: options.verbose === true, overrides });
  const pace = executionPacer(options.rate);
  const restartTarget = planFile.header.restartTarget === undefined ? undefined : parseRestartTarget(planFile.header.restartTarget);
  const summary: RunSummary = { processed: 0, redriven: 0, restarted: 0, skipped: {}, refusedByAws: {}, errors: 0, errorSamples: [], throttled: {}, alertsNotPublished: 0, interrupted: false, durationMs: 0, redrivesPerSecond: 0 };
  let fatal: CliError | undefined;
  const progress = startProgress(ctx.io, plan.matched, 'redrive');
  onProgress(progress);
  const stopped = () => interrupted() || fatal !== undefined;
  const report = () => progress.update({ done: summary.processed, redriven: summary.redriven, errors: summary.errors });
  try {
    const eligible = (entry: PlanEntry) => entry.verdict === (restartTarget ? 'RESTART' : 'REDRIVE');
    await forEachBounded(
      withLookups(planFile.entries(), BATCH_GET_LIMIT, (entry) => (eligible(entry) ? entry.executionArn : undefined), (arns) => ledger.getMany(arns)),
      options.concurrency,
      async ([entry, record]) => {
        if (!eligible(entry)) {
          summary.processed++;
          increment(summary.skipped, entry.verdict);
          return;
        }
        try {
          await pace();
          const known = { record, evidenceComplete: true };
          const outcome = restartTarget ? await engine.restart(entryEvidence(entry), restartTarget, known) : await engine.handleEvidence(entryEvidence(entry), 'operator', known);
          const done = outcome.redriven || outcome.place === 'RESTARTED';
          if (done && !outcome.confirmedOnly) summary[restartTarget ? 'restarted' : 'redriven']++;
          else increment(summary.skipped, done ? 'ALREADY_HANDLED' : outcome.reason);
          if (!outcome.redriven && AWS_REFUSALS.has(outcome.reason)) countRefusal(summary.refusedByAws, `${outcome.reason}: ${outcome.detail}`);
        } catch (error) {
          const problem = toCliError(error);
          // A missing permission, a bad table or an unreachable endpoint fails every call alike: stop.
          if (problem.exitCode === EXIT.usage || problem.exitCode === EXIT.unreachable) fatal ??= problem;
          summary.errors++;
          if (summary.errorSamples.length < ERROR_SAMPLES) summary.errorSamples.push({ executionArn: entry.executionArn, message: problem.message });
        } finally {
          summary.processed++;
          report();
        }
      },
      stopped,
    );
    report();
  } finally {
    progress.stop();
  }
  if (fatal) {
    if (summary.redriven > 0) ctx.io.stderr(`Stopped after ${summary.redriven} redrives; rerun \`--plan ${planFile.path}\` to finish (already redriven executions are skipped).\n`);
    throw fatal;
  }
  summary.throttled = ctx.limiter.throttledCounts();
  summary.alertsNotPublished = alerts.unsent.length;
  summary.interrupted = interrupted();
  summary.durationMs = Date.now() - startedMs;
  summary.redrivesPerSecond = Number(rate(summary.redriven + summary.restarted, startedMs).toFixed(1));
  return summary;
}

/** Outcomes that are RedriveExecution's answer, not our decision (the plan had judged them eligible). */
const AWS_REFUSALS = new Set(['NOT_REDRIVABLE_PER_AWS', 'NOT_FAILED', 'EXECUTION_NOT_FOUND']);

function countRefusal(counts: Record<string, number>, key: string): void {
  increment(counts, key in counts || Object.keys(counts).length < REFUSAL_REASONS_KEPT ? key : 'other');
}

function renderSummary(summary: RunSummary, planPath: string, keptPlan: boolean): string {
  const rows: Array<[string, string | number]> = [
    ['processed', summary.processed],
    ...(summary.restarted > 0 ? [['restarted', summary.restarted] as [string, number]] : []),
    ['redriven', summary.redriven],
    ...sortedCounts(summary.skipped).map(([reason, n]): [string, number] => [`skipped ${reasonText(reason)}`, n]),
    ...sortedCounts(summary.refusedByAws).map(([why, n]): [string, number] => [`  refused by Step Functions: ${why}`, n]),
    ['errors', summary.errors],
    ['throttled (retried)', Object.entries(summary.throttled).map(([api, n]) => `${api} ${n}`).join(', ') || 0],
    ['duration', `${(summary.durationMs / 1000).toFixed(1)} s (${summary.redrivesPerSecond} redrives/s)`],
  ];
  if (summary.alertsNotPublished > 0) rows.push(['alerts not published (no --alert-topic-arn)', summary.alertsNotPublished]);
  const again = keptPlan ? `rerun with --plan ${planPath} to finish` : 'rerun the same command to finish';
  const lines = [summary.interrupted ? `Interrupted. Done so far (${again}; it is safe):` : 'Summary:', renderFields(rows)];
  for (const sample of summary.errorSamples) lines.push(`error: ${sample.executionArn}: ${sample.message}`);
  return `${lines.join('\n')}\n`;
}

export type { Plan };

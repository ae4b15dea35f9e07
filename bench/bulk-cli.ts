/**
 * `sfn-autoredrive redrive` over seeded failed executions, as a child process against an in-bench local
 * stack, so its peak RSS is its own (read from /proc/<pid>/status VmHWM while it runs).
 *
 * Two designs over the same seeded failures: this checkout's (`new`) and the one before the
 * plan file (`old`: the bin of BASELINE_REV, extracted with `git archive`, which calls DescribeExecution
 * twice per execution, once while planning and once while running).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateStateMachineCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DUMMY_CREDENTIALS } from '../local/dynamodb-local';
import { LOCAL_REGION } from '../local/fabric/aws-names';
import { RealClock } from '../local/clock';
import { LocalStack, LOCAL_NAMES } from '../local/stack';
import { callsBetween, quotaFloor, STEP_FUNCTIONS_APIS, type ApiCounts, type QuotaFloor } from './quota';

const ROOT = path.join(__dirname, '..');
const DAY_MS = 86_400_000;
/** The last commit with the two-DescribeExecution design (issue 10 measured it). */
export const BASELINE_REV = '1cca454';

export type CliDesign = 'old' | 'new';

export interface BulkCliOptions {
  design: CliDesign;
  executions: number;
  throttling: boolean;
  /** Share of the executions the pipeline redrove 3 times and gave up on (redriveCount 3, ledger GAVE_UP with the error). */
  gaveUpShare: number;
  /** The pipeline saw every failure: the others have a ledger item too (WAITING, with the error), as after a real outage. */
  pipelineSawAll: boolean;
  /** Extra CLI flags. Default: the CLI's own defaults. */
  flags: string[];
  /** Plan to a file in one process (`--dry-run --plan-out`), then apply it in another (`--plan`). New design only. */
  viaPlanFile?: boolean;
  /** Config file fields (with a watch section added); default: no config file. */
  config?: Record<string, unknown>;
  /**
   * Failures the worker handles while the CLI runs (one every LIVE_SPACING_MS, on a watched state machine
   * whose first run fails and whose redrive succeeds), and the same number before it, alone: how much the
   * bulk run delays the automatic pipeline's redrives. Default 0.
   */
  liveFailures?: number;
}

/** How long the worker took from a failure to its redrive (ExecutionFailed → ExecutionRedriven), in seconds. */
export interface LiveDelays {
  count: number;
  medianSeconds: number;
  maxSeconds: number;
  /** Live failures not redriven within LIVE_DEADLINE_MS of the last start. */
  notRedriven: number;
}

export interface BulkCliFigures {
  design: CliDesign;
  executions: number;
  throttling: boolean;
  scenario: string;
  flags: string;
  wallSeconds: number;
  /** With viaPlanFile: the two processes. */
  planSeconds?: number;
  applySeconds?: number;
  /** ListExecutions, DescribeExecution and GetExecutionHistory calls made while applying the plan file (expected: 0). */
  readCallsWhileApplying?: number;
  floor: QuotaFloor;
  floorRatio: number | null;
  callsPerExecution: Record<string, number>;
  throttled: Record<string, number>;
  peakRssMb: number;
  redriven: number;
  /** Seeded executions whose redriveCount did not go up by exactly 1. */
  notRedrivenOnce: number;
  exitCode: number | null;
  /** With liveFailures: the worker's redrive delays with no bulk run, then during it. */
  live?: { alone: LiveDelays; duringBulk: LiveDelays };
}

const LIVE_SPACING_MS = 200;
const LIVE_DEADLINE_MS = 120_000;
/**
 * Fails on its first run and succeeds when redriven: the worker's redrive is the only thing that ends it.
 * The failing state is a Task that reads the redrive count itself, since a redrive reruns the failed
 * state, not the states before it (a Fail state would fail every rerun).
 */
const FAILS_UNTIL_REDRIVEN = { StartAt: 'Outage', States: { Outage: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } };

class DependencyDown extends Error {
  constructor() {
    super('live failure during the bulk run');
    this.name = 'DependencyDown';
  }
}

/** Starts `count` live failures, one every LIVE_SPACING_MS, and waits for the worker to redrive each (or the deadline). */
async function liveFailureDelays(stack: LocalStack, stateMachineArn: string, count: number, namePrefix: string): Promise<LiveDelays> {
  const arns: string[] = [];
  for (let i = 0; i < count; i++) {
    const { executionArn } = await stack.clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name: `${namePrefix}-${i}` }));
    arns.push(executionArn!);
    await new Promise((resolve) => setTimeout(resolve, LIVE_SPACING_MS));
  }
  const deadlineMs = Date.now() + LIVE_DEADLINE_MS;
  const redrivenAt = (arn: string) => {
    const history = stack.sfn.execution(arn)!.history;
    const events = Array.from({ length: history.length }, (_, i) => history.get(i + 1));
    const failed = events.find((e) => e.type === 'ExecutionFailed');
    const redriven = events.find((e) => e.type === 'ExecutionRedriven');
    return failed && redriven ? (redriven.timestampMs - failed.timestampMs) / 1000 : undefined;
  };
  while (Date.now() < deadlineMs && arns.some((arn) => redrivenAt(arn) === undefined)) await new Promise((resolve) => setTimeout(resolve, 250));
  const delays = arns.map(redrivenAt).filter((d): d is number => d !== undefined).sort((a, b) => a - b);
  return { count, medianSeconds: delays[Math.floor(delays.length / 2)] ?? NaN, maxSeconds: delays[delays.length - 1] ?? NaN, notRedriven: count - delays.length };
}

/** The baseline's bin, extracted once per bench run into a temporary checkout that shares node_modules. */
let baselineBin: string | undefined;
function oldDesignBin(): string {
  if (baselineBin && existsSync(baselineBin)) return baselineBin;
  const dir = mkdtempSync(path.join(tmpdir(), 'sfn-autoredrive-baseline-'));
  const archive = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', BASELINE_REV], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  baselineBin = path.join(dir, 'bin', 'cli.js');
  return baselineBin;
}

export function scenarioText(options: BulkCliOptions): string {
  const gaveUp = Math.round(options.gaveUpShare * 100);
  return `${gaveUp}% gave up (redriveCount 3), ${options.pipelineSawAll ? 'every failure in the ledger with its error' : 'only those in the ledger'}${options.config ? `, config ${JSON.stringify(options.config)}` : ''}`;
}

export async function runBulkCli(options: BulkCliOptions): Promise<BulkCliFigures> {
  // The worker watches only the live failures (`live-`), nothing the CLI touches: only the operator acts on those.
  const stack = await LocalStack.start({
    config: { watch: { stateMachineNamePrefixes: ['live-'] }, backoff: { initialDelaySeconds: 0, jitter: 'none' } },
    clock: new RealClock(),
    throttling: options.throttling,
    slack: false,
    taskHandlers: {
      Outage: async (_input, context) => {
        if (context.redriveCount === 0) throw new DependencyDown();
        return { recovered: true };
      },
    },
  });
  const work = mkdtempSync(path.join(tmpdir(), 'sfn-autoredrive-bulk-'));
  try {
    const { stateMachineArn } = await stack.clients.sfn.send(
      new CreateStateMachineCommand({ name: 'bulk-orders', roleArn: 'arn:aws:iam::123456789012:role/sfn', definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }) }),
    );
    const nowMs = Date.now();
    const gaveUpEvery = options.gaveUpShare > 0 ? Math.round(1 / options.gaveUpShare) : Infinity;
    const seeds = Array.from({ length: options.executions }, (_, i) => {
      const gaveUp = options.gaveUpShare > 0 && i % gaveUpEvery === 0;
      const startDateMs = nowMs - DAY_MS;
      const stopDateMs = nowMs - DAY_MS + 1000 + i;
      const redriveCount = gaveUp ? 3 : 0;
      const name = `order-${i}`;
      const arn = stack.sfn.seedExecution({ stateMachineArn: stateMachineArn!, name, status: 'FAILED', startDateMs, stopDateMs, error: 'PaymentGatewayTimeout', cause: 'gateway is down', redriveCount });
      return { arn, name, gaveUp, startDateMs, stopDateMs, redriveCount };
    });
    const inLedger = seeds.filter((seed) => seed.gaveUp || options.pipelineSawAll);
    await forEachLimited(inLedger, 16, (seed) =>
      stack.ledger.transition({
        evidence: { executionArn: seed.arn, stateMachineArn: stateMachineArn!, executionName: seed.name, status: 'FAILED', startDateMs: seed.startDateMs, stopDateMs: seed.stopDateMs, redriveCount: seed.redriveCount, error: 'PaymentGatewayTimeout', cause: 'gateway is down', sources: ['event'] },
        generation: seed.redriveCount,
        expect: { newGeneration: true },
        nowMs,
        ...(seed.gaveUp
          ? { phase: 'GAVE_UP' as const, reason: 'MAX_ATTEMPTS_REACHED' as const, attemptsIncrement: 3 }
          : { phase: 'WAITING' as const, reason: 'BACKOFF' as const, dueAtMs: nowMs + DAY_MS, recheckEnqueued: true }),
      }),
    );
    const configFlags: string[] = [];
    if (options.config) {
      const file = path.join(work, 'autoredrive.config.json');
      writeFileSync(file, JSON.stringify({ watch: { stateMachineNamePrefixes: ['unwatched-'] }, ...options.config }));
      configFlags.push('--config', file);
    }
    const bin = options.design === 'old' ? oldDesignBin() : path.join(ROOT, 'bin', 'cli.js');
    const common = [
      '--region', LOCAL_REGION, '--endpoint-url', stack.sfn.endpoint, '--dynamodb-endpoint-url', stack.dynamo.endpoint,
      '--sqs-endpoint-url', stack.aws.url, '--sns-endpoint-url', stack.aws.url, '--table', LOCAL_NAMES.ledgerTable, ...configFlags,
    ];
    const env = { AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey };
    const selection = ['--state-machine', stateMachineArn!, ...options.flags];
    const live = options.liveFailures ?? 0;
    let liveArn: string | undefined;
    let liveAlone: LiveDelays | undefined;
    if (live > 0) {
      ({ stateMachineArn: liveArn } = await stack.clients.sfn.send(new CreateStateMachineCommand({ name: 'live-orders', roleArn: 'arn:aws:iam::123456789012:role/sfn', definition: JSON.stringify(FAILS_UNTIL_REDRIVEN) })));
      liveAlone = await liveFailureDelays(stack, liveArn!, live, 'alone');
    }
    const before = stack.sfn.stats().apis;
    const startedMs = Date.now();
    let run: ChildRun;
    let planSeconds: number | undefined;
    let applySeconds: number | undefined;
    let readCallsWhileApplying: number | undefined;
    let liveDuring: LiveDelays | undefined;
    if (options.viaPlanFile) {
      const planFile = path.join(work, 'plan.jsonl');
      const plan = await runChild([bin, 'redrive', ...common, ...selection, '--dry-run', '--plan-out', planFile, '--reason', 'bench: bulk redrive', '--output', 'json'], env);
      if (plan.exitCode !== 0) throw new Error(`the plan exited ${plan.exitCode}: ${plan.stderr.slice(-2000)}`);
      planSeconds = (Date.now() - startedMs) / 1000;
      const planned = stack.sfn.stats().apis;
      // The plan carries the selection and any overrides; only the pace may be given again.
      const rate = options.flags.includes('--rate') ? ['--rate', options.flags[options.flags.indexOf('--rate') + 1]] : [];
      run = await runChild([bin, 'redrive', ...common, '--plan', planFile, '--reason', 'bench: bulk redrive', '--yes', '--output', 'json', ...rate], env);
      applySeconds = (Date.now() - startedMs) / 1000 - planSeconds;
      const applied = callsBetween(planned, stack.sfn.stats().apis);
      readCallsWhileApplying = ['ListExecutions', 'DescribeExecution', 'GetExecutionHistory'].reduce((sum, api) => sum + (applied[api]?.calls ?? 0), 0);
      run.peakRssKb = Math.max(run.peakRssKb, plan.peakRssKb);
    } else {
      const child = runChild([bin, 'redrive', ...common, ...selection, '--reason', 'bench: bulk redrive', '--yes', '--output', 'json'], env);
      // Once the CLI is past its start-up and listing, the live failures arrive while it redrives.
      const duringBulk = live > 0 ? new Promise((resolve) => setTimeout(resolve, 3000)).then(() => liveFailureDelays(stack, liveArn!, live, 'during')) : undefined;
      run = await child;
      if (duringBulk) liveDuring = await duringBulk;
    }
    const wallSeconds = (Date.now() - startedMs) / 1000;
    const calls = callsBetween(before, stack.sfn.stats().apis);
    const floor = quotaFloor(calls);
    // A crashed or partial run must not publish figures.
    if (run.exitCode !== 0) throw new Error(`the CLI exited ${run.exitCode}: ${run.stderr.slice(-2000)}`);
    const summary = JSON.parse(run.stdout || '{}') as { run?: { redriven?: number } };
    return {
      design: options.design,
      executions: options.executions,
      throttling: options.throttling,
      scenario: scenarioText(options),
      flags: [...options.flags, ...(options.viaPlanFile ? ['(--plan-out, then --plan)'] : [])].join(' ') || '(defaults)',
      wallSeconds,
      planSeconds,
      applySeconds,
      readCallsWhileApplying,
      floor,
      floorRatio: floor.seconds > 0 ? wallSeconds / floor.seconds : null,
      callsPerExecution: perExecution(calls, options.executions),
      throttled: Object.fromEntries(STEP_FUNCTIONS_APIS.filter((api) => (calls[api]?.throttled ?? 0) > 0).map((api) => [api, calls[api].throttled])),
      peakRssMb: run.peakRssKb / 1024,
      redriven: summary.run?.redriven ?? 0,
      notRedrivenOnce: seeds.filter((seed) => stack.sfn.execution(seed.arn)!.redriveCount !== seed.redriveCount + 1).length,
      exitCode: run.exitCode,
      ...(liveAlone && liveDuring && { live: { alone: liveAlone, duringBulk: liveDuring } }),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    await stack.stop();
  }
}

/** Calls that got through (throttled attempts excluded), per execution. */
function perExecution(calls: ApiCounts, executions: number): Record<string, number> {
  return Object.fromEntries(STEP_FUNCTIONS_APIS.map((api) => [api, ((calls[api]?.calls ?? 0) - (calls[api]?.throttled ?? 0)) / executions]));
}

async function forEachLimited<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

interface ChildRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  peakRssKb: number;
}

async function runChild(args: string[], env: Record<string, string>): Promise<ChildRun> {
  // Run the bin as an operator's `npx sfn-autoredrive` does: executed directly, so its shebang's V8 flags apply.
  const [bin, ...rest] = args;
  const child = spawn(bin, rest, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  // Kept short: only the tail is shown when the run fails.
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  let peakRssKb = 0;
  const sample = () => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match) peakRssKb = Math.max(peakRssKb, Number(match[1]));
    } catch {
      // The process has exited; the last sample stands (VmHWM only grows).
    }
  };
  const sampler = setInterval(sample, 100);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(sampler);
  return { stdout, stderr, exitCode, peakRssKb };
}

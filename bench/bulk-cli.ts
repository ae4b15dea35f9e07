/**
 * `sfn-autoredrive redrive` over seeded failed executions, as a child process against an in-bench local
 * stack, so its peak RSS is its own (read from /proc/<pid>/status VmHWM while it runs).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CreateStateMachineCommand } from '@aws-sdk/client-sfn';
import { DUMMY_CREDENTIALS } from '../local/dynamodb-local';
import { LOCAL_REGION } from '../local/fabric/aws-names';
import { RealClock } from '../local/clock';
import { LocalStack, LOCAL_NAMES } from '../local/stack';
import { callsBetween, quotaFloor, STEP_FUNCTIONS_APIS, type QuotaFloor } from './quota';

const ROOT = path.join(__dirname, '..');
const DAY_MS = 86_400_000;

export interface BulkCliOptions {
  executions: number;
  throttling: boolean;
  /** Extra CLI flags, e.g. `--rate`. Default: the CLI's own defaults. */
  flags: string[];
}

export interface BulkCliFigures {
  executions: number;
  throttling: boolean;
  flags: string;
  wallSeconds: number;
  floor: QuotaFloor;
  floorRatio: number | null;
  callsPerExecution: Record<string, number>;
  peakRssMb: number;
  redriven: number;
  /** Seeded executions whose redriveCount is not exactly 1 afterwards. */
  notRedrivenOnce: number;
  exitCode: number | null;
}

export async function runBulkCli(options: BulkCliOptions): Promise<BulkCliFigures> {
  // The worker watches nothing the CLI touches; only the operator acts on these executions.
  const stack = await LocalStack.start({ config: { watch: { stateMachineNamePrefixes: ['unwatched-'] } }, clock: new RealClock(), throttling: options.throttling, slack: false });
  try {
    const { stateMachineArn } = await stack.clients.sfn.send(
      new CreateStateMachineCommand({ name: 'bulk-orders', roleArn: 'arn:aws:iam::123456789012:role/sfn', definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }) }),
    );
    const nowMs = Date.now();
    const arns = Array.from({ length: options.executions }, (_, i) =>
      stack.sfn.seedExecution({ stateMachineArn: stateMachineArn!, name: `order-${i}`, status: 'FAILED', startDateMs: nowMs - DAY_MS, stopDateMs: nowMs - DAY_MS + 1000 + i, error: 'PaymentGatewayTimeout', cause: 'gateway is down' }),
    );
    const before = stack.sfn.stats().apis;
    const args = [
      path.join(ROOT, 'bin', 'cli.js'), 'redrive',
      '--region', LOCAL_REGION, '--endpoint-url', stack.sfn.endpoint, '--dynamodb-endpoint-url', stack.dynamo.endpoint,
      '--sqs-endpoint-url', stack.aws.url, '--sns-endpoint-url', stack.aws.url, '--table', LOCAL_NAMES.ledgerTable,
      '--state-machine', stateMachineArn!, '--reason', 'bench: bulk redrive', '--yes', '--output', 'json', ...options.flags,
    ];
    const startedMs = Date.now();
    const run = await runChild(args, { AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey });
    const wallSeconds = (Date.now() - startedMs) / 1000;
    const calls = callsBetween(before, stack.sfn.stats().apis);
    const floor = quotaFloor(calls);
    // A crashed or partial run must not publish figures.
    if (run.exitCode !== 0) throw new Error(`the CLI exited ${run.exitCode}: ${run.stderr.slice(-2000)}`);
    const summary = JSON.parse(run.stdout || '{}') as { run?: { redriven?: number } };
    return {
      executions: options.executions,
      throttling: options.throttling,
      flags: options.flags.join(' ') || '(defaults)',
      wallSeconds,
      floor,
      floorRatio: floor.seconds > 0 ? wallSeconds / floor.seconds : null,
      callsPerExecution: Object.fromEntries(STEP_FUNCTIONS_APIS.map((api) => [api, (calls[api]?.calls ?? 0) / options.executions])),
      peakRssMb: run.peakRssKb / 1024,
      redriven: summary.run?.redriven ?? 0,
      notRedrivenOnce: arns.filter((arn) => stack.sfn.execution(arn)!.redriveCount !== 1).length,
      exitCode: run.exitCode,
    };
  } finally {
    await stack.stop();
  }
}

async function runChild(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string; exitCode: number | null; peakRssKb: number }> {
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

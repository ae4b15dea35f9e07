/**
 * `npm run bench`: the storm benchmark. Prints a table, or with `--json` one JSON object with every
 * figure; `--quick` runs small sizes for a sanity check. See docs/BENCHMARKS.md.
 *
 *   1. Storm: N failures at once through the full pipeline (ours), us-east-1 buckets, real clock.
 *   2. Side by side: ours, naive and check-everything on the same smaller storm, duplicates on.
 *   3. Bulk CLI: `sfn-autoredrive redrive` as a child process.
 *   4. Cold start proxy: the worker bundle's size and require time.
 */
import os from 'node:os';
import { runBulkCli, type BulkCliFigures } from './bulk-cli';
import { measureColdStart } from './cold-start';
import { printReport } from './report';
import { runStorm, type Design, type StormFigures } from './storm';

interface Sizes {
  storm: number;
  sideBySide: number;
  cliThrottled: number;
  cliUnthrottled: number[];
}

const FULL: Sizes = { storm: 10_000, sideBySide: 1_000, cliThrottled: 1_000, cliUnthrottled: [10_000, 100_000] };
const QUICK: Sizes = { storm: 500, sideBySide: 200, cliThrottled: 300, cliUnthrottled: [2_000] };
const PERMANENT_SHARE = 0.05;
const NAIVE_LOOP_CAP = 10;

export interface BenchResult {
  machine: { cpus: number; memoryGb: number; node: string; platform: string };
  sizes: Sizes;
  storm: StormFigures;
  /** The same storm with 20 concurrent worker batches instead of 5: is the limit the quota or this machine? */
  stormWiderWorker: StormFigures;
  sideBySide: StormFigures[];
  bulkCli: BulkCliFigures[];
  coldStart: ReturnType<typeof measureColdStart>;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const sizes = process.argv.includes('--quick') ? QUICK : FULL;
  const progress = (text: string) => void process.stderr.write(`bench: ${text}\n`);
  const storm = (design: Design, executions: number, deliveriesPerEvent: number, workerMaxConcurrency?: number) =>
    runStorm({ design, executions, permanentShare: PERMANENT_SHARE, deliveriesPerEvent, naiveLoopCap: NAIVE_LOOP_CAP, workerMaxConcurrency });

  progress(`storm of ${sizes.storm} through the automatic pipeline`);
  const main = await storm('ours', sizes.storm, 1);
  // Measured right after the storm: the process also held the emulator and its executions.
  main.peakRssMb = process.resourceUsage().maxRSS / 1024;
  progress(`the same storm with worker.maxConcurrency 20`);
  const stormWiderWorker = await storm('ours', sizes.storm, 1, 20);
  const sideBySide: StormFigures[] = [];
  for (const design of ['ours', 'naive', 'checkEverything'] as const) {
    progress(`side by side: ${design}, ${sizes.sideBySide} executions, every event delivered twice`);
    sideBySide.push(await storm(design, sizes.sideBySide, 2));
  }
  const bulkCli: BulkCliFigures[] = [];
  progress(`bulk CLI over ${sizes.cliThrottled} executions, throttling on`);
  bulkCli.push(await runBulkCli({ executions: sizes.cliThrottled, throttling: true, flags: [] }));
  for (const executions of sizes.cliUnthrottled) {
    progress(`bulk CLI over ${executions} executions, throttling off (memory)`);
    bulkCli.push(await runBulkCli({ executions, throttling: false, flags: ['--rate', '100000', '--concurrency', '16'] }));
  }
  progress('cold start proxy');
  const coldStart = measureColdStart(7);
  const result: BenchResult = {
    machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.arch()}` },
    sizes,
    storm: main,
    stormWiderWorker,
    sideBySide,
    bulkCli,
    coldStart,
  };
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else printReport(result);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);

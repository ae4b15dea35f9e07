/**
 * `npm run bench`: the storm benchmark. Prints a table, or with `--json` one JSON object with every
 * figure; `--quick` runs small sizes for a sanity check; `--bulk-only` runs the bulk CLI section alone,
 * `--distributed-map-only` the Distributed Map section alone, `--emulator-only` the emulator section alone.
 * See docs/BENCHMARKS.md.
 *
 *   1. Storm: N failures at once through the full pipeline (ours), us-east-1 buckets, real clock.
 *   2. Side by side: ours, naive and check-everything on the same smaller storm, duplicates on.
 *   3. Bulk CLI: `sfn-autoredrive redrive` as a child process, today's design against the one before it.
 *   4. Cold start proxy: the worker bundle's size and require time.
 *   5. Distributed Map: a 10,000-item Map Run with 1 % of its children failing once, redriven with its parent.
 *   6. Emulator: 10,000 executions failing once, then 10,000 RedriveExecution calls until all succeeded.
 */
import os from 'node:os';
import { runBulkCli, type BulkCliFigures, type BulkCliOptions } from './bulk-cli';
import { measureColdStart } from './cold-start';
import { runDistributedMapBench, type DistributedMapFigures } from './distributed-map';
import { runEmulatorBench, type EmulatorFigures } from './emulator';
import { printBulkReport, printDistributedMapReport, printEmulatorReport, printReport } from './report';
import { runStorm, type Design, type StormFigures } from './storm';

interface Sizes {
  storm: number;
  sideBySide: number;
  /** Both CLI designs, us-east-1 buckets on. */
  cliSideBySide: number;
  /** The new design alone, us-east-1 buckets on (the old one's floor is stated instead). */
  cliNewThrottled: number;
  /** The new design, buckets off: memory, and the plan file applied without listing. */
  cliMemory: number;
  /** Items of the Distributed Map's one Map Run. */
  distributedMapItems: number;
  /** Executions that fail once and are redriven, on the emulator alone. */
  emulatorExecutions: number;
}

const FULL: Sizes = { storm: 10_000, sideBySide: 1_000, cliSideBySide: 1_000, cliNewThrottled: 10_000, cliMemory: 100_000, distributedMapItems: 10_000, emulatorExecutions: 10_000 };
const QUICK: Sizes = { storm: 500, sideBySide: 200, cliSideBySide: 300, cliNewThrottled: 2_000, cliMemory: 2_000, distributedMapItems: 1_000, emulatorExecutions: 1_000 };
/** Share of the Distributed Map's children that fail once. */
const FAILING_CHILDREN_SHARE = 0.01;

/** After an outage: a fifth of the failures were given up on by the pipeline, which recorded every failure and its error. */
const AFTER_OUTAGE = { gaveUpShare: 0.2, pipelineSawAll: true } as const;
/** Status events were lost: no ledger item, so an error filter must read each error. */
const EVENTS_MISSED = { gaveUpShare: 0, pipelineSawAll: false } as const;

/** The same work for both designs: the old one lists executions redriven before only on request, and ignored the attempt cap. */
function bulkRuns(sizes: Sizes): Array<{ what: string; options: BulkCliOptions }> {
  const both = (executions: number, scenario: typeof AFTER_OUTAGE | typeof EVENTS_MISSED, oldFlags: string[], newFlags: string[], what: string) => [
    { what: `${what}: the design before the plan file (2 DescribeExecution each)`, options: { design: 'old' as const, executions, throttling: true, ...scenario, flags: oldFlags } },
    { what: `${what}: the new design`, options: { design: 'new' as const, executions, throttling: true, ...scenario, flags: newFlags } },
  ];
  return [
    ...both(sizes.cliSideBySide, AFTER_OUTAGE, ['--include-redriven'], ['--override-max-attempts'], 'after an outage, no filter'),
    ...both(sizes.cliSideBySide, EVENTS_MISSED, ['--error', 'Payment*'], ['--error', 'Payment*'], '--error, no ledger items'),
    {
      what: 'after an outage, no filter, with live failures for the worker: the new design',
      options: { design: 'new', executions: sizes.cliNewThrottled, throttling: true, ...AFTER_OUTAGE, flags: ['--override-max-attempts'], liveFailures: 50 },
    },
    {
      what: 'memory, plan file applied without listing: the new design',
      options: { design: 'new', executions: sizes.cliMemory, throttling: false, ...EVENTS_MISSED, config: { errorPolicy: { neverRetry: [] } }, flags: ['--rate', '100000', '--concurrency', '16'], viaPlanFile: true },
    },
  ];
}
async function runBulk(sizes: Sizes, progress: (text: string) => void): Promise<BulkCliFigures[]> {
  const figures: BulkCliFigures[] = [];
  for (const { what, options } of bulkRuns(sizes)) {
    progress(`bulk CLI over ${options.executions} executions (${what}), throttling ${options.throttling ? 'on' : 'off'}`);
    figures.push(await runBulkCli(options));
  }
  return figures;
}

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
  distributedMap: DistributedMapFigures;
  emulator: EmulatorFigures;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const sizes = process.argv.includes('--quick') ? QUICK : FULL;
  const progress = (text: string) => void process.stderr.write(`bench: ${text}\n`);
  const distributedMap = () => {
    progress(`Distributed Map of ${sizes.distributedMapItems} items, ${FAILING_CHILDREN_SHARE * 100} % of the children failing once`);
    return runDistributedMapBench(sizes.distributedMapItems, FAILING_CHILDREN_SHARE);
  };
  const emulator = () => {
    progress(`emulator alone: ${sizes.emulatorExecutions} executions failing once, then as many redrives`);
    return runEmulatorBench(sizes.emulatorExecutions);
  };
  if (process.argv.includes('--emulator-only')) {
    const figures = await emulator();
    if (json) process.stdout.write(`${JSON.stringify({ sizes, emulator: figures }, null, 2)}\n`);
    else printEmulatorReport(figures);
    return;
  }
  if (process.argv.includes('--distributed-map-only')) {
    const figures = await distributedMap();
    if (json) process.stdout.write(`${JSON.stringify({ sizes, distributedMap: figures }, null, 2)}
`);
    else printDistributedMapReport(figures);
    return;
  }
  if (process.argv.includes('--bulk-only')) {
    const bulkCli = await runBulk(sizes, progress);
    if (json) process.stdout.write(`${JSON.stringify({ sizes, bulkCli }, null, 2)}\n`);
    else printBulkReport(bulkCli);
    return;
  }
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
  const bulkCli = await runBulk(sizes, progress);
  progress('cold start proxy');
  const coldStart = measureColdStart(7);
  const distributedMapFigures = await distributedMap();
  const emulatorFigures = await emulator();
  const result: BenchResult = {
    machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.arch()}` },
    sizes,
    storm: main,
    stormWiderWorker,
    sideBySide,
    bulkCli,
    coldStart,
    distributedMap: distributedMapFigures,
    emulator: emulatorFigures,
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

/** The human-readable bench report: one table per section, goals marked met or not with the number. */
import Table from 'cli-table3';
import type { BulkCliFigures } from './bulk-cli';
import type { DistributedMapFigures } from './distributed-map';
import type { EmulatorFigures } from './emulator';
import type { BenchResult } from './run';
import type { StormFigures } from './storm';

const seconds = (value: number) => `${value.toFixed(1)} s`;
const ratio = (value: number | null) => (value === null ? 'n/a (within burst)' : `${value.toFixed(2)}×`);
const goal = (met: boolean, text: string) => `${met ? 'MET' : 'NOT MET'}: ${text}`;
/** Plain tables: the report is pasted into docs/BENCHMARKS.md. */
const table = (head: string[]) => new Table({ head, style: { head: [], border: [] } });

function stormRow(figures: StormFigures): string[] {
  const o = figures.outcomes;
  const perRedrive = Object.entries(figures.callsPerRedrive).map(([api, count]) => `${api.replace('Execution', '')} ${count.toFixed(2)}`).join(', ');
  return [
    `${figures.design} (${figures.workerMaxConcurrency})`,
    seconds(figures.wallSeconds),
    `${seconds(figures.floor.seconds)} (${figures.floor.boundBy})`,
    ratio(figures.floorRatio),
    perRedrive,
    String(figures.throttledCalls),
    `${o.redriven} / ${o.skipped} / ${o.gaveUp} / ${o.lost} / ${o.duplicates}`,
    `${o.loops} (${o.redrivesOnPermanent} redrives on ${figures.permanent})`,
  ];
}

const STORM_HEAD = ['design (worker batches)', 'first failure → last redrive', 'quota floor', 'ratio', 'API calls per redrive', 'throttled', 'redriven / skipped / gave up / lost / duplicates', 'loops on permanent'];

export function printReport(result: BenchResult): void {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const { storm, stormWiderWorker, sideBySide, bulkCli, coldStart, machine } = result;
  out(`Machine: ${machine.cpus} CPUs, ${machine.memoryGb} GB, node ${machine.node}, ${machine.platform}\n`);

  out(`Storm: ${storm.executions} executions (${storm.permanent} permanent), each event delivered once`);
  const main = table(STORM_HEAD);
  main.push(stormRow(storm), stormRow(stormWiderWorker));
  out(main.toString());
  out(`Peak RSS of the bench process (worker, emulator, ${storm.executions} executions): ${storm.peakRssMb?.toFixed(0)} MB`);
  out(goal(storm.floorRatio === null || storm.floorRatio <= 1.15, `within 1.15× of the quota floor (${ratio(storm.floorRatio)})`));
  out(goal(storm.outcomes.lost === 0 && storm.outcomes.duplicates === 0, `0 lost, 0 duplicates (${storm.outcomes.lost}, ${storm.outcomes.duplicates})\n`));

  out(`Side by side: ${sideBySide[0].executions} executions, every event delivered ${sideBySide[0].deliveriesPerEvent} times`);
  const side = table(STORM_HEAD);
  for (const figures of sideBySide) side.push(stormRow(figures));
  out(side.toString());
  const [ours, naive, checkEverything] = sideBySide;
  const speedup = checkEverything.wallSeconds / ours.wallSeconds;
  const sameOutcomes = JSON.stringify({ ...ours.outcomes, skipped: 0 }) === JSON.stringify({ ...checkEverything.outcomes, skipped: 0 });
  out(goal(speedup >= 10 && sameOutcomes, `≥10× faster than check-everything with the same outcomes (${speedup.toFixed(1)}×, outcomes ${sameOutcomes ? 'equal' : 'differ'})`));
  out(goal(ours.outcomes.duplicates === 0 && ours.outcomes.loops === 0, `unlike naive (${naive.outcomes.loops} loops, ${naive.outcomes.redrivesOnPermanent} redrives on permanent failures), 0 duplicates and 0 loops (${ours.outcomes.duplicates}, ${ours.outcomes.loops})\n`));

  printBulkReport(bulkCli);

  out(`Cold start proxy: worker bundle ${coldStart.minifiedKb.toFixed(0)} KB minified, ${coldStart.gzippedKb.toFixed(0)} KB gzipped, source map ${coldStart.sourceMapKb.toFixed(0)} KB (bundle and map ${coldStart.bundleAndMapGzippedKb.toFixed(0)} KB gzipped); require in a fresh node with source maps on: ${coldStart.requireMsMedian.toFixed(0)} ms (median of ${coldStart.runs})`);
  out(goal(coldStart.minifiedKb <= 300, `≤ 300 KB minified (${coldStart.minifiedKb.toFixed(0)} KB)\n`));

  printDistributedMapReport(result.distributedMap);
  out('');
  printEmulatorReport(result.emulator);
}

export function printEmulatorReport(figures: EmulatorFigures): void {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out(`Emulator alone (virtual clock, SDK over HTTP, throttling off, ${figures.concurrency} calls at once): ${figures.executions} executions failing once, then redriven`);
  const runs = table(['start → all FAILED', 'StartExecution/s', 'redrive → all SUCCEEDED', 'RedriveExecution/s', 'FAILED / SUCCEEDED / redriven once', 'task invocations', 'peak RSS']);
  runs.push([
    seconds(figures.startAndFailSeconds),
    figures.startCallsPerSecond.toFixed(0),
    seconds(figures.redriveAndSucceedSeconds),
    figures.redriveCallsPerSecond.toFixed(0),
    `${figures.failedAfterStart} / ${figures.succeededAfterRedrive} / ${figures.redrivenOnce}`,
    String(figures.taskInvocations),
    `${figures.peakRssMb.toFixed(0)} MB`,
  ]);
  out(runs.toString());
  out(`API calls: ${Object.entries(figures.apiCalls).map(([api, calls]) => `${api} ${calls}`).join(', ')}`);
  out(`load before: ${figures.loadBefore}`);
  out(`load after:  ${figures.loadAfter}`);
}

export function printDistributedMapReport(figures: DistributedMapFigures): void {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out(`Distributed Map (emulator alone, virtual clock): ${figures.items} items, ${figures.failingChildren} children failing once`);
  const runs = table(['first run (Map Run fails)', 'redrive of the parent', 'children run again', 'task invocations', 'parent', 'Map Run redrives', 'heap after']);
  runs.push([
    seconds(figures.firstRunSeconds),
    seconds(figures.redriveSeconds),
    String(figures.childrenRerun),
    String(figures.taskInvocations),
    figures.parentStatus,
    String(figures.mapRunRedriveCount),
    `${figures.heapUsedMb.toFixed(0)} MB`,
  ]);
  out(runs.toString());
  out(goal(figures.childrenRerun === figures.failingChildren && figures.parentStatus === 'SUCCEEDED', `one redrive reruns only the failed children (${figures.childrenRerun} of ${figures.failingChildren})`));
}

export function printBulkReport(bulkCli: BulkCliFigures[]): void {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out('Bulk CLI (`sfn-autoredrive redrive` as a child process)');
  const cli = table(['design', 'executions', 'scenario', 'flags', 'throttling', 'time', 'quota floor', 'ratio', 'calls per execution (got through)', 'throttled', 'peak RSS', 'redriven', 'not redriven once']);
  for (const run of bulkCli) {
    const floor = run.throttling ? `${seconds(run.floor.seconds)} (${run.floor.boundBy})` : 'n/a (throttling off)';
    const perExecution = Object.entries(run.callsPerExecution).filter(([, count]) => count > 0).map(([api, count]) => `${api.replace('Execution', '')} ${count.toFixed(2)}`).join(', ');
    const time = run.planSeconds === undefined ? seconds(run.wallSeconds) : `${seconds(run.wallSeconds)} (plan ${seconds(run.planSeconds)}, apply ${seconds(run.applySeconds!)}, ${run.readCallsWhileApplying} list/read calls while applying)`;
    const throttled = Object.entries(run.throttled).map(([api, n]) => `${api} ${n}`).join(', ') || '0';
    cli.push([run.design, String(run.executions), run.scenario, run.flags, run.throttling ? 'on' : 'off', time, floor, run.throttling ? ratio(run.floorRatio) : 'n/a', perExecution, throttled, `${run.peakRssMb.toFixed(0)} MB`, String(run.redriven), String(run.notRedrivenOnce)]);
  }
  out(cli.toString());
  const unfiltered = bulkCli.filter((run) => run.design === 'new' && run.throttling && !run.flags.includes('--error'));
  if (unfiltered.length > 0) {
    const largestNew = unfiltered.reduce((a, b) => (b.executions > a.executions ? b : a));
    out(goal(largestNew.floorRatio !== null && largestNew.floorRatio <= 1.15, `new design within 1.15× of its quota floor at ${largestNew.executions} (${ratio(largestNew.floorRatio)})`));
    const old = bulkCli.find((run) => run.design === 'old' && !run.flags.includes('--error'));
    if (old) {
      // The old design makes 2 DescribeExecution per execution: (2N - 300) / 15 s at best in us-east-1.
      const oldFloor = (2 * largestNew.executions - 300) / 15;
      const oldEstimate = Math.max(oldFloor, (old.wallSeconds / old.executions) * largestNew.executions);
      out(goal(oldEstimate / largestNew.wallSeconds >= 20, `≥20× faster than the design before the plan file at ${largestNew.executions}: ${(oldEstimate / largestNew.wallSeconds).toFixed(0)}× (the old design took ${seconds(old.wallSeconds)} at ${old.executions}; at ${largestNew.executions} its floor alone is ${seconds(oldFloor)})`));
    }
  }
  for (const run of bulkCli.filter((r) => r.flags.includes('--error') && r.design === 'new')) {
    const evidence = (run.callsPerExecution.DescribeExecution ?? 0) + (run.callsPerExecution.GetExecutionHistory ?? 0);
    out(goal(evidence <= 1, `with --error, at most one evidence call per execution in total (${evidence.toFixed(2)})`));
  }
  for (const run of bulkCli.filter((r) => r.live)) {
    const { alone, duringBulk } = run.live!;
    const text = (d: typeof alone) => `median ${d.medianSeconds.toFixed(1)} s, max ${d.maxSeconds.toFixed(1)} s${d.notRedriven > 0 ? `, ${d.notRedriven} not redriven` : ''}`;
    out(`Worker redrives of ${alone.count} live failures (failure → ExecutionRedriven): alone ${text(alone)}; during the bulk run of ${run.executions} ${text(duringBulk)}`);
  }
  const largest = bulkCli.reduce((a, b) => (b.executions > a.executions ? b : a));
  out(goal(largest.peakRssMb < 150, `peak RSS under 150 MB at ${largest.executions} (${largest.peakRssMb.toFixed(0)} MB)`));
  if (largest.readCallsWhileApplying !== undefined) out(goal(largest.readCallsWhileApplying === 0, `plan file applied without listing or reading again (${largest.readCallsWhileApplying} calls)`));
  out('');
}

/**
 * Runs one storm through one design and measures it: wall time from the failures to the last accepted
 * RedriveExecution, calls and throttling per API, the quota floor, and where every failure ended.
 */
import type { AutoRedriveConfig } from '../core/config';
import { LambdaRunner } from '../local/fabric/lambda-runner';
import type { LocalStack } from '../local/stack';
import { checkEverythingDesign, naiveDesign } from './designs';
import { callsBetween, quotaFloor, type ApiCounts, type QuotaFloor } from './quota';
import { startStorm, type StormExecutions } from './storm-stack';

export type Design = 'ours' | 'naive' | 'checkEverything';

export interface StormOptions {
  design: Design;
  executions: number;
  /** Share of executions that fail on every run. */
  permanentShare: number;
  /** EventBridge deliveries per event (2 = every event duplicated). */
  deliveriesPerEvent: number;
  /** Naive only: stop redriving an execution at this redriveCount (stands in for the 14-day window). */
  naiveLoopCap: number;
  /** Overrides worker.maxConcurrency (default 5), to tell the machine's limit from the quota's. */
  workerMaxConcurrency?: number;
}

export interface StormFigures {
  design: Design;
  workerMaxConcurrency: number;
  executions: number;
  permanent: number;
  deliveriesPerEvent: number;
  wallSeconds: number;
  floor: QuotaFloor;
  floorRatio: number | null;
  calls: ApiCounts;
  callsPerRedrive: Record<string, number>;
  throttledCalls: number;
  acceptedRedrives: number;
  outcomes: {
    /** Transient failures that succeeded after exactly one redrive. */
    redriven: number;
    skipped: number;
    /** Permanent failures left failed at the attempt cap (ours: ledger GAVE_UP with an alert). */
    gaveUp: number;
    /** Transient failures never redriven. */
    lost: number;
    /** Transient failures redriven more than once. */
    duplicates: number;
    /** Permanent failures redriven past the attempt cap, and the redrives spent on them. */
    loops: number;
    redrivesOnPermanent: number;
  };
  peakRssMb?: number;
}

export async function runStorm(options: StormOptions): Promise<StormFigures> {
  const storm = await startStorm(options.workerMaxConcurrency);
  const { stack } = storm;
  const gaveUpByCheckEverything = new Set<string>();
  let replacement: LambdaRunner | undefined;
  try {
    const lastRedrive = trackLastAcceptedRedrive(stack);
    if (options.design !== 'ours') replacement = await replaceWorker(stack, options, gaveUpByCheckEverything);
    stack.bus.setFaults({ deliveriesPerEvent: options.deliveriesPerEvent });
    const executions = await storm.prepare(options.executions, options.permanentShare);
    const before = stack.sfn.stats().apis;
    const releasedAtMs = storm.release();
    await settleCompletely(stack);
    const calls = callsBetween(before, stack.sfn.stats().apis);
    const outcomes = await outcomesOf(stack, executions, options.design, stack.config, gaveUpByCheckEverything);
    const wallSeconds = (lastRedrive() - releasedAtMs) / 1000;
    const floor = quotaFloor(calls);
    const acceptedRedrives = [...executions.transient, ...executions.permanent].reduce((sum, arn) => sum + stack.sfn.execution(arn)!.redriveCount, 0);
    return {
      design: options.design,
      workerMaxConcurrency: stack.config.worker.maxConcurrency,
      executions: options.executions,
      permanent: executions.permanent.length,
      deliveriesPerEvent: options.deliveriesPerEvent,
      wallSeconds,
      floor,
      floorRatio: floor.seconds > 0 ? wallSeconds / floor.seconds : null,
      calls,
      callsPerRedrive: Object.fromEntries(['RedriveExecution', 'DescribeExecution', 'GetExecutionHistory'].map((api) => [api, (calls[api]?.calls ?? 0) / acceptedRedrives])),
      throttledCalls: Object.values(calls).reduce((sum, stats) => sum + stats.throttled, 0),
      acceptedRedrives,
      outcomes,
    };
  } finally {
    await replacement?.stop();
    await stack.stop();
  }
}

/** Time of the last RedriveExecution the emulator accepted, read from the SDK's middleware stack. */
function trackLastAcceptedRedrive(stack: LocalStack): () => number {
  let lastMs = 0;
  stack.lambdaClients.worker.sfn.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'RedriveExecutionCommand') lastMs = Date.now();
      return result;
    },
    { step: 'initialize', name: 'benchLastRedrive' },
  );
  return () => lastMs;
}

/** The reference designs take the worker's place on the same queue, with the same runner settings. */
async function replaceWorker(stack: LocalStack, options: StormOptions, gaveUp: Set<string>): Promise<LambdaRunner> {
  await stack.worker.stop();
  // The worker's own client (its role, and the hook that times the last redrive): the designs take its place.
  const sfn = stack.lambdaClients.worker.sfn;
  const { worker, maxAttempts } = stack.config;
  const handler = options.design === 'naive' ? naiveDesign(sfn, options.naiveLoopCap) : checkEverythingDesign(sfn, maxAttempts, gaveUp);
  const runner = new LambdaRunner({ queue: stack.intakeQueue, handler, functionName: `bench-${options.design}`, batchSize: worker.batchSize, maxConcurrency: worker.maxConcurrency, timeoutSeconds: worker.timeoutSeconds });
  runner.start();
  return runner;
}

/** Settled, and no message left in flight (being handled, or waiting out a visibility timeout) or delayed. */
async function settleCompletely(stack: LocalStack): Promise<void> {
  for (;;) {
    await stack.settle();
    const depth = stack.intakeQueue.depth();
    if (depth.inFlight + depth.delayed === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function outcomesOf(stack: LocalStack, executions: StormExecutions, design: Design, config: AutoRedriveConfig, gaveUpByCheckEverything: Set<string>): Promise<StormFigures['outcomes']> {
  const outcomes: StormFigures['outcomes'] = { redriven: 0, skipped: 0, gaveUp: 0, lost: 0, duplicates: 0, loops: 0, redrivesOnPermanent: 0 };
  for (const arn of executions.transient) {
    const execution = stack.sfn.execution(arn)!;
    if (execution.status !== 'SUCCEEDED') outcomes.lost++;
    else if (execution.redriveCount === 1) outcomes.redriven++;
    else outcomes.duplicates++;
  }
  for (const arn of executions.permanent) {
    const { redriveCount } = stack.sfn.execution(arn)!;
    outcomes.redrivesOnPermanent += redriveCount;
    if (redriveCount > config.maxAttempts) outcomes.loops++;
    // Ours counts as given up only with the ledger record and its alert.
    const gaveUp =
      design === 'ours'
        ? (await stack.ledger.get(arn))?.phase === 'GAVE_UP' && stack.alerts.some((a) => a.kind === 'GAVE_UP' && a.executionArn === arn)
        : design === 'checkEverything' && gaveUpByCheckEverything.has(arn);
    if (gaveUp && redriveCount === config.maxAttempts) outcomes.gaveUp++;
    // Neither given up nor looping past the cap: the failure ended nowhere.
    else if (redriveCount <= config.maxAttempts) outcomes.lost++;
  }
  // Only ours records skips; the two reference designs have no notion of one.
  if (design === 'ours') {
    for (const arn of [...executions.transient, ...executions.permanent]) if ((await stack.ledger.get(arn))?.phase === 'SKIPPED') outcomes.skipped++;
  }
  return outcomes;
}

/**
 * The commands of a model run. Each acts on the real stack through the harness, lets it settle, then
 * checks the invariants that must hold at every step (nothing stuck without a pending message, no ledger
 * rollback, no generation redriven twice). toString() is what a failure report prints, shrunk.
 */
import fc from 'fast-check';
import type { Auditor, Violation } from './audit';
import type { PipelineHarness } from './harness';
import { tolerated } from './known-bugs';
import {
  CRASH_POINT_TEXT,
  ENABLED_CRASH_POINTS,
  FLAGS,
  describeFates,
  describeKind,
  formatMs,
  jumpArbitrary,
  RESTART_TARGETS,
  startArbitrary,
  type CrashPoint,
  type StartSpec,
} from './scenario';

/** The model side: what the run has done so far, for preconditions. */
export interface ModelState {
  executions: number;
}

export interface Real {
  h: PipelineHarness;
  auditor: Auditor;
  /** Violations of open (tolerated) known bugs seen in this run. */
  tolerated: Violation[];
  /** What each command did, for the failure report. */
  log: string[];
}

export class ModelViolation extends Error {
  constructor(
    readonly violations: Violation[],
    story: string,
  ) {
    super(`${violations.map((v) => `[${v.tag}] ${v.text}`).join('\n')}\n--- what the stack holds ---\n${story}`);
    this.name = 'ModelViolation';
  }
}

/** Splits violations into tolerated (open known bugs) and the rest, which fail the run. */
export async function judge(real: Real, violations: Violation[]): Promise<void> {
  const failing = violations.filter((v) => !tolerated(v.tag));
  real.tolerated.push(...violations.filter((v) => tolerated(v.tag)));
  if (failing.length > 0) throw new ModelViolation(failing, `${real.log.join('\n')}\n${await real.auditor.story()}`);
}

abstract class PipelineCommand implements fc.AsyncCommand<ModelState, Real> {
  check(_model: Readonly<ModelState>): boolean {
    return true;
  }
  abstract act(model: ModelState, real: Real): Promise<string | void>;
  async run(model: ModelState, real: Real): Promise<void> {
    const outcome = await this.act(model, real);
    real.log.push(`  ${this.toString()}${outcome ? ` -> ${outcome}` : ''}`);
    await real.h.settle();
    if (process.env.MODEL_DEBUG) console.log(`${this.toString()}\n${await real.auditor.story()}`);
    await judge(real, await real.auditor.step());
  }
  abstract toString(): string;
}

export class StartCommand extends PipelineCommand {
  constructor(readonly spec: StartSpec) {
    super();
  }
  async act(model: ModelState, real: Real): Promise<string> {
    model.executions++;
    const facts = await real.h.startExecution(this.spec);
    return facts.name;
  }
  toString(): string {
    return `start(${describeKind(this.spec.kind)}${this.spec.nameStyle === 'plain' ? '' : `, ${this.spec.nameStyle} name`}${describeFates(this.spec.fates)})`;
  }
}

/** The clock moves on, timer by timer; with `outage` the worker is down meanwhile and messages wait. */
export class ClockCommand extends PipelineCommand {
  constructor(
    readonly ms: number,
    readonly outage: boolean,
  ) {
    super();
  }
  async act(_model: ModelState, real: Real): Promise<void> {
    await (this.outage ? real.h.outage(this.ms) : real.h.advance(this.ms));
  }
  toString(): string {
    return `${this.outage ? 'workerOutage' : 'advance'}(${formatMs(this.ms)})`;
  }
}

export class SweepCommand extends PipelineCommand {
  async act(_model: ModelState, real: Real): Promise<string> {
    const report = await real.h.sweep();
    if (report.error) return `threw ${report.error}`;
    return `handed over ${report.missed.length}, window closing ${report.windowClosing.length}`;
  }
  toString(): string {
    return 'sweep()';
  }
}

export class CrashCommand extends PipelineCommand {
  constructor(
    readonly point: CrashPoint,
    readonly times: number,
  ) {
    super();
  }
  async act(_model: ModelState, real: Real): Promise<void> {
    real.h.armCrash(this.point, this.times);
  }
  toString(): string {
    return `crashWorker(${this.times}× ${CRASH_POINT_TEXT[this.point]})`;
  }
}

export class OperatorCommand extends PipelineCommand {
  constructor(
    readonly includeRedriven: boolean,
    readonly alongsideMs: number,
    /** `restart --target T` instead of `redrive`. */
    readonly restartTarget?: string,
  ) {
    super();
  }
  async act(_model: ModelState, real: Real): Promise<string> {
    const run = await real.h.operator({ includeRedriven: this.includeRedriven, alongsideMs: this.alongsideMs, restartTarget: this.restartTarget });
    const summary = /"run":\{"processed":(\d+),"redriven":(\d+)/.exec(run.stdout);
    const restarted = /"restarted":(\d+)/.exec(run.stdout);
    return `exit ${run.code}${summary ? `, processed ${summary[1]}, redrove ${summary[2]}` : ''}${restarted ? `, restarted ${restarted[1]}` : ''}`;
  }
  toString(): string {
    const selection = `${this.includeRedriven ? 'default selection' : '--not-redriven-only'}${this.alongsideMs ? `, clock moves ${formatMs(this.alongsideMs)} meanwhile` : ''}`;
    return this.restartTarget === undefined ? `operatorBulkRedrive(${selection})` : `operatorRestart(--target ${this.restartTarget}, ${selection})`;
  }
}

/** People decide a pending approval: Slack clicks and CLI runs, duplicated, concurrent, stale or for an unknown execution. */
export class ApprovalCommand extends PipelineCommand {
  constructor(
    readonly target: 'pending' | 'any' | 'unknown',
    readonly pick: number,
    readonly verdict: 'APPROVED' | 'REJECTED',
    readonly clicks: Array<{ via: 'slack' | 'cli'; by: number }>,
    readonly concurrent: boolean,
    readonly generationShift: number,
  ) {
    super();
  }
  async act(_model: ModelState, real: Real): Promise<string> {
    return real.h.approve(this);
  }
  toString(): string {
    const who = this.clicks.map((c) => `${c.via} ${c.by}`).join(' + ');
    return `${this.verdict === 'APPROVED' ? 'approve' : 'reject'}(${this.target === 'unknown' ? 'an execution never started' : `${this.target === 'pending' ? 'pending approval' : 'execution'} #${this.pick}`}${this.generationShift ? ', an older generation' : ''}: ${who}${this.clicks.length > 1 ? (this.concurrent ? ' at once' : ' one after the other') : ''})`;
  }
}

/** A command on execution #pick of those the run knows (modulo their number). */
abstract class PickedExecutionCommand extends PipelineCommand {
  constructor(readonly pick: number) {
    super();
  }
  check(model: Readonly<ModelState>): boolean {
    return model.executions > 0;
  }
}

/** EventBridge delivers a status event once more, late (a restarted original's or a restart's included). */
export class LateEventCommand extends PickedExecutionCommand {
  async act(_model: ModelState, real: Real): Promise<string> {
    return real.h.lateEvent(this.pick);
  }
  toString(): string {
    return `lateEvent(execution #${this.pick})`;
  }
}

export class ConsoleRedriveCommand extends PickedExecutionCommand {
  async act(_model: ModelState, real: Real): Promise<string> {
    return real.h.consoleRedrive(this.pick);
  }
  toString(): string {
    return `consoleRedrive(execution #${this.pick})`;
  }
}

const approvalArbitrary: fc.Arbitrary<fc.AsyncCommand<ModelState, Real>> = fc
  .record({
    target: fc.oneof({ weight: 6, arbitrary: fc.constant('pending' as const) }, { weight: 2, arbitrary: fc.constant('any' as const) }, { weight: 1, arbitrary: fc.constant('unknown' as const) }),
    pick: fc.nat({ max: 20 }),
    verdict: fc.oneof({ weight: 3, arbitrary: fc.constant('APPROVED' as const) }, { weight: 1, arbitrary: fc.constant('REJECTED' as const) }),
    clicks: fc.array(fc.record({ via: fc.constantFrom('slack' as const, 'cli' as const), by: fc.nat({ max: 1 }) }), { minLength: 1, maxLength: 2 }),
    concurrent: fc.boolean(),
    generationShift: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(-1) }),
  })
  .map(({ target, pick, verdict, clicks, concurrent, generationShift }) => new ApprovalCommand(target, pick, verdict, clicks, concurrent, generationShift));

export const commandArbitraries: Array<fc.Arbitrary<fc.AsyncCommand<ModelState, Real>>> = [
  startArbitrary.map((spec) => new StartCommand(spec)),
  startArbitrary.map((spec) => new StartCommand(spec)),
  startArbitrary.map((spec) => new StartCommand(spec)),
  jumpArbitrary.map((ms) => new ClockCommand(ms, false)),
  jumpArbitrary.map((ms) => new ClockCommand(ms, false)),
  jumpArbitrary.map((ms) => new ClockCommand(ms, true)),
  fc.constant(new SweepCommand()),
  fc.constant(new SweepCommand()),
  fc.record({ point: fc.constantFrom(...ENABLED_CRASH_POINTS), times: fc.integer({ min: 1, max: 3 }) }).map(({ point, times }) => new CrashCommand(point, times)),
  fc.record({ includeRedriven: fc.boolean(), alongsideMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120 }).map((s) => s * 1000)) }).map(
    ({ includeRedriven, alongsideMs }) => new OperatorCommand(includeRedriven, alongsideMs),
  ),
  ...(FLAGS.consoleRedrive ? [fc.nat({ max: 20 }).map((pick) => new ConsoleRedriveCommand(pick))] : []),
  approvalArbitrary,
  approvalArbitrary,
  fc.record({ includeRedriven: fc.boolean(), target: fc.constantFrom(...RESTART_TARGETS) }).map(({ includeRedriven, target }) => new OperatorCommand(includeRedriven, 0, target)),
  fc.nat({ max: 20 }).map((pick) => new LateEventCommand(pick)),
];

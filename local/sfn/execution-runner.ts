/**
 * Drives executions: runs the interpreter for a RUNNING execution (fresh or redriven), closes it with
 * the right status, history event and status-change event, and enforces the execution TimeoutSeconds.
 * Keeps count of runnable and sleeping work so waitForIdle can tell when nothing is left to do.
 */
import type { StackClock } from '../clock';
import { Cancellation, RunCancelled } from './asl/cancellation';
import { Interpreter, type ExecutionContext, type RunHost } from './asl/interpreter';
import type { ScopeRun } from './asl/scope-run';
import { NOT_TRUNCATED } from './history';
import type { MapRunLauncher, MapRuns } from './map-runs';
import type { Random } from './rng';
import type { StatusNotifier } from './status-events';
import type { EmulatorStore, ExecutionRecord, ExecutionStatus } from './store';
import type { TaskInvoker } from './task-invoker';

export type ClosedStatus = Exclude<ExecutionStatus, 'RUNNING' | 'PENDING_REDRIVE'>;

/** The history event that closes an execution in each final status. */
export const CLOSE_EVENT: Record<ClosedStatus, string> = {
  SUCCEEDED: 'ExecutionSucceeded',
  FAILED: 'ExecutionFailed',
  ABORTED: 'ExecutionAborted',
  TIMED_OUT: 'ExecutionTimedOut',
};

export class ExecutionRunner {
  /** Runs doing work right now (not waiting on the stack clock). */
  busy = 0;
  /** Runs waiting on the stack clock (Wait states, retry intervals). */
  sleeping = 0;
  private readonly generations = new WeakMap<ExecutionRecord, number>();
  /** Set once the emulator is assembled: Map Runs start executions through this runner in turn. */
  mapRuns?: MapRuns;

  constructor(
    private readonly clock: StackClock,
    private readonly random: Random,
    private readonly store: EmulatorStore,
    private readonly invoker: TaskInvoker,
    private readonly notifier: StatusNotifier,
  ) {}

  /** Runs a RUNNING execution from the start, or from `resume` (what its last run left behind). */
  launch(execution: ExecutionRecord, resume?: ScopeRun): void {
    const generation = (this.generations.get(execution) ?? 0) + 1;
    this.generations.set(execution, generation);
    const isCurrent = () => this.generations.get(execution) === generation && execution.status === 'RUNNING';
    const cancellation = new Cancellation();
    const definition = execution.revision.definition;
    const stopTimeout = definition.TimeoutSeconds
      ? this.clock.setTimer(this.clock.nowMs() + definition.TimeoutSeconds * 1000, () =>
          execution.abortRun?.('TIMED_OUT', 'States.Timeout', `Execution timed out after ${definition.TimeoutSeconds} seconds`),
        )
      : undefined;
    execution.abortRun = (status, error, cause) => {
      this.close(execution, status, { error, cause });
      cancellation.cancel();
    };
    const interpreter = new Interpreter(this.hostFor(execution, isCurrent), this.contextOf(execution));
    this.busy++;
    setImmediate(async () => {
      try {
        // On AWS the first state's entered event names no previous event (0), like ExecutionStarted.
        const lastEventId = resume ? execution.history.length : 0;
        const run = await interpreter.runScope(definition, JSON.parse(execution.input), cancellation, lastEventId, resume);
        if (this.generations.get(execution) !== generation) return;
        execution.lastRun = run;
        if (!isCurrent()) return;
        if (run.status === 'SUCCEEDED') this.close(execution, 'SUCCEEDED', { output: JSON.stringify(run.output) ?? 'null' });
        else this.close(execution, 'FAILED', { error: run.error, cause: run.cause });
      } finally {
        this.busy--;
        stopTimeout?.();
      }
    });
  }

  /** Closes a RUNNING execution: status, stop date, closing history event, status-change event. */
  close(execution: ExecutionRecord, status: ClosedStatus, fields: { output?: string; error?: string; cause?: string }): void {
    if (execution.status !== 'RUNNING') return;
    const nowMs = this.clock.nowMs();
    execution.status = status;
    execution.stopDateMs = nowMs;
    execution.output = fields.output;
    execution.error = fields.error || undefined;
    execution.cause = fields.cause || undefined;
    execution.abortRun = undefined;
    const details =
      status === 'SUCCEEDED'
        ? { output: fields.output, outputDetails: NOT_TRUNCATED }
        : { ...(execution.error !== undefined && { error: execution.error }), ...(execution.cause !== undefined && { cause: execution.cause }) };
    execution.history.append(CLOSE_EVENT[status], nowMs, details);
    this.store.markClosed(execution);
    this.notifier.emit(execution);
    execution.onClose?.(execution);
  }

  private hostFor(execution: ExecutionRecord, isCurrent: () => boolean): RunHost {
    return {
      clock: this.clock,
      random: this.random,
      record: (type, details, previousEventId) =>
        isCurrent() ? execution.history.append(type, this.clock.nowMs(), details, previousEventId).id : previousEventId,
      invokeTask: (task) => this.invoker.invoke(execution, task),
      sleepUntil: (dueMs, cancellation) => this.sleepUntil(dueMs, cancellation),
      mapRuns: this.awaitingChildren(this.mapRuns!.launcherFor(execution)),
    };
  }

  /** A parent waiting on its Map Run is not busy: its children count instead, so waitForIdle can settle. */
  private awaitingChildren(launcher: MapRunLauncher): MapRunLauncher {
    const notBusy = (started: ReturnType<MapRunLauncher['start']>) => ({ ...started, done: this.whileWaiting(started.done) });
    return { start: (spec, cancellation) => notBusy(launcher.start(spec, cancellation)), redrive: (arn, cancellation) => notBusy(launcher.redrive(arn, cancellation)) };
  }

  private async whileWaiting<T>(promise: Promise<T>): Promise<T> {
    this.busy--;
    try {
      return await promise;
    } finally {
      this.busy++;
    }
  }

  private async sleepUntil(dueMs: number, cancellation: Cancellation): Promise<void> {
    this.busy--;
    this.sleeping++;
    try {
      await new Promise<void>((resolve, reject) => {
        let unsubscribe = () => {};
        const cancelTimer = this.clock.setTimer(dueMs, () => {
          unsubscribe();
          resolve();
        });
        unsubscribe = cancellation.onCancel(() => {
          cancelTimer();
          reject(new RunCancelled());
        });
      });
    } finally {
      this.sleeping--;
      this.busy++;
    }
  }

  private contextOf(execution: ExecutionRecord): ExecutionContext {
    return {
      Execution: {
        Id: execution.arn,
        Name: execution.name,
        StartTime: new Date(execution.startDateMs).toISOString(),
        Input: JSON.parse(execution.input),
        RoleArn: execution.revision.roleArn,
        RedriveCount: execution.redriveCount,
        ...(execution.redriveDateMs !== undefined && { RedriveTime: new Date(execution.redriveDateMs).toISOString() }),
      },
      StateMachine: { Id: execution.stateMachine.arn, Name: execution.stateMachine.name },
    };
  }
}

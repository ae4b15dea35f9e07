/**
 * Drives executions: runs the interpreter for a RUNNING execution (fresh or redriven), closes it with
 * the right status, history event and status-change event, and enforces the execution TimeoutSeconds.
 * Keeps count of runnable and sleeping work so waitForIdle can tell when nothing is left to do.
 */
import type { StackClock } from '../clock';
import { Cancellation, RunCancelled } from './asl/cancellation';
import { HEARTBEAT_TIMEOUT, Interpreter, type ExecutionContext, type RunHost } from './asl/interpreter';
import { StatesError } from './asl/states-error';
import type { CallbackAnswer, CallbackRegistry } from './callbacks';
import type { ScopeRun } from './asl/scope-run';
import { NOT_TRUNCATED } from './history';
import { MAX_EXECUTION_TIME_MS } from './redrive-rules';
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

/** Express executions may run five minutes (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). */
const MAX_EXPRESS_EXECUTION_TIME_MS = 5 * 60 * 1000;

/**
 * When a run launched at `nowMs` times out: the definition's TimeoutSeconds from this (re)start, or the
 * execution's maximum duration from its start date (one year for Standard, five minutes for Express),
 * whichever comes first. "If an execution runs for more than the 1-year maximum, it will fail with a
 * States.Timeout error and emit an ExecutionsTimedOut CloudWatch metric" (service quotas page above).
 */
export function timeoutDueMs(execution: ExecutionRecord, nowMs: number): number {
  const { TimeoutSeconds } = execution.revision.definition;
  const maximumMs = execution.startDateMs + (execution.type === 'EXPRESS' ? MAX_EXPRESS_EXECUTION_TIME_MS : MAX_EXECUTION_TIME_MS);
  return TimeoutSeconds ? Math.min(nowMs + TimeoutSeconds * 1000, maximumMs) : maximumMs;
}

/** The error an execution's own TimeoutSeconds records in its ExecutionTimedOut event (and nowhere else). */
const EXECUTION_TIMEOUT_ERROR = 'States.Timeout';

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
    private readonly callbacks: CallbackRegistry,
  ) {}

  /** Runs a RUNNING execution from the start, or from `resume` (what its last run left behind). */
  launch(execution: ExecutionRecord, resume?: ScopeRun): void {
    const generation = (this.generations.get(execution) ?? 0) + 1;
    this.generations.set(execution, generation);
    const isCurrent = () => this.generations.get(execution) === generation && execution.status === 'RUNNING';
    const cancellation = new Cancellation();
    const definition = execution.revision.definition;
    // AWS's DescribeExecution of a TIMED_OUT execution carries no error and no cause (recorded by
    // LocalStack's AWS-validated test_global_timeout); its ExecutionTimedOut event carries States.Timeout
    // (close(); a DescribeExecution and history recorded on AWS, quoted in floci-io/floci#2733).
    const stopTimeout = this.clock.setTimer(timeoutDueMs(execution, this.clock.nowMs()), () => execution.abortRun?.('TIMED_OUT'));
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
        stopTimeout();
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
    const error = execution.error ?? (status === 'TIMED_OUT' ? EXECUTION_TIMEOUT_ERROR : undefined);
    const details =
      status === 'SUCCEEDED'
        ? { output: fields.output, outputDetails: NOT_TRUNCATED }
        : { ...(error !== undefined && { error }), ...(execution.cause !== undefined && { cause: execution.cause }) };
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
      issueTaskToken: () => this.callbacks.issue(execution.arn),
      awaitCallback: (token, heartbeatSeconds, cancellation) => this.awaitCallback(token, heartbeatSeconds, cancellation),
      closeTaskToken: (token) => this.callbacks.close(token),
      concurrently: (strands) => this.concurrently(strands),
      mapRuns: this.awaitingChildren(this.mapRuns!.launcherFor(execution)),
    };
  }

  /**
   * SendTaskHeartbeat restarts the heartbeat timer; it never extends the task's TimeoutSeconds
   * (API_SendTaskHeartbeat). A run waiting for an answer is not busy, on either clock: only an API call
   * or a mocked callback can move it, so waitForIdle must not wait for it.
   */
  private async awaitCallback(token: string, heartbeatSeconds: number | undefined, cancellation: Cancellation): Promise<unknown> {
    this.busy--;
    try {
      return await new Promise<unknown>((resolve, reject) => {
        let stopHeartbeatTimer: (() => void) | undefined;
        const armHeartbeatTimer = () => {
          stopHeartbeatTimer?.();
          stopHeartbeatTimer = heartbeatSeconds
            ? this.clock.setTimer(this.clock.nowMs() + heartbeatSeconds * 1000, () => settle(() => reject(new StatesError(HEARTBEAT_TIMEOUT, ''))))
            : undefined;
        };
        let unsubscribe = () => {};
        const settle = (finish: () => void) => {
          stopHeartbeatTimer?.();
          unsubscribe();
          this.callbacks.close(token);
          finish();
        };
        armHeartbeatTimer();
        unsubscribe = cancellation.onCancel(() => settle(() => reject(new RunCancelled())));
        this.callbacks.listen(token, (answer: CallbackAnswer) => {
          if (answer.kind === 'heartbeat') armHeartbeatTimer();
          else if (answer.kind === 'success') settle(() => resolve(answer.output));
          else settle(() => reject(new StatesError(answer.error, answer.cause)));
        });
      });
    } finally {
      this.busy++;
    }
  }

  /**
   * While strands run side by side, the strand that started them only waits: it stops counting as busy
   * and each strand counts instead, so two branches asleep on the clock leave nothing busy.
   */
  private async concurrently<T>(strands: Array<() => Promise<T>>): Promise<T[]> {
    this.busy += strands.length - 1;
    const settled = await Promise.allSettled(
      strands.map(async (strand) => {
        try {
          return await strand();
        } finally {
          this.busy--;
        }
      }),
    );
    this.busy++;
    return settled.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    });
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

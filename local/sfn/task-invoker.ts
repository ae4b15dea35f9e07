/**
 * Runs Task states without AWS: a mocked response of the execution's test case, else a local JS handler
 * (by state name, resource ARN, or Lambda FunctionName). A handler's thrown error name/message become
 * the task's Error/Cause. For a `.waitForTaskToken` task the handler's result is the integration's own
 * response; the task's result comes later, from whoever answers the token.
 */
import type { StackClock } from '../clock';
import type { TaskInvocation } from './asl/interpreter';
import { runtimeError, StatesError } from './asl/states-error';
import type { CallbackAnswer, CallbackRegistry } from './callbacks';
import { SfnApiError } from './errors';
import { playStep, throwOf, type MockedStep, type MockResponses } from './mock-config';
import type { ExecutionRecord } from './store';

export interface TaskHandlerContext {
  executionArn: string;
  executionName: string;
  stateName: string;
  resource: string;
  redriveCount: number;
  /** The `$$` context object as the state sees it. */
  contextObject: Record<string, unknown>;
}

export type TaskHandler = (input: unknown, context: TaskHandlerContext) => Promise<unknown>;

const LAMBDA_INVOKE = /^arn:[^:]+:states:::lambda:invoke(?:\.waitForTaskToken)?$/;

export class TaskInvoker {
  constructor(
    private readonly mocks: MockResponses,
    private readonly handlers: Record<string, TaskHandler>,
    private readonly clock: StackClock,
    private readonly callbacks: CallbackRegistry,
  ) {}

  async invoke(execution: ExecutionRecord, task: TaskInvocation): Promise<unknown> {
    const { stateName, resource, parameters } = task;
    const responseName = execution.testCase
      ? this.mocks.responseNameFor(execution.stateMachine.name, execution.testCase, stateName)
      : undefined;
    if (responseName) {
      const invocation = execution.mockInvocations.get(stateName) ?? 0;
      execution.mockInvocations.set(stateName, invocation + 1);
      const step = this.mocks.stepFor(responseName, invocation);
      if (task.taskToken !== undefined) return this.playCallback(step, task.taskToken);
      if ('Callback' in step) {
        throw runtimeError(`Mocked response '${responseName}' is a Callback, but Task state '${stateName}' (resource ${resource}) does not wait for a task token`);
      }
      return playStep(step);
    }
    const functionName = LAMBDA_INVOKE.test(resource) ? (parameters as { FunctionName?: string } | null)?.FunctionName : undefined;
    const handler = this.handlers[stateName] ?? this.handlers[resource] ?? (functionName ? this.handlers[functionName] : undefined);
    if (!handler) {
      throw runtimeError(
        `No behaviour for Task state '${stateName}' (resource ${resource}): add a mocked response for test case ` +
          `'${execution.testCase ?? '(none)'}' or a task handler keyed by the state name or resource`,
      );
    }
    const handlerInput = functionName ? (parameters as { Payload?: unknown }).Payload : parameters;
    let result: unknown;
    try {
      result = await handler(handlerInput, {
        executionArn: execution.arn,
        executionName: execution.name,
        stateName,
        resource,
        redriveCount: execution.redriveCount,
        contextObject: task.context,
      });
    } catch (error) {
      if (error instanceof StatesError) throw error;
      const failure = error as { name?: string; message?: string };
      throw new StatesError(failure?.name ?? 'Error', failure?.message ?? String(error));
    }
    // The optimized Lambda integration wraps the function's result; mirror that so ResultSelector works.
    return functionName ? { ExecutedVersion: '$LATEST', Payload: result ?? null, StatusCode: 200 } : result;
  }

  /**
   * A mocked `.waitForTaskToken` task: Return answers the token at once (Step Functions Local's meaning
   * of a mocked callback task), Throw fails the integration call, and Callback sends its answers on the
   * stack clock through the same path as the SendTask* APIs.
   */
  private playCallback(step: MockedStep, token: string): unknown {
    if ('Throw' in step) throw throwOf(step.Throw);
    if ('Return' in step) {
      this.callbacks.answer(token, { kind: 'success', output: structuredClone(step.Return) });
      return {};
    }
    const { Submitted, Heartbeats = [], AfterSeconds, Return, Throw } = step.Callback;
    const submittedMs = this.clock.nowMs();
    const sendAt = (seconds: number, answer: CallbackAnswer) => {
      const cancel = this.clock.setTimer(submittedMs + seconds * 1000, () => {
        try {
          this.callbacks.answer(token, answer);
        } catch (error) {
          // A heartbeat after the answer came is refused (TaskTimedOut), as a late worker's call would be.
          if (!(error instanceof SfnApiError)) throw error;
        }
      });
      this.callbacks.onClose(token, cancel);
    };
    for (const seconds of Heartbeats) sendAt(seconds, { kind: 'heartbeat' });
    if (AfterSeconds !== undefined) {
      sendAt(AfterSeconds, Throw ? { kind: 'failure', error: Throw.Error, cause: Throw.Cause ?? '' } : { kind: 'success', output: structuredClone(Return) });
    }
    return structuredClone(Submitted ?? {});
  }
}

/**
 * Runs Task states without AWS: a mocked response of the execution's test case, else a local JS handler
 * (by state name, resource ARN, or Lambda FunctionName). A handler's thrown error name/message become
 * the task's Error/Cause.
 */
import type { TaskInvocation } from './asl/interpreter';
import { runtimeError, StatesError } from './asl/states-error';
import type { MockResponses } from './mock-config';
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

const LAMBDA_INVOKE = /^arn:[^:]+:states:::lambda:invoke$/;

export class TaskInvoker {
  constructor(
    private readonly mocks: MockResponses,
    private readonly handlers: Record<string, TaskHandler>,
  ) {}

  async invoke(execution: ExecutionRecord, task: TaskInvocation): Promise<unknown> {
    const { stateName, resource, parameters } = task;
    const responseName = execution.testCase
      ? this.mocks.responseNameFor(execution.stateMachine.name, execution.testCase, stateName)
      : undefined;
    if (responseName) {
      const invocation = execution.mockInvocations.get(stateName) ?? 0;
      execution.mockInvocations.set(stateName, invocation + 1);
      return this.mocks.play(responseName, invocation);
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
}

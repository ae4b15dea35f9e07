/** Records -> wire shapes. API timestamps are epoch seconds (fractional milliseconds), unlike events. */
import { detailsMemberFor, type HistoryEvent } from '../history';
import { redrivabilityOf } from '../redrive-rules';
import type { ExecutionRecord, StateMachineRecord } from '../store';

export const epochSeconds = (ms: number) => ms / 1000;

export function describeExecutionView(execution: ExecutionRecord, nowMs: number): Record<string, unknown> {
  return {
    ...executionListItemView(execution),
    input: execution.input,
    inputDetails: { included: true },
    output: execution.output,
    outputDetails: execution.output !== undefined ? { included: true } : undefined,
    error: execution.error,
    cause: execution.cause,
    ...redrivabilityOf(execution, nowMs),
  };
}

/** ListExecutions items; DescribeExecution adds data, error and redrivability to these. */
export function executionListItemView(execution: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: execution.arn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDateMs),
    stopDate: optionalSeconds(execution.stopDateMs),
    mapRunArn: execution.mapRunArn,
    stateMachineVersionArn: execution.stateMachineVersionArn,
    stateMachineAliasArn: execution.stateMachineAliasArn,
    redriveCount: execution.redriveCount,
    redriveDate: optionalSeconds(execution.redriveDateMs),
  };
}

const DATA_MEMBERS = ['input', 'output', 'parameters'];

export function historyEventView(event: HistoryEvent, includeExecutionData: boolean): Record<string, unknown> {
  let details = event.details;
  if (details && !includeExecutionData) {
    details = Object.fromEntries(Object.entries(details).filter(([key]) => !DATA_MEMBERS.includes(key)));
  }
  return {
    timestamp: epochSeconds(event.timestampMs),
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
    ...(details && { [detailsMemberFor(event.type)]: details }),
  };
}

export function stateMachineListItemView(stateMachine: StateMachineRecord): Record<string, unknown> {
  return {
    stateMachineArn: stateMachine.arn,
    name: stateMachine.name,
    type: stateMachine.type,
    creationDate: epochSeconds(stateMachine.creationDateMs),
  };
}

function optionalSeconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : epochSeconds(ms);
}

/**
 * The seedExecution test hook: creates closed (or open) executions directly in the store, cheaply.
 * History is synthetic: ExecutionStarted, a counted run of filler events, and the closing event.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorContext } from './context';
import { statesArnPrefix } from './api/lookup';
import { CLOSE_EVENT } from './execution-runner';
import { History, NOT_TRUNCATED } from './history';
import { currentRevision, type ExecutionRecord, type ExecutionStatus, type StateMachineType } from './store';

export interface SeedExecutionOptions {
  stateMachineArn: string;
  name?: string;
  status: ExecutionStatus;
  startDateMs: number;
  /** Required for closed statuses. */
  stopDateMs?: number;
  /** Total events in the history, closing event included. @default 1 open, 2 closed */
  historyEventCount?: number;
  input?: string;
  error?: string;
  cause?: string;
  redriveCount?: number;
  /** Makes the execution a Distributed Map child: `arn:aws:states:<region>:<account>:mapRun:<parent>/<label>:<id>`. */
  mapRunArn?: string;
  /** @default the state machine's type */
  type?: StateMachineType;
}

export function seedExecution(ctx: EmulatorContext, options: SeedExecutionOptions): ExecutionRecord {
  const stateMachine = ctx.store.stateMachines.get(options.stateMachineArn);
  if (!stateMachine) throw new Error(`seedExecution: no state machine ${options.stateMachineArn}`);
  const seq = ctx.store.takeSeq();
  const name = options.name ?? `seeded-${seq}`;
  const type = options.type ?? stateMachine.type;
  const label = options.mapRunArn ? mapRunLabel(options.mapRunArn) : undefined;
  const machinePart = label ? `${stateMachine.name}/${label}` : stateMachine.name;
  const prefix = statesArnPrefix(ctx);
  const arn = type === 'EXPRESS' ? `${prefix}:express:${machinePart}:${name}:${randomUUID()}` : `${prefix}:execution:${machinePart}:${name}`;
  if (ctx.store.executions.has(arn)) throw new Error(`seedExecution: ${arn} already exists`);
  const closingEvent = (CLOSE_EVENT as Partial<Record<ExecutionStatus, string>>)[options.status];
  if (closingEvent && options.stopDateMs === undefined) throw new Error(`seedExecution: a ${options.status} execution needs stopDateMs`);
  const input = options.input ?? '{}';
  const history = new History();
  history.append('ExecutionStarted', options.startDateMs, { input, inputDetails: NOT_TRUNCATED, roleArn: stateMachine.roleArn });
  const minimum = closingEvent ? 2 : 1;
  history.appendFiller(Math.max(0, (options.historyEventCount ?? minimum) - minimum), options.startDateMs);
  if (closingEvent) {
    const details = options.status === 'SUCCEEDED' ? { output: '{}', outputDetails: NOT_TRUNCATED } : { error: options.error, cause: options.cause };
    history.append(closingEvent, options.stopDateMs!, details);
  }
  const execution: ExecutionRecord = {
    arn,
    name,
    stateMachine,
    revision: currentRevision(stateMachine),
    stateMachineArn: label ? `${stateMachine.arn}/${label}` : stateMachine.arn,
    type,
    status: options.status,
    startDateMs: options.startDateMs,
    stopDateMs: closingEvent ? options.stopDateMs : undefined,
    input,
    output: options.status === 'SUCCEEDED' ? '{}' : undefined,
    error: options.error,
    cause: options.cause,
    redriveCount: options.redriveCount ?? 0,
    mapRunArn: options.mapRunArn,
    history,
    seq,
    redriveTokens: [],
    mockInvocations: new Map(),
  };
  // A seeded open execution runs nothing, but StopExecution can still close it.
  if (options.status === 'RUNNING') execution.abortRun = (status, error, cause) => ctx.runner.close(execution, status, { error, cause });
  ctx.store.addExecution(execution);
  return execution;
}

function mapRunLabel(mapRunArn: string): string {
  const match = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:mapRun:[^/:]+\/([^:]+):[^:]+$/.exec(mapRunArn);
  if (!match) throw new Error(`seedExecution: ${mapRunArn} is not a Map Run ARN (…:mapRun:<parent>/<label>:<id>)`);
  return match[1];
}

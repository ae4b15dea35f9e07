/** StartExecution, DescribeExecution, StopExecution, ListExecutions. */
import { randomUUID } from 'node:crypto';
import type { EmulatorContext } from '../context';
import { apiErrors, SfnApiError } from '../errors';
import { History, NOT_TRUNCATED } from '../history';
import { exceedsPayloadQuota, MAX_PAYLOAD_BYTES } from '../payload-quota';
import { CLOSED_STATUSES, currentRevision, type ExecutionRecord, type ExecutionStatus } from '../store';
import { routeThroughAlias } from './versions';
import { checkOpenExecutionQuota, findExecution, MAP_RUN_ARN, resolveStateMachine, statesArnPrefix } from './lookup';
import { checkName, optionalEnum, optionalString, pageSize, requiredString, type ApiRequest } from './request';
import { describeExecutionView, epochSeconds, executionListItemView } from './views';

const STATUSES: readonly ExecutionStatus[] = ['RUNNING', ...CLOSED_STATUSES, 'PENDING_REDRIVE'];

export function startExecution(ctx: EmulatorContext, request: ApiRequest): unknown {
  const target = resolveStateMachine(ctx, requiredString(request, 'stateMachineArn', 2048), { allowTestCase: true });
  const { stateMachine, testCase } = target;
  // An alias picks one of its versions per execution; a version runs its own revision, a plain ARN the current one.
  const version = target.alias ? routeThroughAlias(stateMachine, target.alias) : target.version;
  const name = optionalString(request, 'name', 80) ?? randomUUID();
  const input = optionalString(request, 'input', Number.MAX_SAFE_INTEGER) ?? '{}';
  checkName(name);
  checkInput(input);
  if (stateMachine.status === 'DELETING') {
    throw new SfnApiError('StateMachineDeleting', `State machine is being deleted: '${stateMachine.arn}'`);
  }
  if (testCase !== undefined && !ctx.mocks.hasTestCase(stateMachine.name, testCase)) {
    throw apiErrors.validation(`Test case '${testCase}' is not defined for state machine '${stateMachine.name}' in the mock config`);
  }
  const standard = stateMachine.type === 'STANDARD';
  const resourcePrefix = statesArnPrefix(ctx);
  const arn = standard
    ? `${resourcePrefix}:execution:${stateMachine.name}:${name}`
    : `${resourcePrefix}:express:${stateMachine.name}:${name}:${randomUUID()}`;
  const existing = standard ? ctx.store.executions.get(arn) : undefined;
  if (existing) {
    // Same name and input on an open execution is idempotent; otherwise the name is taken (90 days in AWS).
    if (existing.status === 'RUNNING' && existing.input === input) {
      return { executionArn: existing.arn, startDate: epochSeconds(existing.startDateMs) };
    }
    throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
  }
  checkOpenExecutionQuota(ctx);
  const nowMs = ctx.clock.nowMs();
  const execution: ExecutionRecord = {
    arn,
    name,
    stateMachine,
    revision: version ?? currentRevision(stateMachine),
    stateMachineArn: stateMachine.arn,
    type: stateMachine.type,
    status: 'RUNNING',
    startDateMs: nowMs,
    input,
    redriveCount: 0,
    stateMachineVersionArn: version?.arn,
    stateMachineAliasArn: target.alias?.arn,
    testCase,
    history: new History(),
    seq: ctx.store.takeSeq(),
    redriveTokens: [],
    mockInvocations: new Map(),
  };
  execution.history.append('ExecutionStarted', nowMs, {
    input,
    inputDetails: NOT_TRUNCATED,
    roleArn: (version ?? stateMachine).roleArn,
    ...(target.alias && { stateMachineAliasArn: target.alias.arn }),
    ...(version && { stateMachineVersionArn: version.arn }),
  });
  ctx.store.addExecution(execution);
  ctx.notifier.emit(execution);
  ctx.runner.launch(execution);
  return { executionArn: arn, startDate: epochSeconds(nowMs) };
}

function checkInput(input: string): void {
  if (exceedsPayloadQuota(input)) {
    throw new SfnApiError('InvalidExecutionInput', `Execution input is larger than ${MAX_PAYLOAD_BYTES} bytes`);
  }
  try {
    JSON.parse(input);
  } catch (error) {
    throw new SfnApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(error as Error).message}'`);
  }
}

export function describeExecution(ctx: EmulatorContext, request: ApiRequest): unknown {
  const execution = findExecution(ctx, requiredString(request, 'executionArn'));
  return describeExecutionView(execution, ctx.clock.nowMs());
}

/** Stopping a closed execution changes nothing and returns its stop date. */
export function stopExecution(ctx: EmulatorContext, request: ApiRequest): unknown {
  const execution = findExecution(ctx, requiredString(request, 'executionArn'));
  const error = optionalString(request, 'error', 256);
  const cause = optionalString(request, 'cause', 32_768);
  execution.abortRun?.('ABORTED', error, cause);
  return { stopDate: epochSeconds(execution.stopDateMs ?? ctx.clock.nowMs()) };
}

interface ListPosition {
  startDateMs: number;
  seq: number;
}

export function listExecutions(ctx: EmulatorContext, request: ApiRequest): unknown {
  const stateMachineArn = optionalString(request, 'stateMachineArn', 256);
  const mapRunArn = optionalString(request, 'mapRunArn', 2000);
  const statusFilter = optionalEnum(request, 'statusFilter', STATUSES);
  const redriveFilter = optionalEnum(request, 'redriveFilter', ['REDRIVEN', 'NOT_REDRIVEN'] as const);
  const limit = pageSize(request);
  if ((stateMachineArn === undefined) === (mapRunArn === undefined)) {
    throw apiErrors.validation('Exactly one of stateMachineArn and mapRunArn must be provided');
  }
  if (statusFilter === 'PENDING_REDRIVE' && !mapRunArn) {
    throw apiErrors.validation('statusFilter PENDING_REDRIVE is only supported with mapRunArn');
  }
  let index;
  let versionArn: string | undefined;
  let aliasArn: string | undefined;
  if (stateMachineArn !== undefined) {
    const target = resolveStateMachine(ctx, stateMachineArn);
    if (target.stateMachine.type === 'EXPRESS') {
      throw new SfnApiError('StateMachineTypeNotSupported', 'This operation is not supported by EXPRESS state machines');
    }
    versionArn = target.versionArn;
    aliasArn = target.alias?.arn;
    index = ctx.store.byStateMachine.get(target.stateMachine.arn);
  } else {
    if (!MAP_RUN_ARN.test(mapRunArn!)) throw apiErrors.invalidArn(mapRunArn!);
    index = ctx.store.byMapRun.get(mapRunArn!);
    if (!index) throw apiErrors.resourceNotFound(mapRunArn!);
  }
  const scope = JSON.stringify(['ListExecutions', stateMachineArn, mapRunArn, statusFilter, redriveFilter]);
  const after = typeof request.nextToken === 'string' ? ctx.pageTokens.read<ListPosition>(request.nextToken, scope) : undefined;
  const { page, more } = index
    ? index.pageNewestFirst(after, limit, (execution) =>
        (statusFilter === undefined || execution.status === statusFilter) &&
        (redriveFilter === undefined || (execution.redriveCount > 0) === (redriveFilter === 'REDRIVEN')) &&
        (versionArn === undefined || execution.stateMachineVersionArn === versionArn) &&
        (aliasArn === undefined || execution.stateMachineAliasArn === aliasArn),
      )
    : { page: [], more: false };
  const last = page[page.length - 1];
  return {
    executions: page.map(executionListItemView),
    ...(more && { nextToken: ctx.pageTokens.issue(scope, { startDateMs: last.startDateMs, seq: last.seq }) }),
  };
}

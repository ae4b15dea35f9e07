/**
 * The path of every API call: statistics, injected latency and faults, throttling, then the operation.
 */
import { createStateMachine, deleteStateMachine, describeStateMachine, listStateMachines, listTagsForResource, tagResource, untagResource } from './api/state-machines';
import { describeExecution, listExecutions, startExecution, stopExecution } from './api/executions';
import { getExecutionHistory } from './api/history';
import { describeMapRun, listMapRuns, updateMapRun } from './api/map-runs';
import { redriveExecution } from './api/redrive';
import {
  createStateMachineAlias,
  deleteStateMachineAlias,
  deleteStateMachineVersion,
  describeStateMachineAlias,
  listStateMachineAliases,
  listStateMachineVersions,
  publishStateMachineVersion,
  updateStateMachine,
  updateStateMachineAlias,
} from './api/versions';
import { sendTaskFailure, sendTaskHeartbeat, sendTaskSuccess } from './api/task-callbacks';
import type { ApiRequest } from './api/request';
import type { EmulatorContext } from './context';
import { SfnApiError } from './errors';
import type { FaultInjector } from './faults';
import type { Throttler } from './throttling';

type Operation = (ctx: EmulatorContext, request: ApiRequest) => unknown;

const OPERATIONS: Record<string, Operation> = {
  CreateStateMachine: createStateMachine,
  DescribeStateMachine: describeStateMachine,
  ListStateMachines: listStateMachines,
  DeleteStateMachine: deleteStateMachine,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
  StartExecution: startExecution,
  DescribeExecution: describeExecution,
  StopExecution: stopExecution,
  ListExecutions: listExecutions,
  GetExecutionHistory: getExecutionHistory,
  RedriveExecution: redriveExecution,
  UpdateStateMachine: updateStateMachine,
  PublishStateMachineVersion: publishStateMachineVersion,
  ListStateMachineVersions: listStateMachineVersions,
  DeleteStateMachineVersion: deleteStateMachineVersion,
  CreateStateMachineAlias: createStateMachineAlias,
  DescribeStateMachineAlias: describeStateMachineAlias,
  UpdateStateMachineAlias: updateStateMachineAlias,
  DeleteStateMachineAlias: deleteStateMachineAlias,
  ListStateMachineAliases: listStateMachineAliases,
  SendTaskSuccess: sendTaskSuccess,
  SendTaskFailure: sendTaskFailure,
  SendTaskHeartbeat: sendTaskHeartbeat,
  DescribeMapRun: describeMapRun,
  ListMapRuns: listMapRuns,
  UpdateMapRun: updateMapRun,
};

export interface ApiStats {
  calls: number;
  throttled: number;
  faulted: number;
  /** Calls answered with any error, injected ones included. */
  errors: number;
}

export class Gateway {
  readonly stats = new Map<string, ApiStats>();

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly faults: FaultInjector,
    private readonly throttler: Throttler | undefined,
  ) {}

  readonly handle = async (operation: string, request: ApiRequest): Promise<unknown> => {
    const impl = OPERATIONS[operation];
    if (!impl) throw new SfnApiError('UnknownOperationException', `The emulator does not implement ${operation}`);
    const stats = this.statsFor(operation);
    stats.calls++;
    try {
      if (this.faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.faults.latencyMs));
      const fault = this.faults.faultFor(operation);
      if (fault) {
        stats.faulted++;
        throw fault;
      }
      if (this.throttler && !this.throttler.tryTake(this.bucketFor(operation, request))) {
        stats.throttled++;
        throw new SfnApiError('ThrottlingException', 'Rate exceeded');
      }
      return impl(this.ctx, request);
    } catch (error) {
      stats.errors++;
      throw error;
    }
  };

  /** Express StartExecution has its own, much larger bucket. */
  private bucketFor(operation: string, request: ApiRequest): string {
    if (operation !== 'StartExecution' || typeof request.stateMachineArn !== 'string') return operation;
    const baseArn = request.stateMachineArn.split('#')[0].split(':').slice(0, 7).join(':');
    return this.ctx.store.stateMachines.get(baseArn)?.type === 'EXPRESS' ? 'StartExecution.Express' : operation;
  }

  private statsFor(operation: string): ApiStats {
    let stats = this.stats.get(operation);
    if (!stats) this.stats.set(operation, (stats = { calls: 0, throttled: 0, faulted: 0, errors: 0 }));
    return stats;
  }
}

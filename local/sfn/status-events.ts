/**
 * EventBridge "Step Functions Execution Status Change" events, shaped like AWS's (dates in epoch
 * milliseconds), delivered asynchronously so they never run inside an API call's response path.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock';
import { STATUS_CHANGE_DETAIL_TYPE, STATUS_CHANGE_SOURCE } from '../../core/event-pattern';
import type { FaultInjector } from './faults';
import { redrivabilityOf, type RedriveStatus } from './redrive-rules';
import type { ExecutionRecord, ExecutionStatus } from './store';

export interface StatusChangeDetail {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate: number | null;
  input: string;
  inputDetails: { included: boolean };
  output: string | null;
  outputDetails: { included: boolean } | null;
  stateMachineVersionArn: string | null;
  stateMachineAliasArn: string | null;
  redriveCount: number;
  redriveDate: number | null;
  redriveStatus: RedriveStatus;
  redriveStatusReason: string | null;
  error: string | null;
  cause: string | null;
}

export interface StatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': typeof STATUS_CHANGE_DETAIL_TYPE;
  source: typeof STATUS_CHANGE_SOURCE;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: StatusChangeDetail;
}

export class StatusNotifier {
  private pendingDeliveries = 0;
  emitted = 0;
  dropped = 0;

  constructor(
    private readonly clock: Clock,
    private readonly account: string,
    private readonly region: string,
    private readonly faults: FaultInjector,
    private readonly deliver?: (event: StatusChangeEvent) => void,
  ) {}

  get pending(): number {
    return this.pendingDeliveries;
  }

  /** Snapshots the execution now and delivers the event on a later tick. Express executions emit none. */
  emit(execution: ExecutionRecord): void {
    if (execution.type !== 'STANDARD' || !this.deliver) return;
    const event = this.build(execution);
    const deliver = this.deliver;
    this.pendingDeliveries++;
    setImmediate(() => {
      this.pendingDeliveries--;
      if (this.faults.shouldDrop(event)) {
        this.dropped++;
        return;
      }
      this.emitted++;
      try {
        deliver(event);
      } catch (error) {
        // A consumer bug must not break the emulator; surface it on stderr instead.
        console.error('sfn emulator: onStatusChange threw', error);
      }
    });
  }

  private build(execution: ExecutionRecord): StatusChangeEvent {
    const nowMs = this.clock.nowMs();
    const { redriveStatus, redriveStatusReason } = redrivabilityOf(execution, nowMs);
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': STATUS_CHANGE_DETAIL_TYPE,
      source: STATUS_CHANGE_SOURCE,
      account: this.account,
      time: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [execution.arn],
      detail: {
        executionArn: execution.arn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDateMs,
        stopDate: execution.stopDateMs ?? null,
        input: execution.input,
        inputDetails: { included: true },
        output: execution.output ?? null,
        outputDetails: execution.output !== undefined ? { included: true } : null,
        stateMachineVersionArn: execution.stateMachineVersionArn ?? null,
        stateMachineAliasArn: execution.stateMachineAliasArn ?? null,
        redriveCount: execution.redriveCount,
        redriveDate: execution.redriveDateMs ?? null,
        redriveStatus,
        redriveStatusReason: redriveStatusReason ?? null,
        error: execution.error ?? null,
        cause: execution.cause ?? null,
      },
    };
  }
}

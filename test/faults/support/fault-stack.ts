/**
 * A small local stack for one fault case: a one-Task Standard state machine whose Task fails the way a
 * test case says, the real worker and notifier, DynamoDB Local and a VirtualClock.
 */
import { CreateStateMachineCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { AutoRedriveConfigInput } from '../../../core/config';
import { VirtualClock } from '../../../local/clock';
import { LocalStack, LOCAL_NAMES, type LocalStackOptions } from '../../../local/stack';

export const STATE_MACHINE_NAME = 'orders-fulfil';
export const FAULT_START_MS = Date.UTC(2026, 10, 24, 9, 0, 0);

const ONE_TASK_FLOW = {
  StartAt: 'Charge',
  States: { Charge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'order.$': '$.order' }, End: true } },
};

/** How the Task behaves in each test case (the emulator's mock counters carry across redrives). */
export type FailureKind = 'Transient' | 'Permanent' | 'NonRetryable';

const MOCKS = {
  StateMachines: {
    [STATE_MACHINE_NAME]: {
      TestCases: { Transient: { Charge: 'FailsOnce' }, Permanent: { Charge: 'AlwaysFails' }, NonRetryable: { Charge: 'Declined' } },
    },
  },
  MockedResponses: {
    FailsOnce: { '0': { Throw: { Error: 'PaymentGatewayTimeout', Cause: 'gateway took 30 s' } }, '1': { Return: { Payload: { paid: true } } } },
    AlwaysFails: { '0': { Throw: { Error: 'PaymentGatewayTimeout', Cause: 'gateway is down' } } },
    Declined: { '0': { Throw: { Error: 'CardDeclined', Cause: 'card declined' } } },
  },
};

/** Small attempts and a one-minute backoff, so a case runs in a few virtual minutes. */
export const FAULT_CONFIG: AutoRedriveConfigInput = {
  watch: { stateMachineNamePrefixes: ['orders-'] },
  maxAttempts: 2,
  backoff: { initialDelaySeconds: 60, multiplier: 2, maxDelaySeconds: 600, jitter: 'none' },
  errorPolicy: { neverRetry: ['CardDeclined'] },
  alerts: { slackWebhookSecretName: LOCAL_NAMES.slackSecret, notifyOnNonRetryableSkip: true },
};

export interface FaultStack {
  stack: LocalStack;
  clock: VirtualClock;
  /** Starts `count` executions of one kind; names are `<prefix>-<i>`. Returns their ARNs. */
  startExecutions(kind: FailureKind, count: number, prefix?: string): Promise<string[]>;
}

export async function startFaultStack(overrides: { config?: AutoRedriveConfigInput } & Partial<Omit<LocalStackOptions, 'config' | 'clock'>> = {}): Promise<FaultStack> {
  const clock = new VirtualClock({ startMs: FAULT_START_MS });
  const { config, ...options } = overrides;
  const stack = await LocalStack.start({ clock, mockConfig: MOCKS, slackBatchingWindowSeconds: 1, ...options, config: { ...FAULT_CONFIG, ...config } });
  const sfn = stack.clients.sfn;
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({ name: STATE_MACHINE_NAME, definition: JSON.stringify(ONE_TASK_FLOW), roleArn: 'arn:aws:iam::123456789012:role/sfn' }),
  );
  const startExecutions = async (kind: FailureKind, count: number, prefix = kind.toLowerCase()) => {
    const arns: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${prefix}-${i}`;
      const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}#${kind}`, name, input: JSON.stringify({ order: { id: name } }) }));
      arns.push(out.executionArn!);
    }
    return arns;
  };
  return { stack, clock, startExecutions };
}

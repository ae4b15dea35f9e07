/**
 * A storm on the local stack (real clock, us-east-1 throttling buckets): N executions of a one-Task
 * Standard state machine are started and held at the Task, then released together, so all of them fail
 * within a moment, as when a shared dependency goes down. Transient ones succeed when redriven;
 * permanent ones fail on every run.
 */
import { CreateStateMachineCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { AutoRedriveConfigInput } from '../core/config';
import { RealClock } from '../local/clock';
import { LocalStack } from '../local/stack';

export const STORM_STATE_MACHINE = 'storm-orders';

/** The production config, but no backoff: the storm measures throughput, not the wait. */
export const STORM_CONFIG: AutoRedriveConfigInput = {
  watch: { stateMachineNamePrefixes: ['storm-'] },
  maxAttempts: 3,
  backoff: { initialDelaySeconds: 0, multiplier: 5, maxDelaySeconds: 1, jitter: 'none' },
};

class DownstreamUnavailable extends Error {
  constructor() {
    super('payment gateway is down');
    this.name = 'Downstream.Unavailable';
  }
}

export interface StormExecutions {
  transient: string[];
  permanent: string[];
}

export interface Storm {
  stack: LocalStack;
  /** Starts the executions and holds them at the Task until `release`. */
  prepare(count: number, permanentShare: number): Promise<StormExecutions>;
  /** Lets every held Task fail at once; returns the time (epoch ms). */
  release(): number;
}

export async function startStorm(workerMaxConcurrency?: number): Promise<Storm> {
  let releaseGate!: () => void;
  const gate = new Promise<void>((resolve) => (releaseGate = resolve));
  let held = 0;
  const stack = await LocalStack.start({
    config: workerMaxConcurrency ? { ...STORM_CONFIG, worker: { maxConcurrency: workerMaxConcurrency } } : STORM_CONFIG,
    clock: new RealClock(),
    throttling: true,
    slack: false,
    taskHandlers: {
      Charge: async (_input, context) => {
        held++;
        await gate;
        if (context.executionName.startsWith('permanent-') || context.redriveCount === 0) throw new DownstreamUnavailable();
        return { charged: true };
      },
    },
  });
  const sfn = stack.clients.sfn;
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({
      name: STORM_STATE_MACHINE,
      roleArn: 'arn:aws:iam::123456789012:role/sfn',
      definition: JSON.stringify({ StartAt: 'Charge', States: { Charge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } }),
    }),
  );
  return {
    stack,
    async prepare(count, permanentShare) {
      const permanentCount = Math.round(count * permanentShare);
      const names = Array.from({ length: count }, (_, i) => (i < permanentCount ? `permanent-${i}` : `transient-${i}`));
      const arns = await startAll(sfn, stateMachineArn!, names);
      while (held < count) await new Promise((resolve) => setTimeout(resolve, 20));
      return { permanent: arns.slice(0, permanentCount), transient: arns.slice(permanentCount) };
    },
    release() {
      releaseGate();
      return Date.now();
    },
  };
}

/** StartExecution is throttled too (1,300 burst, 300/s): a small pool, retrying what the SDK gave up on. */
async function startAll(sfn: SFNClient, stateMachineArn: string, names: string[]): Promise<string[]> {
  const arns: string[] = new Array(names.length);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const index = next++;
      for (;;) {
        try {
          arns[index] = (await sfn.send(new StartExecutionCommand({ stateMachineArn, name: names[index], input: '{}' }))).executionArn!;
          break;
        } catch (error) {
          if ((error as Error).name !== 'ThrottlingException') throw error;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return arns;
}

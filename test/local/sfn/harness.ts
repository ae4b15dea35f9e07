/** Starts an emulator on a free port with a VirtualClock and gives an SDK client pointed at it. */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { VirtualClock } from '../../../local/clock';
import { SfnEmulator, type SfnEmulatorOptions, type StatusChangeEvent, type TaskHandler } from '../../../local/sfn';

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/sfn-local';
/** After the redrive launch date, so executions are redrivable. */
export const START_MS = Date.UTC(2025, 0, 15, 12, 0, 0);

export interface Harness {
  emulator: SfnEmulator;
  clock: VirtualClock;
  sfn: SFNClient;
  events: StatusChangeEvent[];
  createMachine(name: string, definition: object, type?: 'STANDARD' | 'EXPRESS'): Promise<string>;
  /** Creates a machine, starts execution `run` with `input` and, unless told not to, waits until nothing is runnable. */
  run(definition: object, input: unknown, name?: string, options?: { settle?: boolean }): Promise<RunHandle>;
  close(): Promise<void>;
}

export interface RunHandle {
  executionArn: string;
  describe(): Promise<DescribeExecutionCommandOutput>;
  history(): Promise<HistoryEvent[]>;
}

export async function startHarness(options: Partial<SfnEmulatorOptions> = {}): Promise<Harness> {
  const clock = new VirtualClock({ startMs: START_MS });
  const events: StatusChangeEvent[] = [];
  const emulator = new SfnEmulator({ clock, onStatusChange: (event) => events.push(event), ...options });
  const endpoint = await emulator.start(0);
  const sfn = new SFNClient({
    endpoint,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const createMachine: Harness['createMachine'] = async (name, definition, type = 'STANDARD') => {
    const created = await sfn.send(new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: ROLE_ARN, type }));
    return created.stateMachineArn!;
  };
  return {
    emulator,
    clock,
    sfn,
    events,
    createMachine,
    async run(definition, input, name = 'machine', { settle = true } = {}) {
      const arn = await createMachine(name, definition);
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'run', input: JSON.stringify(input) }));
      if (settle) await emulator.waitForIdle();
      return {
        executionArn: executionArn!,
        describe: () => sfn.send(new DescribeExecutionCommand({ executionArn })),
        history: async () => (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [],
      };
    },
    async close() {
      sfn.destroy();
      await emulator.stop();
    },
  };
}

/** The error an SDK call rejects with, for asserting code and message. */
export async function errorOf(promise: Promise<unknown>): Promise<SFNServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as SFNServiceException;
  }
  throw new Error('expected the call to fail');
}

export const passThenTask = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Pass', Result: { step: 'prepared' }, ResultPath: '$.prepare', Next: 'Call' },
    Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'worker', 'Payload.$': '$' }, OutputPath: '$.Payload', End: true },
  },
};

/** A task handler standing in for a callback worker: it keeps the `token` of each payload it gets and answers `response`. */
export function tokenCollector(tokens: string[], response: unknown): TaskHandler {
  return async (payload) => {
    tokens.push((payload as { token: string }).token);
    return response;
  };
}

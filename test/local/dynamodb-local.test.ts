import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createLedgerTable, startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local';
import { toCliError } from '../../cli/errors';
import { isAlive } from '../support/processes';


async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadlineMs = Date.now() + timeoutMs;
  while (Date.now() < deadlineMs) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isAlive(pid);
}

describe('DynamoDB Local', () => {
  let ddb: DynamoDbLocal;
  const persistDir = mkdtempSync(join(tmpdir(), 'ddb-local-test-'));

  beforeAll(async () => {
    ddb = await startDynamoDbLocal({ persistDir });
  });

  afterAll(async () => {
    await ddb?.stop();
    rmSync(persistDir, { recursive: true, force: true });
  });

  it('creates the ledger table with the byStateMachine GSI, and without DynamoDB TTL (the stack expires items on its own clock)', async () => {
    const client = ddb.createClient();
    await createLedgerTable(client, 'ledger');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'ledger' }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'executionArn', KeyType: 'HASH' }]);
    expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'byStateMachine',
      KeySchema: [
        { AttributeName: 'stateMachineArn', KeyType: 'HASH' },
        { AttributeName: 'updatedAtMs', KeyType: 'RANGE' },
      ],
    });
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'ledger' }));
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
    client.destroy();
  });

  it('runs the JVM with telemetry off, in the mode asked for, on its own port (nothing local may call AWS)', () => {
    const args = readFileSync(`/proc/${ddb.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(args[0]).toBe('java');
    expect(args).toEqual(expect.arrayContaining(['-disableTelemetry', '-sharedDb', '-dbPath', persistDir, '-port', String(ddb.port)]));
    expect(args).not.toContain('-inMemory');
  });

  it('keeps data across restart on the same port in persistent mode, with a new JVM', async () => {
    const client = ddb.createClient();
    await client.send(new PutItemCommand({ TableName: 'ledger', Item: { executionArn: { S: 'arn:x' } } }));
    const pidBefore = ddb.pid;
    await ddb.restart();
    expect(ddb.pid).not.toBe(pidBefore);
    expect(await waitUntilGone(pidBefore, 60_000)).toBe(true);
    const { Item } = await client.send(new GetItemCommand({ TableName: 'ledger', Key: { executionArn: { S: 'arn:x' } } }));
    expect(Item?.executionArn?.S).toBe('arn:x');
    client.destroy();
  });

  it('refuses a port something already listens on, instead of taking that server for its own', async () => {
    // The running DynamoDB Local answers the readiness probe, which is what hid the clash before.
    await expect(startDynamoDbLocal({ port: ddb.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(toCliError(await startDynamoDbLocal({ port: ddb.port }).catch((error: unknown) => error))).toMatchObject({
      message: `Port in use: DynamoDB Local's port ${ddb.port} is taken by another process (EADDRINUSE)`,
    });
  });

  it('stop() leaves no JVM behind and is idempotent', async () => {
    const other = await startDynamoDbLocal();
    const pid = other.pid;
    expect(isAlive(pid)).toBe(true);
    await other.stop();
    expect(isAlive(pid)).toBe(false);
    await other.stop();
  });

  it('kill() ends the JVM abruptly; the endpoint stops answering', async () => {
    const other = await startDynamoDbLocal();
    const pid = other.pid;
    other.kill();
    expect(await waitUntilGone(pid, 60_000)).toBe(true);
    const client = other.createClient();
    await expect(client.send(new DescribeTableCommand({ TableName: 'ledger' }))).rejects.toThrow();
    client.destroy();
  });

  it('a SIGKILLed parent leaves no orphan JVM', async () => {
    const child = spawn(
      process.execPath,
      [
        '-r',
        require.resolve('tsx/cjs'),
        '-e',
        `require(${JSON.stringify(join(__dirname, '../../local/dynamodb-local.ts'))})
          .startDynamoDbLocal().then((d) => process.stdout.write(String(d.pid) + '\\n'));
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const javaPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      child.once('exit', () => reject(new Error('child exited before DynamoDB Local was ready')));
    });
    expect(isAlive(javaPid)).toBe(true);
    child.kill('SIGKILL');
    expect(await waitUntilGone(javaPid, 60_000)).toBe(true);
  });
});

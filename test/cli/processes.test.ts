/**
 * The real executable as child processes: `serve` prints its endpoints and stops everything on SIGTERM;
 * `redrive` against it stops cleanly on SIGINT with a consistent ledger, and a rerun finishes the job.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListStateMachinesCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Ledger } from '../../adapters/ledger';
import type { LedgerRecord } from '../../core/ledger-record';
import { ROLE_ARN } from './harness';
import { isAlive, startCli as start, waitFor } from '../support/processes';

describe('sfn-autoredrive as processes', () => {
  it('serves the local stack; redrive survives Ctrl-C with a consistent ledger and a rerun finishes; SIGTERM stops everything', async () => {
    const serve = start(['serve', '--output', 'json', '--config', 'test/cli/sweep.config.json']);
    try {
      const line = await waitFor(() => serve.stdout().split('\n').find((l) => l.startsWith('{')), 'serve to print its endpoints');
      const { endpoints, env, adminCredentials, iam, dynamodbLocalPid } = JSON.parse(line);
      expect(isAlive(dynamodbLocalPid)).toBe(true);
      expect(iam).toBe('enforced');
      // The exported credentials are the operator's: they may list, not create.
      const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
      const operatorSfn = new SFNClient({ region: env.AWS_REGION, endpoint: endpoints.stepFunctions, credentials });
      expect((await operatorSfn.send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
      const sfn = new SFNClient({ region: env.AWS_REGION, endpoint: endpoints.stepFunctions, credentials: adminCredentials });

      // Not watched by the served config, so only the operator acts on these.
      const definition = JSON.stringify({ StartAt: 'Charge', States: { Charge: { Type: 'Fail', Error: 'PaymentGatewayTimeout' } } });
      const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: 'batch-sigint', definition, roleArn: ROLE_ARN }));
      const arns: string[] = [];
      for (let i = 0; i < 120; i++) arns.push((await sfn.send(new StartExecutionCommand({ stateMachineArn, name: `job-${i}` }))).executionArn!);
      const args = ['redrive', '--state-machine', stateMachineArn!, '--reason', 'INC-8 batch', '--yes', '--output', 'json'];

      const first = start([...args, '--rate', '15'], env);
      await waitFor(() => (/redrive: [1-9]\d*\/120 processed/.test(first.stderr()) ? true : undefined), 'the first progress line');
      first.process.kill('SIGINT');
      expect(await first.exited).toBe(1);
      const interrupted = JSON.parse(first.stdout()).run;
      expect(interrupted.interrupted).toBe(true);
      expect(interrupted.redriven).toBeGreaterThan(0);
      expect(interrupted.redriven).toBeLessThan(120);
      expect(first.stderr()).toContain('Interrupted: no new work; waiting for calls in flight');

      // Consistent: every ledger item is final (no claim left mid-call), and matches Step Functions.
      const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: env.AWS_REGION, endpoint: endpoints.dynamodb, credentials }));
      const ledger = new Ledger(doc, env.LEDGER_TABLE_NAME, 30);
      const records: LedgerRecord[] = [];
      for await (const record of ledger.byStateMachine(stateMachineArn!, 0, Date.now() + 60_000)) records.push(record);
      expect(records.map((r) => r.phase).filter((phase) => phase !== 'REDRIVEN')).toEqual([]);
      expect(records).toHaveLength(interrupted.redriven);
      const redriveCounts = async () => Promise.all(arns.map(async (executionArn) => (await operatorSfn.send(new DescribeExecutionCommand({ executionArn }))).redriveCount));
      expect((await redriveCounts()).filter((n) => n === 1)).toHaveLength(interrupted.redriven);

      // This machine always fails, so the executions redriven above have failed again (generation 1), and a
      // default selection would redrive that new generation too: finishing the interrupted work is
      // --not-redriven-only.
      const rerun = start([...args, '--not-redriven-only', '--rate', '1000'], env);
      expect(await rerun.exited).toBe(0);
      expect(JSON.parse(rerun.stdout()).run).toMatchObject({ redriven: 120 - interrupted.redriven, errors: 0, interrupted: false });
      expect(await redriveCounts()).toEqual(arns.map(() => 1));

      serve.process.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
      expect(serve.stderr()).toContain('Stopped.');
      await waitFor(() => (isAlive(dynamodbLocalPid) ? undefined : true), 'the DynamoDB Local JVM to exit', 120_000);
    } finally {
      if (serve.process.exitCode === null) serve.process.kill('SIGKILL');
    }
  });
});

/**
 * DynamoDB Local is killed (SIGKILL) in the middle of a storm, right after the tenth redrive, and
 * restarted on the same data directory. Every message that met the outage fails and comes back after
 * its visibility timeout; none is lost and none leads to a second redrive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { auditFailures } from './support/accounting';
import { onSuccessfulRedrive } from './support/client-hooks';
import { startFaultStack, type FaultStack } from './support/fault-stack';

const EXECUTIONS = 30;
let fault: FaultStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-autoredrive-faults-'));
  // No backoff: events redrive at once, so the kill lands between redrives and their ledger writes.
  fault = await startFaultStack({ dynamoPersistDir: dataDir, config: { backoff: { initialDelaySeconds: 0, maxDelaySeconds: 1 } } });
});

afterAll(async () => {
  await fault?.stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('loses nothing and redrives nothing twice across a DynamoDB crash and restart', async () => {
  const { stack, startExecutions } = fault;
  let redrives = 0;
  onSuccessfulRedrive(stack.lambdaClients.worker, () => {
    if (++redrives === 10) stack.dynamo.kill();
  });
  const executions = await startExecutions('Transient', EXECUTIONS);
  await stack.settle();
  expect(stack.worker.counters.messagesFailed).toBeGreaterThan(0);

  await stack.dynamo.restart();
  await stack.runUntilQuiet();

  for (const arn of executions) expect(stack.sfn.execution(arn)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
  const audit = await auditFailures(stack, executions);
  expect(audit.violations).toEqual([]);
  expect(audit.places).toEqual({ redriven: EXECUTIONS, skipped: 0, 'gave-up': 0, dlq: 0 });
  expect(stack.alerts.filter((a) => a.kind === 'PIPELINE_ERROR')).toEqual([]);
});

/**
 * The worker crashes right after RedriveExecution succeeded, before the ledger records it. SQS delivers
 * the message again after the visibility timeout (six times the worker timeout). Within the client
 * token's 15 minutes the retry repeats the call with the same token (AWS answers idempotently); after
 * them, DescribeExecution's redriveCount shows the call went through and no second call is made.
 */
import { clientTokenFor } from '../../core/client-token';
import { auditFailures } from './support/accounting';
import { crashBeforeRecordingRedrive } from './support/client-hooks';
import { startFaultStack, type FaultStack } from './support/fault-stack';

const EXECUTIONS = 8;

describe.each([
  { retry: 'within 15 minutes', workerTimeoutSeconds: 60, redriveCalls: 2 * EXECUTIONS, describeCalls: 0, outcome: 'REDRIVEN' },
  { retry: 'after 15 minutes', workerTimeoutSeconds: 200, redriveCalls: EXECUTIONS, describeCalls: EXECUTIONS, outcome: 'ALREADY_REDRIVEN' },
])('retry $retry of the crash', ({ workerTimeoutSeconds, redriveCalls, describeCalls, outcome }) => {
  let fault: FaultStack;

  beforeAll(async () => {
    fault = await startFaultStack({ config: { worker: { timeoutSeconds: workerTimeoutSeconds } } });
  });

  afterAll(async () => {
    await fault?.stack.stop();
  });

  it('redrives each execution exactly once, and the ledger ends REDRIVEN', async () => {
    const { stack, startExecutions } = fault;
    const crash = crashBeforeRecordingRedrive(stack.lambdaClients.worker);
    const executions = await startExecutions('Transient', EXECUTIONS);
    await stack.runUntilQuiet();

    expect(crash.crashes()).toBe(EXECUTIONS);
    const apis = stack.sfn.stats().apis;
    expect(apis.RedriveExecution.calls).toBe(redriveCalls);
    expect(apis.DescribeExecution?.calls ?? 0).toBe(describeCalls);
    for (const arn of executions) {
      expect(stack.sfn.execution(arn)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
      expect((await stack.ledger.get(arn))?.attempts).toEqual([expect.objectContaining({ generation: 0, outcome, clientToken: clientTokenFor(arn, 0) })]);
    }
    const audit = await auditFailures(stack, executions);
    expect(audit.violations).toEqual([]);
    expect(audit.places).toEqual({ redriven: EXECUTIONS, skipped: 0, 'gave-up': 0, dlq: 0 });
  });
});

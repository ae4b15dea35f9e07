/**
 * The built-in demo scenario, run by the same runner as `npm run demo`, checked against the stack
 * itself: DescribeExecution and ListExecutions through the SDK, the ledger items in DynamoDB Local,
 * the alerts the topic received and the emulator's mock invocation counters.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import type { LedgerRecord } from '../../../core/ledger-record';
import { createLiveView } from '../../../local/demo/live-view';
import { planScenario } from '../../../local/demo/plan';
import { runScenario, type DemoReport } from '../../../local/demo/runner';
import { BUILT_IN_SCENARIO_PATH, loadScenarioFile } from '../../../local/demo/scenario';
import { exitCodeFor } from '../../../local/demo/summary';
import type { LocalStack } from '../../../local/stack';

interface Observed {
  name: string;
  status: string;
  redriveCount: number;
  ledger?: LedgerRecord;
  alertKinds: string[];
  emailReceiptsSent: number;
}

describe('npm run demo: built-in order-processing scenario', () => {
  const scenario = loadScenarioFile(BUILT_IN_SCENARIO_PATH);
  const groupOf = new Map(planScenario(scenario).executions.map((e) => [e.name, e.group.label]));
  const observed = new Map<string, Observed>();
  let report: DemoReport;
  let liveOutput = '';

  beforeAll(async () => {
    const view = createLiveView({ write: (text: string) => (liveOutput += text), isTTY: false });
    report = await runScenario(scenario, {
      onAlert: (alert, atMs) => view.onAlert?.(alert, atMs),
      onProgress: (snapshot) => view.onProgress?.(snapshot),
      onNote: (text, atMs) => view.onNote?.(text, atMs),
      beforeStop: async (stack) => {
        for (const execution of await listAllExecutions(stack)) observed.set(execution.name, execution);
      },
    });
    view.stop();
  });

  const inGroup = (label: string) => [...observed.values()].filter((e) => groupOf.get(e.name) === label);

  it('starts every planned execution and accounts for every failure, with no duplicate redrive', () => {
    expect(observed.size).toBe(48);
    expect(report.accounting.totals).toMatchObject({ executions: 48, duplicateRedrives: 0, unaccountedFailures: 0 });
    expect(report.accounting.problems).toEqual([]);
    expect(exitCodeFor(report)).toBe(0);
  });

  it('ends each class of execution as the scenario intends', () => {
    for (const label of ['gateway timeout once', 'loyalty 503 in a Parallel branch', 'status event lost (sweep finds it)']) {
      expect(inGroup(label).map((e) => [e.status, e.redriveCount, e.ledger?.phase])).toEqual(inGroup(label).map(() => ['SUCCEEDED', 1, 'REDRIVEN']));
    }
    expect(inGroup('gateway timeout twice').map((e) => [e.status, e.redriveCount])).toEqual([['SUCCEEDED', 2], ['SUCCEEDED', 2]]);
    for (const permanent of inGroup('warehouse gone for good')) {
      expect([permanent.status, permanent.redriveCount, permanent.ledger?.phase, permanent.ledger?.reason]).toEqual(['FAILED', scenario.config.maxAttempts, 'GAVE_UP', 'MAX_ATTEMPTS_REACHED']);
      expect(permanent.alertKinds).toEqual(['GAVE_UP']);
    }
    for (const declined of inGroup('card declined (never retried)')) {
      expect([declined.status, declined.redriveCount, declined.ledger?.phase, declined.ledger?.reason]).toEqual(['FAILED', 0, 'SKIPPED', 'NON_RETRYABLE_ERROR']);
      expect(declined.alertKinds).toEqual(['SKIPPED_NON_RETRYABLE']);
    }
    expect(inGroup('cancelled by the customer').map((e) => [e.status, e.ledger])).toEqual([['ABORTED', undefined]]);
    for (const label of ['happy path', 'held for review (15 min Wait)', "throttled, absorbed by the state's Retry"]) {
      expect(inGroup(label).every((e) => e.status === 'SUCCEEDED' && e.redriveCount === 0 && e.ledger === undefined)).toBe(true);
    }
  });

  it('resumes only the failed Parallel branch: the receipt email is not sent again', () => {
    expect(inGroup('loyalty 503 in a Parallel branch').map((e) => e.emailReceiptsSent)).toEqual([1, 1]);
  });

  it('reports totals that match what Step Functions and the ledger hold', () => {
    const all = [...observed.values()];
    const { totals, skippedByReason, notWatchedByReason } = report.accounting;
    expect(totals.redriven).toBe(all.reduce((sum, e) => sum + e.redriveCount, 0));
    expect(totals.recoveredAfterRedrive).toBe(all.filter((e) => e.status === 'SUCCEEDED' && e.redriveCount > 0).length);
    expect(totals.gaveUp).toBe(all.filter((e) => e.ledger?.phase === 'GAVE_UP').length);
    expect(totals.gaveUpAlerts).toBe(all.flatMap((e) => e.alertKinds).filter((kind) => kind === 'GAVE_UP').length);
    expect(skippedByReason).toEqual({ NON_RETRYABLE_ERROR: all.filter((e) => e.ledger?.phase === 'SKIPPED').length });
    expect(notWatchedByReason).toEqual({ 'STATUS_NOT_WATCHED (ABORTED)': 1 });
    // Every failed run is either followed by a redrive or is the last run (given up, skipped, not watched).
    const lastRunFailed = all.filter((e) => e.status !== 'SUCCEEDED').length;
    expect(totals.failuresSeen).toBe(totals.redriven + lastRunFailed);
    expect(report.accounting.executions.filter((e) => e.caughtBySweep).map((e) => groupOf.get(e.name))).toEqual(['status event lost (sweep finds it)']);
  });

  it('prints every alert as it fires, and progress as a few lines rather than a flood', () => {
    const lines = liveOutput.trim().split('\n');
    const alertLines = lines.filter((line) => line.includes(' ALERT '));
    expect(alertLines).toHaveLength(report.accounting.totals.alerts);
    expect(alertLines.filter((line) => line.includes('GAVE_UP') && line.includes('Inventory.WarehouseUnreachable'))).toHaveLength(2);
    expect(lines.length).toBeLessThan(20);
  });
});

async function listAllExecutions(stack: LocalStack): Promise<Observed[]> {
  const sfn = stack.clients.sfn;
  const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
  const result: Observed[] = [];
  for (const { stateMachineArn } of stateMachines) {
    const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000 }));
    for (const { executionArn, name } of executions) {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      result.push({
        name: name!,
        status: described.status!,
        redriveCount: described.redriveCount ?? 0,
        ledger: await stack.ledger.get(executionArn!),
        alertKinds: stack.alerts.filter((a) => a.executionArn === executionArn).map((a) => a.kind),
        emailReceiptsSent: stack.sfn.mockInvocations(executionArn!, 'EmailReceipt'),
      });
    }
  }
  return result;
}

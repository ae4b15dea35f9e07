/**
 * The built-in distributed-map scenario (`npm run demo -- --scenario local/demo/scenarios/distributed-map.json`)
 * on the pipeline as deployed: 200 parcels per run through a Distributed Map, 7 failing children per run.
 * Checked against the stack itself: the Map Run APIs and ListExecutions through the SDK, the emulator's
 * API counters, the ledger and the alerts.
 */
import { DescribeExecutionCommand, DescribeMapRunCommand, ListExecutionsCommand, ListMapRunsCommand, type DescribeMapRunCommandOutput, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { resolve } from 'node:path';
import type { Alert } from '../../../core/alerts';
import type { LedgerRecord } from '../../../core/ledger-record';
import { runScenario, type DemoReport } from '../../../local/demo/runner';
import { loadScenarioFile } from '../../../local/demo/scenario';
import type { LocalStack } from '../../../local/stack';

const SCENARIO_PATH = resolve(__dirname, '../../../local/demo/scenarios/distributed-map.json');

interface ParentRun {
  status?: string;
  redriveCount?: number;
  mapRun: DescribeMapRunCommandOutput;
  children: ExecutionListItem[];
  childLedgers: Array<LedgerRecord | undefined>;
}

describe('demo: distributed-map scenario', () => {
  const runs = new Map<string, ParentRun>();
  let report: DemoReport;
  let redriveCalls: number;
  let gaveUpAlerts: Alert[];

  beforeAll(async () => {
    report = await runScenario(loadScenarioFile(SCENARIO_PATH), {
      beforeStop: async (stack) => {
        redriveCalls = stack.sfn.stats().apis.RedriveExecution?.calls ?? 0;
        gaveUpAlerts = stack.alerts.filter((alert) => alert.kind === 'GAVE_UP');
        for (const name of ['run-0001', 'run-0002']) runs.set(name, await observe(stack, name));
      },
    });
  });

  async function observe(stack: LocalStack, name: string): Promise<ParentRun> {
    const sfn = stack.clients.sfn;
    const executionArn = `arn:aws:states:us-east-1:123456789012:execution:orders-fulfilment:${name}`;
    const parent = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const { mapRuns } = await sfn.send(new ListMapRunsCommand({ executionArn }));
    const mapRunArn = mapRuns![0].mapRunArn!;
    const children = (await sfn.send(new ListExecutionsCommand({ mapRunArn, maxResults: 1000 }))).executions!;
    const rerun = children.filter((child) => child.redriveCount! > 0 || child.status !== 'SUCCEEDED');
    return {
      status: parent.status,
      redriveCount: parent.redriveCount,
      mapRun: await sfn.send(new DescribeMapRunCommand({ mapRunArn })),
      children,
      childLedgers: await Promise.all(rerun.map((child) => stack.ledger.get(child.executionArn!))),
    };
  }

  it('redrives the parent once and reruns only its 7 failed children, which the worker skipped as MAP_RUN_CHILD', () => {
    const run = runs.get('run-0001')!;
    expect([run.status, run.redriveCount]).toEqual(['SUCCEEDED', 1]);
    expect(run.mapRun).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      maxConcurrency: 20,
      toleratedFailurePercentage: 3,
      itemCounts: { succeeded: 200, failed: 0, aborted: 0, pending: 0, total: 200 },
    });
    expect(run.children).toHaveLength(200);
    expect(run.children.filter((child) => child.redriveCount === 1)).toHaveLength(7);
    expect(run.childLedgers.map((ledger) => [ledger?.phase, ledger?.reason])).toEqual(Array(7).fill(['SKIPPED', 'MAP_RUN_CHILD']));
  });

  it('gives up on the parent whose children keep failing, with one alert, and never redrives a child itself', () => {
    const run = runs.get('run-0002')!;
    expect([run.status, run.redriveCount]).toEqual(['FAILED', 3]);
    expect(run.mapRun).toMatchObject({ status: 'FAILED', redriveCount: 3, itemCounts: { succeeded: 193, failed: 7, total: 200 } });
    expect(run.childLedgers.map((ledger) => [ledger?.phase, ledger?.attempts.map((a) => a.outcome)])).toEqual(
      Array(7).fill(['SKIPPED', ['SKIPPED', 'SKIPPED', 'SKIPPED', 'SKIPPED']]),
    );
    expect(report.accounting.executions.find((e) => e.name === 'run-0002')?.alerts).toEqual(['GAVE_UP']);
    // The alert names the Map Run and its 7 failing children (the worker may read them under its own IAM policy).
    const failedChildren = run.children.filter((child) => child.status === 'FAILED').map((child) => child.name).sort();
    expect(failedChildren).toHaveLength(7);
    const gaveUp = gaveUpAlerts.find((alert) => alert.executionName === 'run-0002')!;
    expect({ ...gaveUp.mapRun, children: [...gaveUp.mapRun!.children].sort() }).toEqual({
      mapRunArn: run.mapRun.mapRunArn, failed: 7, timedOut: 0, aborted: 0, listedStatus: 'FAILED', children: failedChildren,
    });
    // One redrive of the first parent, three of the second; none of a child.
    expect(redriveCalls).toBe(4);
  });

  it('accounts for every failure, the children’s included, in its place', () => {
    expect(report.accounting).toMatchObject({
      ok: true,
      problems: [],
      totals: { executions: 16, failuresSeen: 40, redriven: 4, recoveredAfterRedrive: 1, gaveUp: 1, gaveUpAlerts: 1, skipped: 35, alerts: 1, duplicateRedrives: 0, unaccountedFailures: 0 },
      skippedByReason: { MAP_RUN_CHILD: 35 },
    });
    const outcomes = (group: string) => report.accounting.executions.filter((e) => e.group === group).map((e) => e.outcome);
    expect(outcomes('7 parcels time out once (Map Run children)')).toEqual(Array(7).fill('SUCCEEDED after 1 redrive of its Map Run'));
    expect(outcomes('7 parcels time out for good (Map Run children)')).toEqual(Array(7).fill('skipped: MAP_RUN_CHILD'));
  });
});

/**
 * The built-in scenario dated a year back. Ledger TTLs are stamped on the virtual clock, so they lie in
 * the real past: DynamoDB Local's TTL job (real clock) used to delete ledger items mid-run, and the run
 * then redrove failures a second time. The local ledger must expire on the stack clock only.
 */
import { DescribeTimeToLiveCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { VirtualClock } from '../../../local/clock';
import { runScenario, type DemoReport } from '../../../local/demo/runner';
import { BUILT_IN_SCENARIO_PATH, loadScenarioFile } from '../../../local/demo/scenario';
import { exitCodeFor } from '../../../local/demo/summary';
import { LOCAL_NAMES, type LocalStack } from '../../../local/stack';

const DAY_MS = 86_400_000;

/** Items of executions; the sweep's one watching-since item per state machine has no TTL, by design. */
async function ledgerItemCount(stack: LocalStack): Promise<number> {
  const client = stack.dynamo.createClient();
  try {
    const scan = new ScanCommand({
      TableName: LOCAL_NAMES.ledgerTable,
      Select: 'COUNT',
      ConsistentRead: true,
      FilterExpression: 'begins_with(executionArn, :arn)',
      ExpressionAttributeValues: { ':arn': { S: 'arn:' } },
    });
    return (await client.send(scan)).Count ?? 0;
  } finally {
    client.destroy();
  }
}

describe('the built-in scenario dated a year in the past', () => {
  const builtIn = loadScenarioFile(BUILT_IN_SCENARIO_PATH);
  const startMs = Date.parse(builtIn.startTime!) - 365 * DAY_MS;
  let report: DemoReport;
  let ttlStatus: string | undefined;
  let itemsAtAudit = 0;
  let itemsAfterTtlOnVirtualClock = 0;

  beforeAll(async () => {
    report = await runScenario(
      { ...builtIn, startTime: new Date(startMs).toISOString() },
      {
        beforeStop: async (stack) => {
          const client = stack.dynamo.createClient();
          ttlStatus = (await client.send(new DescribeTimeToLiveCommand({ TableName: LOCAL_NAMES.ledgerTable }))).TimeToLiveDescription?.TimeToLiveStatus;
          client.destroy();
          itemsAtAudit = await ledgerItemCount(stack);
          // Past every item's TTL (retention or redrive window plus a day) on the virtual clock.
          await (stack.clock as VirtualClock).advance((builtIn.config.ledger.retentionDays + 30) * DAY_MS);
          await stack.settle();
          itemsAfterTtlOnVirtualClock = await ledgerItemCount(stack);
        },
      },
    );
  });

  it('runs in the past and accounts for every failure, with no duplicate redrive', () => {
    expect(report.virtualTime.startIso).toBe(new Date(startMs).toISOString());
    expect(report.accounting.totals).toMatchObject({ executions: 48, duplicateRedrives: 0, unaccountedFailures: 0 });
    expect(report.accounting.problems).toEqual([]);
    expect(exitCodeFor(report)).toBe(0);
  });

  it('leaves ledger expiry to the stack clock: no DynamoDB TTL, items kept until the virtual clock passes their TTL', () => {
    expect(ttlStatus).not.toBe('ENABLED');
    expect(itemsAtAudit).toBe(report.accounting.executions.filter((e) => e.ledgerPhase !== undefined).length);
    expect(itemsAtAudit).toBeGreaterThan(0);
    expect(itemsAfterTtlOnVirtualClock).toBe(0);
    expect(report.pipeline.ledgerItemsExpired).toBe(itemsAtAudit);
  });
});

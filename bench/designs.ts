/**
 * Two reference designs, for comparison only, plugged into the same intake queue and Lambda runner as
 * the real worker. Both use the stack's SDK clients (adaptive retry), so only the design differs.
 */
import {
  DescribeExecutionCommand,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { clientTokenFor } from '../core/client-token';

export type BatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

interface FailureDetail {
  executionArn: string;
  redriveCount?: number;
}

const detailOf = (record: SQSRecord): FailureDetail => (JSON.parse(record.body) as { detail: FailureDetail }).detail;

/** Records handled concurrently; the ones that threw come back to SQS (ReportBatchItemFailures). */
function perRecord(handle: (detail: FailureDetail) => Promise<void>): BatchHandler {
  return async (event) => {
    const results = await Promise.allSettled(event.Records.map((record) => handle(detailOf(record))));
    return { batchItemFailures: event.Records.filter((_, i) => results[i].status === 'rejected').map((record) => ({ itemIdentifier: record.messageId })) };
  };
}

async function redriveOrIgnore(sfn: SFNClient, command: RedriveExecutionCommand): Promise<void> {
  try {
    await sfn.send(command);
  } catch (error) {
    // Running again, or succeeded: nothing to do.
    if (!(error instanceof ExecutionNotRedrivable)) throw error;
  }
}

/**
 * The design of public samples: RedriveExecution on every failure event, no ledger, no checks, the
 * SDK's random client token. `loopCap` bounds the bench run: without it a permanent failure is redriven
 * on every failure event until its 14-day window ends.
 */
export function naiveDesign(sfn: SFNClient, loopCap: number): BatchHandler {
  return perRecord(async ({ executionArn, redriveCount = 0 }) => {
    if (redriveCount >= loopCap) return;
    await redriveOrIgnore(sfn, new RedriveExecutionCommand({ executionArn }));
  });
}

/**
 * Check everything, keep nothing: DescribeExecution (still failed? the same failure as the event?), then
 * the whole history paged through to count earlier redrives against the attempt cap, then
 * RedriveExecution with the same deterministic token as ours. No ledger: the history is the record.
 */
export function checkEverythingDesign(sfn: SFNClient, maxAttempts: number, gaveUp: Set<string>): BatchHandler {
  return perRecord(async ({ executionArn, redriveCount = 0 }) => {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'FAILED' || (execution.redriveCount ?? 0) !== redriveCount) return;
    let redrives = 0;
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 100 }));
      redrives += (page.events ?? []).filter((event) => event.type === 'ExecutionRedriven').length;
      nextToken = page.nextToken;
    } while (nextToken);
    if (redrives >= maxAttempts) {
      gaveUp.add(executionArn);
      return;
    }
    await redriveOrIgnore(sfn, new RedriveExecutionCommand({ executionArn, clientToken: clientTokenFor(executionArn, redriveCount) }));
  });
}

/**
 * Ledger expiry on the stack's own clock.
 *
 * On AWS, DynamoDB TTL deletes a ledger item some time after its `expiresAtEpochSeconds` has passed on
 * the real clock. The local stack runs on a StackClock that is often virtual (the demo, the tests), and
 * DynamoDB Local's TTL job compares with the real clock: a scenario dated in the past would lose its
 * ledger items mid-run, one dated ahead would keep them forever. So the local stack never enables
 * DynamoDB TTL, and deletes the items whose TTL passed on the stack clock itself (docs/local-stack.md,
 * "Ledger expiry").
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LEDGER_TABLE } from '../core/ledger-table';

/** How often, on the stack clock, `LocalStack.settle()` looks for expired items. */
export const LEDGER_EXPIRY_CHECK_EVERY_MS = 3_600_000;

/**
 * Deletes every item whose TTL is before `nowMs`, as DynamoDB TTL would ("expired" means the TTL value
 * is less than the current epoch second). Each delete is conditional, so an item that a writer gave a
 * later TTL meanwhile stays. Returns how many items were deleted.
 */
export async function deleteExpiredLedgerItems(doc: DynamoDBDocumentClient, tableName: string, nowMs: number): Promise<number> {
  const expired = {
    ConditionExpression: '#ttl < :now',
    ExpressionAttributeNames: { '#ttl': LEDGER_TABLE.ttlAttribute },
    ExpressionAttributeValues: { ':now': Math.floor(nowMs / 1000) },
  };
  let deleted = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: expired.ConditionExpression,
        ProjectionExpression: '#key',
        ExpressionAttributeNames: { ...expired.ExpressionAttributeNames, '#key': LEDGER_TABLE.partitionKey },
        ExpressionAttributeValues: expired.ExpressionAttributeValues,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const key of page.Items ?? []) {
      try {
        await doc.send(new DeleteCommand({ TableName: tableName, Key: key, ...expired }));
        deleted++;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}

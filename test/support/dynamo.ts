/** One DynamoDB Local per test file, a fresh ledger table per test. */
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Ledger } from '../../adapters/ledger';
import { createLedgerTable, startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local';

export interface LedgerHarness {
  ddb: () => DynamoDbLocal;
  newLedger: (retentionDays?: number) => Promise<{ ledger: Ledger; doc: DynamoDBDocumentClient; tableName: string }>;
}

export function useDynamoDbLocal(): LedgerHarness {
  let ddb: DynamoDbLocal | undefined;
  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await ddb?.stop();
  });
  return {
    ddb: () => ddb!,
    newLedger: async (retentionDays = 30) => {
      const client = ddb!.createClient();
      const tableName = `ledger-${randomUUID().slice(0, 8)}`;
      await createLedgerTable(client, tableName);
      const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
      return { ledger: new Ledger(doc, tableName, retentionDays), doc, tableName };
    },
  };
}

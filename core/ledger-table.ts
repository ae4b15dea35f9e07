/**
 * Key schema of the ledger table, shared by the CDK construct and the local stack's CreateTable,
 * so both build the same table.
 */
export const LEDGER_TABLE = {
  partitionKey: 'executionArn',
  /** TTL attribute, epoch seconds. */
  ttlAttribute: 'expiresAtEpochSeconds',
  byStateMachineIndex: {
    name: 'byStateMachine',
    partitionKey: 'stateMachineArn',
    /** Last update, epoch milliseconds (number). */
    sortKey: 'updatedAtMs',
  },
} as const;

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
  /**
   * Keys of the coordination items the Lambdas keep beside the execution items (adapters/coordination.ts).
   * An execution ARN starts with `arn:`, so these never collide with one, and they carry no state
   * machine ARN, so the byStateMachine index (sparse) never lists them.
   */
  coordinationKeys: {
    sweepLease: 'coordination#sweep-lease',
    slackRateGate: 'coordination#slack-rate-gate',
    slackAlertPrefix: 'coordination#slack-alert#',
  },
} as const;

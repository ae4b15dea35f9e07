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
   * Sparse: only items whose failure generation is not redriven carry the sort key, so the sweep finds
   * the windows about to close with one Query per state machine, however long ago the execution started.
   */
  byWindowCloseIndex: {
    name: 'byWindowClose',
    partitionKey: 'stateMachineArn',
    /** When the current generation's 14-day window closes, epoch milliseconds; absent once redriven. */
    sortKey: 'unredrivenWindowClosesAtMs',
  },
  /** Prefix of the one item per state machine that records when the sweep began watching it. */
  watchItemKeyPrefix: 'watch#',
  /**
   * Keys of the coordination items the Lambdas keep beside the execution items (adapters/coordination.ts).
   * An execution ARN starts with `arn:`, so these never collide with one, and they carry no state
   * machine ARN, so neither index lists them.
   */
  coordinationKeys: {
    sweepLease: 'coordination#sweep-lease',
    slackRateGate: 'coordination#slack-rate-gate',
    slackAlertPrefix: 'coordination#slack-alert#',
  },
} as const;

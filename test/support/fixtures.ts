/** Builders for test inputs. Each returns a fresh object so tests can change it freely. */
import { parseConfig, type AutoRedriveConfig, type AutoRedriveConfigInput } from '../../core/config';
import type { ExecutionEvidence } from '../../core/evidence';
import type { LedgerRecord } from '../../core/ledger-record';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Orders-Process`;
export const NOW_MS = Date.UTC(2026, 10, 24, 12, 0, 0);

export function executionArn(name = 'exec-1', stateMachine = 'Orders-Process'): string {
  return `arn:aws:states:${REGION}:${ACCOUNT}:execution:${stateMachine}:${name}`;
}

export function config(overrides: AutoRedriveConfigInput = {}): AutoRedriveConfig {
  return parseConfig({ watch: { stateMachineNamePrefixes: ['Orders-'] }, ...overrides });
}

export function evidence(overrides: Partial<ExecutionEvidence> = {}): ExecutionEvidence {
  return {
    executionArn: executionArn(),
    stateMachineArn: STATE_MACHINE_ARN,
    executionName: 'exec-1',
    status: 'FAILED',
    startDateMs: NOW_MS - 3_600_000,
    stopDateMs: NOW_MS - 60_000,
    redriveCount: 0,
    redriveStatus: 'REDRIVABLE',
    error: 'PaymentGatewayTimeout',
    cause: 'upstream timed out',
    sources: ['event'],
    ...overrides,
  };
}

export function ledgerRecord(overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    executionArn: executionArn(),
    stateMachineArn: STATE_MACHINE_ARN,
    executionName: 'exec-1',
    generation: 0,
    phase: 'WAITING',
    attemptsUsed: 0,
    reason: 'BACKOFF',
    startDateMs: NOW_MS - 3_600_000,
    stopDateMs: NOW_MS - 60_000,
    status: 'FAILED',
    attempts: [],
    updatedAtMs: NOW_MS - 30_000,
    expiresAtEpochSeconds: Math.floor(NOW_MS / 1000) + 86_400,
    ...overrides,
  };
}

export function statusChangeEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT,
    time: '2026-11-24T11:59:00Z',
    region: REGION,
    resources: [executionArn()],
    detail: {
      executionArn: executionArn(),
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'exec-1',
      status: 'FAILED',
      startDate: NOW_MS - 3_600_000,
      stopDate: NOW_MS - 60_000,
      input: '{}',
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      redriveCount: 0,
      redriveDate: null,
      redriveStatus: 'REDRIVABLE',
      redriveStatusReason: null,
      error: 'PaymentGatewayTimeout',
      cause: 'upstream timed out',
      ...detail,
    },
  };
}

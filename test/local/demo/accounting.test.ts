/** The accounting rules on crafted facts: what counts as accounted for, and what breaks the exit code. */
import type { Alert } from '../../../core/alerts';
import { parseConfig } from '../../../core/config';
import type { LedgerAttempt, LedgerRecord } from '../../../core/ledger-record';
import { accountFor, type ExecutionFacts, type FailureEvent } from '../../../local/demo/accounting';
import { exitCodeFor } from '../../../local/demo/summary';

const config = parseConfig({ watch: { stateMachineNamePrefixes: ['orders-'] }, statuses: ['FAILED'] });
const NOW_MS = Date.UTC(2026, 10, 24, 12);
const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders-flow';

function failure(generation: number, status: FailureEvent['status'] = 'FAILED'): FailureEvent {
  return { generation, status, error: 'Payment.GatewayTimeout', stoppedAtMs: NOW_MS - 3_600_000 + generation * 60_000 };
}

function attempt(generation: number, outcome: LedgerAttempt['outcome'], reason: LedgerAttempt['reason'] = 'ELIGIBLE'): LedgerAttempt {
  const decision = outcome === 'GAVE_UP' ? 'GIVE_UP' : outcome === 'SKIPPED' ? 'SKIP' : 'REDRIVE';
  return { generation, decision, reason, decidedAtMs: NOW_MS, outcome, actor: 'worker' };
}

function facts(name: string, overrides: Partial<ExecutionFacts> & { attempts?: LedgerAttempt[] }): ExecutionFacts {
  const { attempts, ...rest } = overrides;
  const executionArn = `arn:aws:states:us-east-1:123456789012:execution:orders-flow:${name}`;
  const ledger = attempts && ({ executionArn, phase: 'REDRIVEN', attempts } as unknown as LedgerRecord);
  return { name, executionArn, stateMachineArn: SM, group: 'g', express: false, startDateMs: NOW_MS - 7_200_000, status: 'SUCCEEDED', redriveCount: 0, failures: [], ledger, alerts: [], parkedMessages: 0, caughtBySweep: false, ...rest };
}

const gaveUpAlert = (name: string): Alert => ({ kind: 'GAVE_UP', executionName: name, executionArn: `arn:aws:states:us-east-1:123456789012:execution:orders-flow:${name}`, reason: 'MAX_ATTEMPTS_REACHED', detail: '', atMs: NOW_MS });

describe('demo accounting', () => {
  it('accounts for redriven, skipped, given-up, parked and unwatched failures, and exits 0', () => {
    const accounting = accountFor(
      [
        facts('recovered', { redriveCount: 1, failures: [failure(0)], attempts: [attempt(0, 'REDRIVEN')] }),
        facts('confirmed', { redriveCount: 1, failures: [failure(0)], attempts: [attempt(0, 'ALREADY_REDRIVEN')] }),
        facts('declined', { status: 'FAILED', failures: [failure(0)], attempts: [attempt(0, 'SKIPPED', 'NON_RETRYABLE_ERROR')] }),
        facts('gone', { status: 'FAILED', redriveCount: 1, failures: [failure(0), failure(1)], attempts: [attempt(0, 'REDRIVEN'), attempt(1, 'GAVE_UP', 'MAX_ATTEMPTS_REACHED')], alerts: [gaveUpAlert('gone')] }),
        facts('parked', { status: 'FAILED', failures: [failure(0)], parkedMessages: 1 }),
        facts('aborted', { status: 'ABORTED', failures: [failure(0, 'ABORTED')] }),
      ],
      config,
      NOW_MS,
    );
    expect(accounting.totals).toMatchObject({ failuresSeen: 7, redriven: 3, recoveredAfterRedrive: 2, gaveUp: 1, gaveUpAlerts: 1, skipped: 1, parkedInDlq: 1, notWatched: 1, duplicateRedrives: 0, unaccountedFailures: 0 });
    expect(accounting.skippedByReason).toEqual({ NON_RETRYABLE_ERROR: 1 });
    expect(accounting.executions.map((e) => e.outcome)).toEqual([
      'SUCCEEDED after 1 redrive',
      'SUCCEEDED after 1 redrive',
      'skipped: NON_RETRYABLE_ERROR',
      'gave up after 1 redrive',
      'FAILED, parked in DLQ',
      'ABORTED, not watched',
    ]);
    expect(exitCodeFor({ accounting })).toBe(0);
  });

  it('counts a redrive Step Functions saw but the ledger does not explain as a duplicate, and exits non-zero', () => {
    const accounting = accountFor([facts('twice', { redriveCount: 2, failures: [failure(0)], attempts: [attempt(0, 'REDRIVEN')] })], config, NOW_MS);
    expect(accounting.totals.duplicateRedrives).toBe(1);
    expect(accounting.problems).toEqual(['twice: redriven 2 times but the ledger accounts for 1']);
    expect(exitCodeFor({ accounting })).toBe(1);
  });

  it('counts two ledger redrives of one failure generation as a duplicate', () => {
    const accounting = accountFor([facts('double', { redriveCount: 1, failures: [failure(0)], attempts: [attempt(0, 'REDRIVEN'), attempt(0, 'REDRIVEN')] })], config, NOW_MS);
    expect(accounting.totals.duplicateRedrives).toBe(1);
    expect(accounting.problems).toEqual(['double: the ledger records 2 redrives of generation 0']);
    expect(accounting.ok).toBe(false);
  });

  it('reports watched failures that ended nowhere as unaccounted, saying why, and exits non-zero', () => {
    const accounting = accountFor(
      [
        facts('lost', { status: 'FAILED', failures: [failure(0)] }),
        facts('silent', { status: 'FAILED', redriveCount: 1, failures: [failure(0), failure(1)], attempts: [attempt(0, 'REDRIVEN'), attempt(1, 'GAVE_UP', 'MAX_ATTEMPTS_REACHED')] }),
        facts('claimed', { status: 'FAILED', failures: [failure(0)], attempts: [attempt(0, 'REDRIVEN')] }),
      ],
      config,
      NOW_MS,
    );
    expect(accounting.totals.unaccountedFailures).toBe(3);
    expect(accounting.problems).toEqual([
      'lost generation 0 (FAILED Payment.GatewayTimeout): no ledger item, no alert, not in the DLQ',
      'silent generation 1 (FAILED Payment.GatewayTimeout): gave up without an alert',
      'claimed generation 0 (FAILED Payment.GatewayTimeout): the ledger says redriven, but Step Functions shows redriveCount 0',
    ]);
    expect(exitCodeFor({ accounting })).toBe(1);
  });

  it('counts an Express execution as "express: not watched": never unaccounted, whatever the config watches', () => {
    const express = facts('quick', { express: true, status: 'UNKNOWN', executionArn: 'arn:aws:states:us-east-1:123456789012:express:orders-flow:quick:5f1e0a2c-1111-4222-8333-944445555666' });
    const accounting = accountFor([express, facts('standard', {})], config, NOW_MS);
    expect(accounting.totals).toMatchObject({ executions: 2, succeeded: 1, expressNotWatched: 1, failuresSeen: 0, notWatched: 0, unaccountedFailures: 0, duplicateRedrives: 0 });
    expect(accounting.executions.map((e) => e.outcome)).toEqual(['express: not watched', 'SUCCEEDED']);
    expect(accounting.ok).toBe(true);
  });

  it('treats a failure of an unwatched state machine as not watched, not as lost', () => {
    const other = facts('elsewhere', { status: 'FAILED', failures: [failure(0)], stateMachineArn: SM.replace('orders-flow', 'billing'), executionArn: 'arn:aws:states:us-east-1:123456789012:execution:billing:elsewhere' });
    const accounting = accountFor([other], config, NOW_MS);
    expect(accounting.notWatchedByReason).toEqual({ 'OUT_OF_SCOPE (FAILED)': 1 });
    expect(accounting.ok).toBe(true);
  });
});

describe('demo accounting: approvals', () => {
  const asked = (name: string): Alert => ({ kind: 'APPROVAL_NEEDED', executionName: name, executionArn: `arn:aws:states:us-east-1:123456789012:execution:orders-flow:${name}`, reason: 'APPROVAL_REQUIRED', detail: '', atMs: NOW_MS });
  const waitingFor = (generation: number): LedgerAttempt => ({ generation, decision: 'AWAIT_APPROVAL', reason: 'APPROVAL_REQUIRED', decidedAtMs: NOW_MS, outcome: 'APPROVAL_PENDING', actor: 'worker' });
  const withLedger = (f: ExecutionFacts, ledger: Partial<LedgerRecord>): ExecutionFacts => ({ ...f, ledger: { ...f.ledger!, ...ledger } });
  const alice = { generation: 0, verdict: 'APPROVED' as const, via: 'slack' as const, by: 'U024BE7LH', decidedAtMs: NOW_MS };

  it('treats approved, rejected and waiting-for-approval failures as places, each with who decided', () => {
    const accounting = accountFor(
      [
        withLedger(facts('approved', { redriveCount: 1, failures: [failure(0)], attempts: [waitingFor(0), { ...attempt(0, 'REDRIVEN'), actor: 'slack U024BE7LH (alice)' }], alerts: [asked('approved')] }), { phase: 'REDRIVEN', generation: 0, approval: alice }),
        withLedger(facts('rejected', { status: 'FAILED', failures: [failure(0)], attempts: [waitingFor(0), { ...attempt(0, 'REJECTED', 'REJECTED'), decision: 'REJECT' }], alerts: [asked('rejected')] }), {
          phase: 'REJECTED',
          generation: 0,
          approval: { ...alice, verdict: 'REJECTED', via: 'cli', by: 'local:carol' },
        }),
        withLedger(facts('waiting', { status: 'FAILED', failures: [failure(0)], attempts: [waitingFor(0)], alerts: [asked('waiting')] }), { phase: 'APPROVAL_PENDING', generation: 0 }),
      ],
      config,
      NOW_MS,
    );
    expect(accounting.totals).toMatchObject({ failuresSeen: 3, redriven: 0, approved: 1, rejected: 1, approvalPending: 1, unaccountedFailures: 0, duplicateRedrives: 0 });
    expect(accounting.executions.map((e) => e.failures.map((f) => [f.place, f.reason]))).toEqual([
      [['APPROVED', 'by U024BE7LH via slack']],
      [['REJECTED', 'by local:carol via cli']],
      [['APPROVAL_PENDING', 'APPROVAL_REQUIRED']],
    ]);
    expect(accounting.executions.map((e) => e.outcome)).toEqual(['SUCCEEDED after 1 redrive', 'FAILED, redrive rejected by local:carol via cli', 'FAILED, waiting for approval']);
    expect(exitCodeFor({ accounting })).toBe(0);
  });

  it('a failure left waiting without the alert that asks is unaccounted for', () => {
    const silent = withLedger(facts('silent', { status: 'FAILED', failures: [failure(0)], attempts: [waitingFor(0)] }), { phase: 'APPROVAL_PENDING', generation: 0 });
    const accounting = accountFor([silent], config, NOW_MS);
    expect(accounting.problems).toEqual(['silent generation 0 (FAILED Payment.GatewayTimeout): waiting for approval, but nobody was asked (no APPROVAL_NEEDED alert)']);
    expect(exitCodeFor({ accounting })).not.toBe(0);
  });
});

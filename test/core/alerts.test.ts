import { alertFromNotification, alertKindFor, alertSubject, buildExecutionAlert, buildPipelineErrorAlert } from '../../core/alerts';
import { consoleUrlForExecution } from '../../core/arn';
import type { Decision } from '../../core/decide';
import { truncate } from '../../core/ledger-record';
import { slackMessageForAlert } from '../../core/slack-message';
import { config, evidence, NOW_MS } from '../support/fixtures';

const decision = (action: Decision['action'], reason: Decision['reason']): Decision => ({ action, reason, detail: 'd', generation: 0, attemptNumber: 1 });

describe('alerts', () => {
  it('raises the right kind for each decision, and none for routine ones', () => {
    const cfg = config();
    expect(alertKindFor(decision('GIVE_UP', 'MAX_ATTEMPTS_REACHED'), cfg)).toBe('GAVE_UP');
    for (const reason of ['REDRIVE_WINDOW_EXPIRED', 'HISTORY_LIMIT', 'MAX_OPEN_TIME_EXCEEDED', 'STARTED_BEFORE_REDRIVE_LAUNCH', 'NOT_REDRIVABLE_PER_AWS'] as const) {
      expect(alertKindFor(decision('SKIP', reason), cfg)).toBe('NOT_REDRIVABLE');
    }
    for (const reason of ['ALREADY_HANDLED', 'OUT_OF_SCOPE', 'NOT_FAILED', 'MAP_RUN_CHILD', 'NON_RETRYABLE_ERROR'] as const) {
      expect(alertKindFor(decision('SKIP', reason), cfg)).toBeUndefined();
    }
    expect(alertKindFor(decision('SKIP', 'NON_RETRYABLE_ERROR'), config({ alerts: { notifyOnNonRetryableSkip: true } }))).toBe('SKIPPED_NON_RETRYABLE');
    expect(alertKindFor(decision('REDRIVE', 'ELIGIBLE'), cfg)).toBeUndefined();
  });

  it('carries what on-call needs, with huge causes cut safely and a short subject', () => {
    const cause = `${'x'.repeat(999)}😀${'y'.repeat(40_000)}`;
    const name = 'n'.repeat(80);
    const alert = buildExecutionAlert('GAVE_UP', evidence({ cause, executionName: name, stopDateMs: NOW_MS - 86_400_000 }), 'MAX_ATTEMPTS_REACHED', '3 of 3', 3, config(), NOW_MS);
    expect(alert).toMatchObject({ attemptsUsed: 3, attemptsLeft: 0, windowLeftMs: 13 * 86_400_000, region: 'us-east-1' });
    expect(alert.cause!.length).toBeLessThanOrEqual(1000);
    expect(alert.cause!.endsWith('…')).toBe(true);
    expect(() => encodeURIComponent(alert.cause!)).not.toThrow(); // no lone surrogate
    expect(alertSubject(alert).length).toBeLessThan(100);
    expect(JSON.stringify(slackMessageForAlert(alert)).length).toBeLessThan(6000);
  });

  it('truncate keeps short text and never splits a surrogate pair', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate(undefined, 3)).toBeUndefined();
  });

  it('links to the console of the execution own partition and region', () => {
    expect(consoleUrlForExecution('arn:aws-cn:states:cn-north-1:123456789012:execution:sm:e')).toMatch(/^https:\/\/cn-north-1\.console\.amazonaws\.cn\/states\/home\?region=cn-north-1#/);
    expect(consoleUrlForExecution('arn:aws:states:eu-west-1:123456789012:execution:sm:e')).toContain('https://eu-west-1.console.aws.amazon.com/');
  });

  it('reads notifications back, and turns anything unreadable into a pipeline error instead of dropping it', () => {
    const original = buildPipelineErrorAlert('boom', NOW_MS, 'not-an-arn');
    expect(original.executionArn).toBeUndefined();
    const wrapped = JSON.stringify({ Type: 'Notification', Message: JSON.stringify(original) });
    expect(alertFromNotification(wrapped, NOW_MS)).toEqual(original);
    expect(alertFromNotification('{{{', NOW_MS)).toMatchObject({ kind: 'PIPELINE_ERROR', detail: expect.stringContaining('Unreadable') });
    expect(alertFromNotification(JSON.stringify({ hello: 1 }), NOW_MS)).toMatchObject({ kind: 'PIPELINE_ERROR', detail: expect.stringContaining('Unrecognised') });
  });
});

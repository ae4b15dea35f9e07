import { clientTokenFor } from '../../core/client-token';
import {
  decide,
  explainRules,
  tokenMayHaveExpired,
  type DecisionContext,
} from '../../core/decide';
import { REASONS } from '../../core/reasons';
import { ACCOUNT, config, evidence, executionArn, ledgerRecord, NOW_MS, REGION } from '../support/fixtures';

// AWS's values, written out (redrive-executions.html, API_RedriveExecution.html): never the code's constants.
const REDRIVE_LAUNCH_MS = Date.parse('2023-11-15T00:00:00Z');
const REDRIVE_WINDOW_MS = 14 * 24 * 3600 * 1000;
const MAX_OPEN_TIME_MS = 365 * 24 * 3600 * 1000;
const HISTORY_EVENT_LIMIT = 24_999;

const noBackoff = { initialDelaySeconds: 0, multiplier: 1, maxDelaySeconds: 1, jitter: 'none' as const };

function ctx(overrides: Partial<DecisionContext> = {}): DecisionContext {
  return {
    evidence: evidence(),
    config: config({ backoff: noBackoff }),
    nowMs: NOW_MS,
    trigger: 'event',
    home: { partition: 'aws', region: REGION, account: ACCOUNT },
    random: () => 0.5,
    ...overrides,
  };
}

describe('decide: the happy path', () => {
  it('redrives an eligible failure with the deterministic token for its generation', () => {
    const decision = decide(ctx({ evidence: evidence({ redriveCount: 2 }) }));
    expect(decision).toMatchObject({ action: 'REDRIVE', reason: 'ELIGIBLE', generation: 2, attemptNumber: 1 });
    expect(decision.clientToken).toBe(clientTokenFor(executionArn(), 2));
  });

  it('waits for the backoff on a first event, due at now plus the delay', () => {
    const c = config({ backoff: { initialDelaySeconds: 60, multiplier: 5, maxDelaySeconds: 1800, jitter: 'none' } });
    const decision = decide(ctx({ config: c }));
    expect(decision).toMatchObject({ action: 'WAIT', reason: 'BACKOFF', dueAtMs: NOW_MS + 60_000 });
  });

  it('uses the next attempt number for the delay', () => {
    const c = config({ backoff: { initialDelaySeconds: 60, multiplier: 5, maxDelaySeconds: 1800, jitter: 'none' } });
    const ledger = ledgerRecord({ phase: 'REDRIVEN', attemptsUsed: 1, generation: 0 });
    const decision = decide(ctx({ config: c, ledger, evidence: evidence({ redriveCount: 1 }) }));
    expect(decision).toMatchObject({ action: 'WAIT', attemptNumber: 2, dueAtMs: NOW_MS + 300_000 });
  });

  it('never schedules a backoff past the safe end of the window', () => {
    const c = config({ backoff: { initialDelaySeconds: 1800, multiplier: 1, maxDelaySeconds: 1800, jitter: 'none' }, windowSafetyMarginSeconds: 900 });
    const stopDateMs = NOW_MS - REDRIVE_WINDOW_MS + 20 * 60_000; // 20 minutes left
    const decision = decide(ctx({ config: c, evidence: evidence({ stopDateMs }) }));
    expect(decision).toMatchObject({ action: 'WAIT', dueAtMs: stopDateMs + REDRIVE_WINDOW_MS - 900_000 });
  });

  it('on a recheck before the due time waits again; at the due time redrives', () => {
    const ledger = ledgerRecord({ phase: 'WAITING', dueAtMs: NOW_MS + 1000, recheckEnqueued: true });
    expect(decide(ctx({ trigger: 'recheck', ledger }))).toMatchObject({ action: 'WAIT', dueAtMs: NOW_MS + 1000 });
    expect(decide(ctx({ trigger: 'recheck', ledger, nowMs: NOW_MS + 1000 }))).toMatchObject({ action: 'REDRIVE' });
  });

  it('an operator redrives now, ignoring backoff; past the attempt cap only with an override, which the decision carries', () => {
    const c = config({ backoff: { initialDelaySeconds: 600, multiplier: 1, maxDelaySeconds: 600, jitter: 'none' }, maxAttempts: 1 });
    expect(decide(ctx({ config: c, trigger: 'operator' }))).toMatchObject({ action: 'REDRIVE', attemptNumber: 1 });
    const ledger = ledgerRecord({ phase: 'GAVE_UP', attemptsUsed: 1, reason: 'MAX_ATTEMPTS_REACHED' });
    expect(decide(ctx({ config: c, trigger: 'operator', ledger }))).toMatchObject({ action: 'GIVE_UP', reason: 'MAX_ATTEMPTS_REACHED' });
    const lifted = decide(ctx({ config: c, trigger: 'operator', ledger, overrides: { maxAttempts: true } }));
    expect(lifted).toMatchObject({ action: 'REDRIVE', attemptNumber: 2, overrides: [{ rule: 'maxAttempts', detail: '1 of 1 attempts used' }] });
  });

  it('an operator lifts the error policy only with an override; AWS rules stay', () => {
    const permissions = evidence({ error: 'States.Permissions' });
    expect(decide(ctx({ trigger: 'operator', evidence: permissions }))).toMatchObject({ action: 'SKIP', reason: 'NON_RETRYABLE_ERROR' });
    const lifted = decide(ctx({ trigger: 'operator', evidence: permissions, overrides: { errorPolicy: true, maxAttempts: true } }));
    expect(lifted).toMatchObject({ action: 'REDRIVE', overrides: [{ rule: 'errorPolicy', detail: expect.stringContaining('never-retry pattern States.Permissions') }] });
    const expired = evidence({ error: 'States.Permissions', stopDateMs: NOW_MS - REDRIVE_WINDOW_MS - 1 });
    expect(decide(ctx({ trigger: 'operator', evidence: expired, overrides: { errorPolicy: true, maxAttempts: true } }))).toMatchObject({ action: 'SKIP', reason: 'REDRIVE_WINDOW_EXPIRED' });
    // Nothing lifted, nothing recorded.
    expect(decide(ctx({ trigger: 'operator', overrides: { errorPolicy: true } })).overrides).toBeUndefined();
  });
});

describe('decide: every reason code', () => {
  it.each(['RUNNING', 'SUCCEEDED', 'PENDING_REDRIVE'] as const)('%s is NOT_FAILED', (status) => {
    expect(decide(ctx({ evidence: evidence({ status }) }))).toMatchObject({ action: 'SKIP', reason: 'NOT_FAILED' });
  });

  it('ABORTED is opt-in', () => {
    expect(decide(ctx({ evidence: evidence({ status: 'ABORTED' }) }))).toMatchObject({ reason: 'STATUS_NOT_WATCHED' });
    const optedIn = config({ backoff: noBackoff, statuses: ['FAILED', 'ABORTED'] });
    expect(decide(ctx({ config: optedIn, evidence: evidence({ status: 'ABORTED' }) }))).toMatchObject({ action: 'REDRIVE' });
  });

  it('TIMED_OUT is watched by default', () => {
    expect(decide(ctx({ evidence: evidence({ status: 'TIMED_OUT' }) })).action).toBe('REDRIVE');
  });

  it('a state machine outside the watched names is OUT_OF_SCOPE', () => {
    const arn = executionArn('e', 'Billing-Run');
    expect(decide(ctx({ evidence: evidence({ executionArn: arn }) }))).toMatchObject({ reason: 'OUT_OF_SCOPE' });
  });

  it('watches exact ARNs and "all"', () => {
    const arn = executionArn('e', 'Billing-Run');
    const byArn = config({ backoff: noBackoff, watch: { stateMachineArns: [`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Billing-Run`] } });
    expect(decide(ctx({ config: byArn, evidence: evidence({ executionArn: arn }) })).action).toBe('REDRIVE');
    const all = config({ backoff: noBackoff, watch: { all: true, allReason: 'platform team owns every workflow here' } });
    expect(decide(ctx({ config: all, evidence: evidence({ executionArn: arn }) })).action).toBe('REDRIVE');
  });

  it.each([
    ['another account', `arn:aws:states:${REGION}:999999999999:execution:Orders-Process:x`],
    ['another region', `arn:aws:states:eu-west-1:${ACCOUNT}:execution:Orders-Process:x`],
    ['another partition', `arn:aws-cn:states:${REGION}:${ACCOUNT}:execution:Orders-Process:x`],
  ])('an execution in %s is OUT_OF_SCOPE even when watching all', (_label, arn) => {
    const all = config({ watch: { all: true, allReason: 'platform team owns every workflow here' } });
    expect(decide(ctx({ config: all, evidence: evidence({ executionArn: arn }) }))).toMatchObject({ reason: 'OUT_OF_SCOPE' });
  });

  it('an Express execution ARN is EXPRESS_STATE_MACHINE', () => {
    const arn = `arn:aws:states:${REGION}:${ACCOUNT}:express:Orders-Process:x:0f3b7a52-6ac4-4a2f-9c44-111111111111`;
    expect(decide(ctx({ evidence: evidence({ executionArn: arn }) }))).toMatchObject({ reason: 'EXPRESS_STATE_MACHINE' });
  });

  it.each([
    ['a labeled ARN', { executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:Orders-Process/ProcessItems:child-1` }],
    ['a mapRunArn', { mapRunArn: `arn:aws:states:${REGION}:${ACCOUNT}:mapRun:Orders-Process/ProcessItems:abc` }],
    ['REDRIVABLE_BY_MAP_RUN', { redriveStatus: 'REDRIVABLE_BY_MAP_RUN' as const }],
  ])('a Map Run child (%s) is MAP_RUN_CHILD', (_label, fields) => {
    expect(decide(ctx({ evidence: evidence(fields) }))).toMatchObject({ action: 'SKIP', reason: 'MAP_RUN_CHILD' });
  });

  it('started before 2023-11-15: one ms before is skipped, at the launch is allowed', () => {
    const before = evidence({ startDateMs: REDRIVE_LAUNCH_MS - 1, stopDateMs: NOW_MS - 1000 });
    const at = evidence({ startDateMs: REDRIVE_LAUNCH_MS, stopDateMs: NOW_MS - 1000 });
    const now = REDRIVE_LAUNCH_MS + 1000;
    expect(decide(ctx({ nowMs: now, evidence: { ...before, stopDateMs: now - 10 } }))).toMatchObject({ reason: 'STARTED_BEFORE_REDRIVE_LAUNCH' });
    expect(decide(ctx({ nowMs: now, evidence: { ...at, stopDateMs: now - 10 } })).action).toBe('REDRIVE');
  });

  it('the one-year open limit: exactly a year is allowed, one ms more is not', () => {
    const startDateMs = NOW_MS - MAX_OPEN_TIME_MS;
    expect(decide(ctx({ evidence: evidence({ startDateMs }) })).action).toBe('REDRIVE');
    expect(decide(ctx({ evidence: evidence({ startDateMs: startDateMs - 1 }) }))).toMatchObject({ reason: 'MAX_OPEN_TIME_EXCEEDED' });
    expect(decide(ctx({ evidence: evidence({ startDateMs: startDateMs + 1 }) })).action).toBe('REDRIVE');
  });

  describe('the 14-day window', () => {
    const zeroMargin = config({ backoff: noBackoff, windowSafetyMarginSeconds: 0 });
    it('is open at exactly 14 days and one ms before; closed one ms after', () => {
      const stopAt = (msAgo: number) => evidence({ stopDateMs: NOW_MS - msAgo });
      expect(decide(ctx({ config: zeroMargin, evidence: stopAt(REDRIVE_WINDOW_MS) })).action).toBe('REDRIVE');
      expect(decide(ctx({ config: zeroMargin, evidence: stopAt(REDRIVE_WINDOW_MS - 1) })).action).toBe('REDRIVE');
      expect(decide(ctx({ config: zeroMargin, evidence: stopAt(REDRIVE_WINDOW_MS + 1) }))).toMatchObject({ reason: 'REDRIVE_WINDOW_EXPIRED' });
    });
    it('closes early by the safety margin', () => {
      const margin = config({ backoff: noBackoff, windowSafetyMarginSeconds: 900 });
      const stopDateMs = NOW_MS - REDRIVE_WINDOW_MS + 900_000;
      expect(decide(ctx({ config: margin, evidence: evidence({ stopDateMs }) })).action).toBe('REDRIVE');
      expect(decide(ctx({ config: margin, evidence: evidence({ stopDateMs: stopDateMs - 1 }) }))).toMatchObject({ reason: 'REDRIVE_WINDOW_EXPIRED' });
    });
    it('is re-checked when a backoff ends: a window that closed meanwhile skips', () => {
      const stopDateMs = NOW_MS - REDRIVE_WINDOW_MS - 1;
      const ledger = ledgerRecord({ phase: 'WAITING', dueAtMs: NOW_MS - 5, recheckEnqueued: true, stopDateMs });
      expect(decide(ctx({ config: zeroMargin, trigger: 'recheck', ledger, evidence: evidence({ stopDateMs }) }))).toMatchObject({
        action: 'SKIP',
        reason: 'REDRIVE_WINDOW_EXPIRED',
      });
    });
  });

  describe('the history limit', () => {
    it('24,998 events pass, 24,999 do not', () => {
      expect(decide(ctx({ evidence: evidence({ historyEventCount: HISTORY_EVENT_LIMIT - 1 }) })).action).toBe('REDRIVE');
      expect(decide(ctx({ evidence: evidence({ historyEventCount: HISTORY_EVENT_LIMIT }) }))).toMatchObject({ reason: 'HISTORY_LIMIT' });
    });
    it('the headroom lowers the limit', () => {
      const headroom = config({ backoff: noBackoff, historyHeadroomEvents: 1000 });
      expect(decide(ctx({ config: headroom, evidence: evidence({ historyEventCount: 23_998 }) })).action).toBe('REDRIVE');
      expect(decide(ctx({ config: headroom, evidence: evidence({ historyEventCount: 23_999 }) }))).toMatchObject({ reason: 'HISTORY_LIMIT' });
    });
  });

  it('NOT_REDRIVABLE per AWS keeps AWS reason', () => {
    const decision = decide(ctx({ evidence: evidence({ redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution history event limit exceeded' }) }));
    expect(decision).toMatchObject({ action: 'SKIP', reason: 'NOT_REDRIVABLE_PER_AWS', detail: 'Execution history event limit exceeded' });
  });

  it('a never-retry error is NON_RETRYABLE_ERROR, matched in the error or the cause', () => {
    expect(decide(ctx({ evidence: evidence({ error: 'States.Permissions' }) }))).toMatchObject({ reason: 'NON_RETRYABLE_ERROR' });
    const custom = config({ backoff: noBackoff, errorPolicy: { neverRetry: ['CardDeclined'] } });
    const cause = '{"errorType":"CardDeclined","errorMessage":"card 4242 declined"}';
    expect(decide(ctx({ config: custom, evidence: evidence({ error: 'States.TaskFailed', cause }) }))).toMatchObject({ reason: 'NON_RETRYABLE_ERROR' });
  });

  it('with an only-list, other errors are NON_RETRYABLE_ERROR', () => {
    const only = config({ backoff: noBackoff, errorPolicy: { neverRetry: [], onlyRetry: ['Lambda.*', '/Timeout$/'] } });
    expect(decide(ctx({ config: only, evidence: evidence({ error: 'Lambda.ServiceException' }) })).action).toBe('REDRIVE');
    expect(decide(ctx({ config: only, evidence: evidence({ error: 'PaymentGatewayTimeout' }) })).action).toBe('REDRIVE');
    expect(decide(ctx({ config: only, evidence: evidence({ error: 'ValidationError', cause: 'bad input' }) }))).toMatchObject({ reason: 'NON_RETRYABLE_ERROR' });
  });

  it('the attempt cap gives up at maxAttempts and not before', () => {
    const three = config({ backoff: noBackoff, maxAttempts: 3 });
    const at = (attemptsUsed: number) => ledgerRecord({ phase: 'REDRIVEN', generation: attemptsUsed - 1, attemptsUsed });
    expect(decide(ctx({ config: three, ledger: at(2), evidence: evidence({ redriveCount: 2 }) })).action).toBe('REDRIVE');
    expect(decide(ctx({ config: three, ledger: at(3), evidence: evidence({ redriveCount: 3 }) }))).toMatchObject({
      action: 'GIVE_UP',
      reason: 'MAX_ATTEMPTS_REACHED',
    });
  });

  describe('ALREADY_HANDLED', () => {
    it('a duplicate event for a generation already redriven is skipped', () => {
      const ledger = ledgerRecord({ phase: 'REDRIVEN', generation: 0, attemptsUsed: 1 });
      expect(decide(ctx({ ledger }))).toMatchObject({ action: 'SKIP', reason: 'ALREADY_HANDLED' });
    });
    it('a stale event for an older generation is skipped', () => {
      const ledger = ledgerRecord({ phase: 'WAITING', generation: 3, attemptsUsed: 3 });
      expect(decide(ctx({ ledger, evidence: evidence({ redriveCount: 1 }) }))).toMatchObject({ reason: 'ALREADY_HANDLED' });
    });
    it('a duplicate while the backoff runs is skipped', () => {
      const ledger = ledgerRecord({ phase: 'WAITING', recheckEnqueued: true, dueAtMs: NOW_MS + 5000 });
      expect(decide(ctx({ ledger }))).toMatchObject({ reason: 'ALREADY_HANDLED' });
    });
    it('a recheck for a generation that moved on is skipped', () => {
      const ledger = ledgerRecord({ phase: 'REDRIVEN', generation: 0, attemptsUsed: 1 });
      expect(decide(ctx({ trigger: 'recheck', ledger }))).toMatchObject({ reason: 'ALREADY_HANDLED' });
    });
  });

  describe('resuming after a crash', () => {
    it('a REDRIVING claim older than the worker timeout is finished with its own token, even at the attempt cap', () => {
      const ledger = ledgerRecord({ phase: 'REDRIVING', attemptsUsed: 3, clientToken: 'tok-1', tokenFirstUsedAtMs: NOW_MS - 60_000, updatedAtMs: NOW_MS - 60_000 });
      const decision = decide(ctx({ config: config({ maxAttempts: 3, worker: { timeoutSeconds: 60 } }), ledger }));
      expect(decision).toMatchObject({ action: 'REDRIVE', resume: true, clientToken: 'tok-1', attemptNumber: 3 });
    });
    it('a REDRIVING claim younger than the worker timeout belongs to a live worker: leave it', () => {
      const ledger = ledgerRecord({ phase: 'REDRIVING', attemptsUsed: 1, clientToken: 'tok-1', updatedAtMs: NOW_MS - 59_999 });
      expect(decide(ctx({ config: config({ worker: { timeoutSeconds: 60 } }), ledger }))).toMatchObject({ action: 'SKIP', reason: 'ALREADY_HANDLED' });
    });
    it('a WAITING claim whose recheck was never sent is re-sent with its due time', () => {
      const c = config({ backoff: { initialDelaySeconds: 60, multiplier: 1, maxDelaySeconds: 60, jitter: 'none' } });
      const ledger = ledgerRecord({ phase: 'WAITING', recheckEnqueued: false, dueAtMs: NOW_MS + 42_000 });
      expect(decide(ctx({ config: c, ledger }))).toMatchObject({ action: 'WAIT', resume: true, dueAtMs: NOW_MS + 42_000 });
    });
    it('the token is treated as possibly expired from 14 minutes after first use', () => {
      const ledger = ledgerRecord({ phase: 'REDRIVING', tokenFirstUsedAtMs: NOW_MS });
      expect(tokenMayHaveExpired(ledger, NOW_MS + 14 * 60_000 - 1)).toBe(false);
      expect(tokenMayHaveExpired(ledger, NOW_MS + 14 * 60_000)).toBe(true);
      expect(tokenMayHaveExpired(undefined, NOW_MS)).toBe(false);
    });
  });
});

describe('explainRules', () => {
  it('reports every rule, passed or failed, with a reason', () => {
    const results = explainRules(ctx({ evidence: evidence({ error: 'States.Permissions', historyEventCount: 24_999 }) }));
    expect(results.map((r) => r.rule)).toEqual([
      'scope', 'status', 'standardType', 'notMapRunChild', 'notAlreadyHandled', 'startedAfterLaunch',
      'maxOpenTime', 'redriveWindow', 'historyLimit', 'awsRedriveStatus', 'errorPolicy', 'maxAttempts',
    ]);
    const failed = results.filter((r) => !r.passed).map((r) => [r.rule, r.decision?.reason]);
    expect(failed).toEqual([
      ['historyLimit', 'HISTORY_LIMIT'],
      ['errorPolicy', 'NON_RETRYABLE_ERROR'],
    ]);
    expect(results.every((r) => r.detail.length > 0)).toBe(true);
  });

  it('every reason code has human text', () => {
    for (const text of Object.values(REASONS)) expect(text.length).toBeGreaterThan(10);
  });
});

describe('decide: policy modes', () => {
  const modes = config({
    backoff: noBackoff,
    errorPolicy: {
      rules: [
        { match: ['PaymentGatewayTimeout'], action: 'approve' },
        { match: ['SchemaMismatch'], action: 'restart', target: 'latest' },
      ],
    },
  });

  it('approve: every rule passes, and the worker asks a person instead of redriving', () => {
    expect(decide(ctx({ config: modes }))).toMatchObject({
      action: 'AWAIT_APPROVAL',
      reason: 'APPROVAL_REQUIRED',
      detail: 'matches errorPolicy.rules[0] pattern PaymentGatewayTimeout: approve',
      policy: { action: 'approve', rulePath: 'errorPolicy.rules[0]' },
    });
  });

  it('approve still obeys AWS\'s rules and the attempt cap first', () => {
    const expired = evidence({ stopDateMs: NOW_MS - REDRIVE_WINDOW_MS });
    expect(decide(ctx({ config: modes, evidence: expired }))).toMatchObject({ action: 'SKIP', reason: 'REDRIVE_WINDOW_EXPIRED' });
    const spent = ledgerRecord({ phase: 'REDRIVEN', attemptsUsed: 3 });
    expect(decide(ctx({ config: modes, ledger: spent, evidence: evidence({ redriveCount: 1 }) }))).toMatchObject({ action: 'GIVE_UP', reason: 'MAX_ATTEMPTS_REACHED' });
  });

  it('a pending approval is handled: another event for it changes nothing', () => {
    const pending = ledgerRecord({ phase: 'APPROVAL_PENDING', reason: 'APPROVAL_REQUIRED' });
    expect(decide(ctx({ config: modes, ledger: pending }))).toMatchObject({ action: 'SKIP', reason: 'ALREADY_HANDLED' });
  });

  it('an approval redrives the pending generation at once, with its deterministic token', () => {
    const pending = ledgerRecord({ phase: 'APPROVAL_PENDING', reason: 'APPROVAL_REQUIRED' });
    const decision = decide(ctx({ config: modes, ledger: pending, trigger: 'approval' }));
    expect(decision).toMatchObject({ action: 'REDRIVE', reason: 'ELIGIBLE', generation: 0 });
    expect(decision.clientToken).toBe(clientTokenFor(executionArn(), 0));
  });

  it('an approval with nothing pending at that generation does nothing', () => {
    for (const ledger of [undefined, ledgerRecord({ phase: 'REDRIVEN', reason: 'ELIGIBLE' }), ledgerRecord({ phase: 'REJECTED', reason: 'REJECTED' })]) {
      expect(decide(ctx({ config: modes, ledger, trigger: 'approval' }))).toMatchObject({ action: 'SKIP', reason: 'APPROVAL_NOT_PENDING' });
    }
    // The execution moved on (redriven elsewhere and failed again): the approval was for generation 0.
    const pending = ledgerRecord({ phase: 'APPROVAL_PENDING', reason: 'APPROVAL_REQUIRED' });
    expect(decide(ctx({ config: modes, ledger: pending, trigger: 'approval', evidence: evidence({ redriveCount: 1 }) }))).toMatchObject({ action: 'SKIP', reason: 'APPROVAL_NOT_PENDING' });
  });

  it('an approval whose worker crashed after its claim finishes that claim once the claim is older than the worker timeout', () => {
    const claimed = ledgerRecord({ phase: 'REDRIVING', reason: 'ELIGIBLE', attemptsUsed: 1, clientToken: 'token-0', updatedAtMs: NOW_MS - 61_000 });
    expect(decide(ctx({ config: modes, ledger: claimed, trigger: 'approval' }))).toMatchObject({ action: 'REDRIVE', resume: true, clientToken: 'token-0' });
    const young = { ...claimed, updatedAtMs: NOW_MS - 5_000 };
    expect(decide(ctx({ config: modes, ledger: young, trigger: 'approval' }))).toMatchObject({ action: 'SKIP', reason: 'ALREADY_HANDLED' });
  });

  it('restart: a RESTART decision on the rule\'s target, given up after maxAttempts restarts along the line', () => {
    expect(decide(ctx({ config: modes, evidence: evidence({ error: 'SchemaMismatch' }) }))).toMatchObject({
      action: 'RESTART',
      reason: 'RESTART',
      policy: { action: 'restart', restartTarget: 'latest' },
    });
    // maxAttempts is 3 (the default): the first and second restarts may be restarted again, the third may not.
    const restarted = (n: number) => evidence({ error: 'SchemaMismatch', executionName: `exec-1-restart-${n}`, executionArn: `${evidence().executionArn}-restart-${n}` });
    expect(decide(ctx({ config: modes, evidence: restarted(2) }))).toMatchObject({ action: 'RESTART' });
    expect(decide(ctx({ config: modes, evidence: restarted(3) }))).toMatchObject({ action: 'GIVE_UP', reason: 'MAX_ATTEMPTS_REACHED', detail: expect.stringContaining('restarted 3 times already (maxAttempts 3)') });
  });

  it('an operator is the person an approve rule asks for, and may lift a restart rule like any policy rule', () => {
    expect(decide(ctx({ config: modes, trigger: 'operator' }))).toMatchObject({ action: 'REDRIVE' });
    const schema = evidence({ error: 'SchemaMismatch' });
    expect(decide(ctx({ config: modes, trigger: 'operator', evidence: schema }))).toMatchObject({ action: 'RESTART', reason: 'RESTART' });
    expect(decide(ctx({ config: modes, trigger: 'operator', evidence: schema, overrides: { errorPolicy: true } }))).toMatchObject({ action: 'REDRIVE', overrides: [{ rule: 'errorPolicy' }] });
  });

  it('explain names the rule that matched and why', () => {
    const rules = explainRules(ctx({ config: modes }));
    expect(rules.find((r) => r.rule === 'errorPolicy')).toMatchObject({ passed: true, detail: 'PaymentGatewayTimeout: matches errorPolicy.rules[0] pattern PaymentGatewayTimeout: approve' });
  });
});

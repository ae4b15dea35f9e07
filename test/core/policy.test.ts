import fc from 'fast-check';
import { parseConfig, type AutoRedriveConfig } from '../../core/config';
import { backoffDelayMs, compilePattern, evaluateErrorPolicy } from '../../core/policy';

const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders-flow';

function policy(input: Partial<AutoRedriveConfig['errorPolicy']>): AutoRedriveConfig['errorPolicy'] {
  return parseConfig({ watch: { all: true, allReason: 'policy tests only' }, errorPolicy: input }).errorPolicy;
}

describe('error policy matching', () => {
  it('matches an exact name only as a whole name', () => {
    expect(compilePattern('States.Timeout').test('States.Timeout')).toBe(true);
    expect(compilePattern('States.Timeout').test('States.TimeoutX')).toBe(false);
    expect(compilePattern('Timeout').test('States.Timeout')).toBe(false);
  });
  it('supports globs and /regex/flags', () => {
    expect(compilePattern('Lambda.*').test('Lambda.TooManyRequestsException')).toBe(true);
    expect(compilePattern('Lambda.*').test('States.TaskFailed')).toBe(false);
    expect(compilePattern('/card .* declined/i').test('Card 4242 DECLINED')).toBe(true);
  });
  it('finds a name inside a JSON cause', () => {
    const verdict = evaluateErrorPolicy(policy({ neverRetry: ['InvalidOrder'], onlyRetry: [] }), SM, 'States.TaskFailed', '{"errorType":"InvalidOrder"}');
    expect(verdict).toMatchObject({ retryable: false, matchedPattern: 'InvalidOrder' });
  });
  it('judges alike every time a stateful /…/g or /…/y pattern is used (compiled patterns are reused)', () => {
    const never = policy({ neverRetry: ['/Declined/g', '/^Fraud/y'], onlyRetry: [] });
    for (let i = 0; i < 3; i++) expect(evaluateErrorPolicy(never, SM, 'Card.Declined', undefined)).toMatchObject({ retryable: false, matchedPattern: '/Declined/g' });
    for (let i = 0; i < 3; i++) expect(evaluateErrorPolicy(never, SM, 'Fraud.Suspected', undefined)).toMatchObject({ retryable: false, matchedPattern: '/^Fraud/y' });
    expect(evaluateErrorPolicy(never, SM, 'States.Timeout', undefined).retryable).toBe(true);
  });
  it('never-list wins over only-list', () => {
    const verdict = evaluateErrorPolicy(policy({ neverRetry: ['X.Fatal'], onlyRetry: ['X.*'] }), SM, 'X.Fatal', undefined);
    expect(verdict.retryable).toBe(false);
  });
  it('an execution with no error passes an empty only-list and fails a non-empty one', () => {
    expect(evaluateErrorPolicy(policy({ neverRetry: ['A'], onlyRetry: [] }), SM, undefined, undefined).retryable).toBe(true);
    expect(evaluateErrorPolicy(policy({ neverRetry: [], onlyRetry: ['A'] }), SM, undefined, undefined).retryable).toBe(false);
  });
});

/**
 * The policy as it was before rules (commit 9aa5ff7, core/policy.ts), frozen here as the oracle: a
 * config without rules must decide exactly as it did.
 */
function policyBeforeRules(neverRetry: string[], onlyRetry: string[], error: string | undefined, cause: string | undefined): boolean {
  const texts = [error, cause].filter((t): t is string => typeof t === 'string' && t.length > 0);
  const matches = (patterns: string[]) => patterns.some((p) => texts.some((t) => compilePattern(p).test(t)));
  if (matches(neverRetry)) return false;
  return onlyRetry.length === 0 || matches(onlyRetry);
}

describe('error policy rules', () => {
  const names = fc.constantFrom('States.Timeout', 'States.Permissions', 'Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'CardDeclined', 'X.Fatal', 'Custom.Err');
  const patterns = fc.array(fc.constantFrom('States.*', 'Lambda.*', 'CardDeclined', 'X.Fatal', '/Timeout$/', '/^Custom/', 'States.Permissions'), { maxLength: 3 });
  const text = fc.option(fc.oneof(names, fc.string({ maxLength: 20 }), names.map((n) => `{"errorType":"${n}"}`)), { nil: undefined });

  it('without rules, neverRetry and onlyRetry decide exactly as before: auto when retryable, never otherwise', () => {
    fc.assert(
      fc.property(patterns, patterns, text, text, (neverRetry, onlyRetry, error, cause) => {
        const verdict = evaluateErrorPolicy(policy({ neverRetry, onlyRetry }), SM, error, cause);
        const before = policyBeforeRules(neverRetry, onlyRetry, error, cause);
        return verdict.action === (before ? 'auto' : 'never') && verdict.retryable === before;
      }),
      { numRuns: 2000 },
    );
  });

  it('the first matching rule chooses the action and explain names it', () => {
    const p = policy({
      neverRetry: [],
      rules: [
        { match: ['CardDeclined'], action: 'approve', note: 'a person checks the card' },
        { match: ['Lambda.*'], action: 'auto' },
        { match: ['Card*'], action: 'never' },
      ],
    });
    expect(evaluateErrorPolicy(p, SM, 'CardDeclined', undefined)).toMatchObject({
      action: 'approve',
      source: 'rule',
      rulePath: 'errorPolicy.rules[0]',
      matchedPattern: 'CardDeclined',
      detail: 'matches errorPolicy.rules[0] pattern CardDeclined: approve (a person checks the card)',
    });
    expect(evaluateErrorPolicy(p, SM, 'CardExpired', undefined)).toMatchObject({ action: 'never', rulePath: 'errorPolicy.rules[2]' });
    expect(evaluateErrorPolicy(p, SM, 'States.TaskFailed', '{"errorType":"Lambda.ServiceException"}')).toMatchObject({ action: 'auto', rulePath: 'errorPolicy.rules[1]' });
    expect(evaluateErrorPolicy(p, SM, 'Other', undefined)).toMatchObject({ action: 'auto', source: 'default' });
  });

  it('neverRetry wins over every rule; onlyRetry judges only what no rule matched', () => {
    const p = policy({ neverRetry: ['States.Permissions'], onlyRetry: ['Lambda.*'], rules: [{ match: ['States.*'], action: 'approve' }] });
    expect(evaluateErrorPolicy(p, SM, 'States.Permissions', undefined)).toMatchObject({ action: 'never', source: 'neverRetry' });
    expect(evaluateErrorPolicy(p, SM, 'States.Timeout', undefined)).toMatchObject({ action: 'approve', source: 'rule' });
    expect(evaluateErrorPolicy(p, SM, 'Lambda.Unknown', undefined)).toMatchObject({ action: 'auto', source: 'onlyRetry' });
    expect(evaluateErrorPolicy(p, SM, 'Custom.Err', undefined)).toMatchObject({ action: 'never', source: 'onlyRetry' });
  });

  it('a state machine\'s rules come first: its exact ARN, then the longest prefix, then the defaults', () => {
    const p = policy({
      neverRetry: [],
      rules: [{ match: ['Custom.*'], action: 'never' }],
      stateMachines: [
        { namePrefix: 'orders-', rules: [{ match: ['Custom.*'], action: 'auto' }] },
        { namePrefix: 'orders-fl', rules: [{ match: ['Custom.Err'], action: 'approve' }] },
        { stateMachineArn: SM, rules: [{ match: ['Custom.Exact'], action: 'restart', target: { alias: 'prod' } }] },
      ],
    });
    expect(evaluateErrorPolicy(p, SM, 'Custom.Exact', undefined)).toMatchObject({ action: 'restart', rulePath: 'errorPolicy.stateMachines[2].rules[0]', restartTarget: { alias: 'prod' } });
    expect(evaluateErrorPolicy(p, SM, 'Custom.Err', undefined)).toMatchObject({ action: 'approve', rulePath: 'errorPolicy.stateMachines[1].rules[0]' });
    expect(evaluateErrorPolicy(p, SM, 'Custom.Other', undefined)).toMatchObject({ action: 'auto', rulePath: 'errorPolicy.stateMachines[0].rules[0]' });
    const billing = 'arn:aws:states:us-east-1:123456789012:stateMachine:billing';
    expect(evaluateErrorPolicy(p, billing, 'Custom.Err', undefined)).toMatchObject({ action: 'never', rulePath: 'errorPolicy.rules[0]' });
  });
});

describe('backoff schedule', () => {
  const schedule = { initialDelaySeconds: 60, multiplier: 5, maxDelaySeconds: 1800, jitter: 'none' as const };
  it('grows by the multiplier up to the cap: 1 min, 5 min, 25 min, 30 min', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, schedule))).toEqual([60_000, 300_000, 1_500_000, 1_800_000, 1_800_000]);
  });
  it('full jitter stays within [0, the un-jittered delay] and reaches both ends', () => {
    const full = { ...schedule, jitter: 'full' as const };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const delay = backoffDelayMs(attempt, full, () => r);
        return delay >= 0 && delay <= backoffDelayMs(attempt, schedule) && Number.isInteger(delay);
      }),
      { numRuns: 1000 },
    );
    expect(backoffDelayMs(1, full, () => 0)).toBe(0);
    expect(backoffDelayMs(1, full, () => 0.9999999)).toBe(60_000);
  });
});

import fc from 'fast-check';
import { backoffDelayMs, compilePattern, evaluateErrorPolicy } from '../../core/policy';

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
    const verdict = evaluateErrorPolicy({ neverRetry: ['InvalidOrder'], onlyRetry: [] }, 'States.TaskFailed', '{"errorType":"InvalidOrder"}');
    expect(verdict).toMatchObject({ retryable: false, matchedPattern: 'InvalidOrder' });
  });
  it('never-list wins over only-list', () => {
    const verdict = evaluateErrorPolicy({ neverRetry: ['X.Fatal'], onlyRetry: ['X.*'] }, 'X.Fatal', undefined);
    expect(verdict.retryable).toBe(false);
  });
  it('an execution with no error passes an empty only-list and fails a non-empty one', () => {
    expect(evaluateErrorPolicy({ neverRetry: ['A'], onlyRetry: [] }, undefined, undefined).retryable).toBe(true);
    expect(evaluateErrorPolicy({ neverRetry: [], onlyRetry: ['A'] }, undefined, undefined).retryable).toBe(false);
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

/** Error-policy matching and the backoff schedule. */
import type { AutoRedriveConfig } from './config';

/**
 * A policy pattern is an exact error name, a glob with `*` (e.g. `States.*`), or a `/regex/flags`.
 * Exact names and globs match the whole error, or appear as a whole word in the cause.
 */
export function compilePattern(pattern: string): RegExp {
  const regexLiteral = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (regexLiteral) return new RegExp(regexLiteral[1], regexLiteral[2]);
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^\\s"]*');
  return new RegExp(`(^|[^A-Za-z0-9_.])${body}($|[^A-Za-z0-9_.])`);
}

export interface ErrorPolicyVerdict {
  retryable: boolean;
  /** The pattern that decided, if any. */
  matchedPattern?: string;
  detail: string;
}

function firstMatch(patterns: string[], texts: string[]): string | undefined {
  return patterns.find((pattern) => {
    const regex = compilePattern(pattern);
    return texts.some((text) => regex.test(text));
  });
}

export function evaluateErrorPolicy(
  policy: AutoRedriveConfig['errorPolicy'],
  error: string | undefined,
  cause: string | undefined,
): ErrorPolicyVerdict {
  const texts = [error, cause].filter((t): t is string => typeof t === 'string' && t.length > 0);
  const never = firstMatch(policy.neverRetry, texts);
  if (never) return { retryable: false, matchedPattern: never, detail: `matches never-retry pattern ${never}` };
  if (policy.onlyRetry.length > 0) {
    const only = firstMatch(policy.onlyRetry, texts);
    if (!only) return { retryable: false, detail: 'matches none of the only-retry patterns' };
    return { retryable: true, matchedPattern: only, detail: `matches only-retry pattern ${only}` };
  }
  return { retryable: true, detail: 'no never-retry pattern matches' };
}

/**
 * Delay before the given attempt (1-based): min(cap, initial * multiplier^(attempt-1)), and with full
 * jitter a uniform draw from [0, that]. `random` returns [0, 1); pass a seeded one in tests.
 */
export function backoffDelayMs(
  attempt: number,
  backoff: AutoRedriveConfig['backoff'],
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const ceilingSeconds = Math.min(backoff.maxDelaySeconds, backoff.initialDelaySeconds * backoff.multiplier ** exponent);
  const ceilingMs = Math.round(ceilingSeconds * 1000);
  return backoff.jitter === 'full' ? Math.floor(random() * (ceilingMs + 1)) : ceilingMs;
}

/** Error-policy matching and the backoff schedule. */
import type { AutoRedriveConfig, PolicyAction, PolicyRule } from './config';

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

/** Which part of the error policy decided. */
export type PolicySource = 'neverRetry' | 'rule' | 'onlyRetry' | 'default';

export interface ErrorPolicyVerdict {
  action: PolicyAction;
  /** False only for `never`: the error is not redriven by anyone's decision but an operator's override. */
  retryable: boolean;
  source: PolicySource;
  /** The pattern that decided, if any. */
  matchedPattern?: string;
  /** For a rule: where it is written, e.g. `errorPolicy.rules[2]` or `errorPolicy.stateMachines[0].rules[1]`. */
  rulePath?: string;
  /** For a restart rule: what it restarts on. */
  restartTarget?: RestartTarget;
  detail: string;
}

export type RestartTarget = Extract<PolicyRule, { action: 'restart' }>['target'];

/** Compiled once per pattern: a bulk run judges every execution against the same few config patterns. */
const compiledPatterns = new Map<string, RegExp>();

function firstMatch(patterns: string[], texts: string[]): string | undefined {
  return patterns.find((pattern) => {
    let regex = compiledPatterns.get(pattern);
    if (!regex) compiledPatterns.set(pattern, (regex = compilePattern(pattern)));
    return texts.some((text) => {
      // A `/…/g` or `/…/y` pattern keeps state between tests: each test starts afresh, as a new RegExp would.
      regex.lastIndex = 0;
      return regex.test(text);
    });
  });
}

interface PlacedRule {
  rule: PolicyRule;
  path: string;
}

/**
 * The rules that apply to one state machine, in the order they are tried: its exact-ARN entries, then
 * its name-prefix entries from the longest prefix to the shortest, then the default rules.
 */
export function rulesFor(policy: AutoRedriveConfig['errorPolicy'], stateMachineArn: string): PlacedRule[] {
  const name = stateMachineArn.split(':')[6] ?? '';
  const entries = policy.stateMachines.map((entry, index) => ({ entry, index }));
  const exact = entries.filter(({ entry }) => entry.stateMachineArn === stateMachineArn);
  const byPrefix = entries
    .filter(({ entry }) => entry.namePrefix !== undefined && name.startsWith(entry.namePrefix))
    .sort((a, b) => b.entry.namePrefix!.length - a.entry.namePrefix!.length || a.index - b.index);
  const specific = [...exact, ...byPrefix].flatMap(({ entry, index }) => entry.rules.map((rule, i) => ({ rule, path: `errorPolicy.stateMachines[${index}].rules[${i}]` })));
  return [...specific, ...policy.rules.map((rule, i) => ({ rule, path: `errorPolicy.rules[${i}]` }))];
}

const verdict = (action: PolicyAction, source: PolicySource, detail: string, extra: Partial<ErrorPolicyVerdict> = {}): ErrorPolicyVerdict => ({
  action,
  retryable: action !== 'never',
  source,
  detail,
  ...extra,
});

/**
 * The action for one failure. neverRetry wins (errors that fail the same way on every rerun); then the
 * first matching rule; then onlyRetry, which when not empty makes an unmatched error `never`; then `auto`.
 * With no rules this is exactly the policy of neverRetry and onlyRetry alone.
 */
export function evaluateErrorPolicy(
  policy: AutoRedriveConfig['errorPolicy'],
  stateMachineArn: string,
  error: string | undefined,
  cause: string | undefined,
): ErrorPolicyVerdict {
  const texts = [error, cause].filter((t): t is string => typeof t === 'string' && t.length > 0);
  const never = firstMatch(policy.neverRetry, texts);
  if (never) return verdict('never', 'neverRetry', `matches never-retry pattern ${never}`, { matchedPattern: never });
  for (const { rule, path } of rulesFor(policy, stateMachineArn)) {
    const pattern = firstMatch(rule.match, texts);
    if (!pattern) continue;
    const note = rule.note ? ` (${rule.note})` : '';
    const target = rule.action === 'restart' ? { restartTarget: rule.target } : {};
    return verdict(rule.action, 'rule', `matches ${path} pattern ${pattern}: ${rule.action}${note}`, { matchedPattern: pattern, rulePath: path, ...target });
  }
  if (policy.onlyRetry.length > 0) {
    const only = firstMatch(policy.onlyRetry, texts);
    if (!only) return verdict('never', 'onlyRetry', 'matches none of the only-retry patterns');
    return verdict('auto', 'onlyRetry', `matches only-retry pattern ${only}`, { matchedPattern: only });
  }
  return verdict('auto', 'default', 'no never-retry pattern matches');
}

/** Whether judging this policy needs the error text (a policy with no patterns at all does not). */
export function policyReadsErrorText(policy: AutoRedriveConfig['errorPolicy']): boolean {
  return policy.neverRetry.length > 0 || policy.onlyRetry.length > 0 || policy.rules.length > 0 || policy.stateMachines.length > 0;
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

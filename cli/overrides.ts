/**
 * The operator's explicit overrides of our own policy, and what each reason code means for them: our
 * rules can be lifted for one run (with --reason, recorded in the ledger), AWS's rules cannot.
 */
import type { PolicyOverrides } from '../core/decide';
import type { ReasonCode } from '../core/reasons';
import { CliError } from './errors';

export interface OverrideOptions {
  overrideErrorPolicy?: boolean;
  overrideMaxAttempts?: boolean;
}

/** The flag that lifts each of our policy rules. */
export const OVERRIDE_FLAGS = {
  errorPolicy: '--override-error-policy',
  maxAttempts: '--override-max-attempts',
} as const;

const LIFTED_BY: Partial<Record<ReasonCode, string>> = {
  NON_RETRYABLE_ERROR: OVERRIDE_FLAGS.errorPolicy,
  MAX_ATTEMPTS_REACHED: OVERRIDE_FLAGS.maxAttempts,
};

/** Step Functions' own redrive rules: no flag lifts them, the API would refuse. */
const AWS_RULES: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'EXPRESS_STATE_MACHINE',
  'MAP_RUN_CHILD',
  'STARTED_BEFORE_REDRIVE_LAUNCH',
  'REDRIVE_WINDOW_EXPIRED',
  'MAX_OPEN_TIME_EXCEEDED',
  'HISTORY_LIMIT',
  'NOT_REDRIVABLE_PER_AWS',
  'NOT_FAILED',
  'EXECUTION_NOT_FOUND',
]);

/** How an ineligible verdict could change: the flag that lifts it, or why nothing can. */
export function liftability(reason: string): string {
  const flag = LIFTED_BY[reason as ReasonCode];
  if (flag) return `our policy: ${flag} lifts it`;
  if (AWS_RULES.has(reason as ReasonCode)) return 'AWS rule: cannot be lifted';
  if (reason === 'ALREADY_HANDLED') return 'already handled for this failure: nothing to lift';
  return '-';
}

export function policyOverrides(options: OverrideOptions, reason: string | undefined): PolicyOverrides | undefined {
  const overrides: PolicyOverrides = {
    ...(options.overrideErrorPolicy && { errorPolicy: true }),
    ...(options.overrideMaxAttempts && { maxAttempts: true }),
  };
  const flags = describeOverrides(overrides);
  if (flags.length === 0) return undefined;
  if (!reason) throw new CliError(`${flags.join(' and ')} lift${flags.length === 1 ? 's' : ''} our policy for this run: give --reason "…", recorded in the ledger with your identity for each execution it changes`);
  return overrides;
}

export function describeOverrides(overrides: PolicyOverrides | undefined): string[] {
  return (Object.keys(OVERRIDE_FLAGS) as Array<keyof PolicyOverrides>).filter((rule) => overrides?.[rule]).map((rule) => OVERRIDE_FLAGS[rule]);
}

/**
 * How many iterations of an inline Map run at once: `MaxConcurrency`, or `MaxConcurrencyPath` read from
 * the state input; 0 or absent means no limit
 * (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html).
 */
import type { StateDef } from './definition';
import { readField } from './json-path';
import { runtimeError } from './states-error';

export const isConcurrency = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

export function mapConcurrency(state: StateDef, input: unknown, context: unknown): number {
  // Validated: a JSONPath state's MaxConcurrency is a number (a JSONata one may be an expression, evaluated elsewhere).
  if (state.MaxConcurrencyPath === undefined) return (state.MaxConcurrency as number | undefined) ?? 0;
  const value = readField('MaxConcurrencyPath', state.MaxConcurrencyPath, input, context);
  if (!isConcurrency(value)) throw runtimeError(`The MaxConcurrencyPath field refers to value ${JSON.stringify(value)}, which is not a non-negative integer`);
  return value;
}

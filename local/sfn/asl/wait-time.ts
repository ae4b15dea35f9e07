/**
 * When a Wait state ends (https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html):
 * `Seconds`/`SecondsPath` give a whole, non-negative number of seconds; `Timestamp`/`TimestampPath` an
 * ASL timestamp (./timestamp.ts), of which only whole seconds count. The causes are those AWS gives (its recorded histories, e.g. "The TimestampPath parameter does
 * not reference a valid ISO-8601 extended offset date-time format string: $.start_at == 2023-12-11T22:05:59").
 */
import { readPathOr } from './json-path';
import type { StateDef } from './definition';
import { runtimeError } from './states-error';
import { isTimestamp } from './timestamp';

/**
 * AWS keeps its wait times in 32-bit seconds: a Wait ending 24,855 days ahead works, one 24,856 days
 * ahead fails (measured on AWS by LocalStack's test_timestamp_too_far_in_future_boundary).
 */
const MAX_WAIT_SECONDS = 2 ** 31 - 1;

/** Epoch ms at which the Wait `state` ends, entered at `nowMs` with `input`. */
export function waitDueMs(state: StateDef, input: unknown, context: unknown, nowMs: number): number {
  let dueMs: number;
  if (state.Seconds !== undefined) {
    dueMs = nowMs + state.Seconds * 1000;
  } else if (state.SecondsPath !== undefined) {
    dueMs = nowMs + secondsAt(state.SecondsPath, input, context) * 1000;
  } else {
    const [field, value] = state.Timestamp !== undefined ? ['Timestamp', state.Timestamp] : ['TimestampPath', parameterAt('TimestampPath', state.TimestampPath!, input, context)];
    if (!isTimestamp(value)) {
      const described = field === 'TimestampPath' ? `${state.TimestampPath} == ${String(value)}` : String(value);
      throw runtimeError(`The ${field} parameter does not reference a valid ISO-8601 extended offset date-time format string: ${described}`);
    }
    dueMs = Math.floor(Date.parse(value) / 1000) * 1000;
  }
  if (dueMs - nowMs > MAX_WAIT_SECONDS * 1000) throw runtimeError('Wait state delay is too long');
  return dueMs;
}

function secondsAt(path: string, input: unknown, context: unknown): number {
  const seconds = parameterAt('SecondsPath', path, input, context);
  if (typeof seconds !== 'number' || !Number.isInteger(seconds)) {
    throw runtimeError(`The SecondsPath parameter cannot be parsed as a long value: ${path} == ${describe(seconds)}`);
  }
  if (seconds < 0) throw runtimeError(`The SecondsPath parameter references a negative value: ${path} == ${seconds}`);
  return seconds;
}

function parameterAt(field: string, path: string, input: unknown, context: unknown): unknown {
  return readPathOr(path, input, context, () => runtimeError(`The ${field} parameter does not reference an input value: ${path}`));
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * ASL timestamps (https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html, and the Choice
 * Timestamp operators): the RFC 3339 profile of ISO 8601, with an uppercase `T` between date and time and
 * a `Z` or a numeric offset, e.g. `2024-08-18T17:33:00Z` or `2024-08-18T19:33:00.5+02:00`.
 */
const RFC3339_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export const isTimestamp = (value: unknown): value is string =>
  typeof value === 'string' && RFC3339_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));

/** Choice state rules: every comparison operator (and its `...Path` variant), And / Or / Not. */
import { pathExists, readPath, readPathOr } from './json-path';
import { runtimeError } from './states-error';
import { isTimestamp } from './timestamp';

export type ChoiceRule = Record<string, unknown>;

type Compare = (actual: unknown, expected: unknown) => boolean;


const typed =
  <T>(guard: (v: unknown) => v is T, test: (a: T, b: T) => boolean): Compare =>
  (a, b) =>
    guard(a) && guard(b) && test(a, b);

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const time = (v: string) => Date.parse(v);

export const COMPARISONS: Record<string, Compare> = {
  StringEquals: typed(isString, (a, b) => a === b),
  StringLessThan: typed(isString, (a, b) => a < b),
  StringGreaterThan: typed(isString, (a, b) => a > b),
  StringLessThanEquals: typed(isString, (a, b) => a <= b),
  StringGreaterThanEquals: typed(isString, (a, b) => a >= b),
  StringMatches: typed(isString, (a, pattern) => wildcardRegExp(pattern).test(a)),
  NumericEquals: typed(isNumber, (a, b) => a === b),
  NumericLessThan: typed(isNumber, (a, b) => a < b),
  NumericGreaterThan: typed(isNumber, (a, b) => a > b),
  NumericLessThanEquals: typed(isNumber, (a, b) => a <= b),
  NumericGreaterThanEquals: typed(isNumber, (a, b) => a >= b),
  BooleanEquals: typed(isBoolean, (a, b) => a === b),
  TimestampEquals: typed(isTimestamp, (a, b) => time(a) === time(b)),
  TimestampLessThan: typed(isTimestamp, (a, b) => time(a) < time(b)),
  TimestampGreaterThan: typed(isTimestamp, (a, b) => time(a) > time(b)),
  TimestampLessThanEquals: typed(isTimestamp, (a, b) => time(a) <= time(b)),
  TimestampGreaterThanEquals: typed(isTimestamp, (a, b) => time(a) >= time(b)),
};

const TYPE_TESTS: Record<string, (v: unknown) => boolean> = {
  IsNull: (v) => v === null,
  IsString: isString,
  IsNumeric: isNumber,
  IsBoolean: isBoolean,
  IsTimestamp: isTimestamp,
};

/** Operator names a rule may use (for definition validation). */
export const CHOICE_OPERATORS = [
  ...Object.keys(COMPARISONS),
  ...Object.keys(COMPARISONS).map((name) => `${name}Path`).filter((name) => name !== 'StringMatchesPath'),
  ...Object.keys(TYPE_TESTS),
  'IsPresent',
];

/** `*` matches any run of characters; `\*` and `\\` are escapes. */
function wildcardRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]);
    else if (char === '*') source += '.*';
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Fields of a rule that are not its comparison operator (a top-level rule may Assign variables). */
export const RULE_FIELDS = ['Variable', 'Next', 'Comment', 'Assign'];

export function evaluateRule(rule: ChoiceRule, data: unknown, context: unknown): boolean {
  if (Array.isArray(rule.And)) return (rule.And as ChoiceRule[]).every((r) => evaluateRule(r, data, context));
  if (Array.isArray(rule.Or)) return (rule.Or as ChoiceRule[]).some((r) => evaluateRule(r, data, context));
  if (rule.Not) return !evaluateRule(rule.Not as ChoiceRule, data, context);
  const variable = rule.Variable as string;
  if ('IsPresent' in rule) return pathExists(variable, data, context) === rule.IsPresent;
  const operator = Object.keys(rule).find((key) => !RULE_FIELDS.includes(key))!;
  // AWS's cause when the Variable (a `$` path or a `$name` variable's path) selects nothing, as its execution histories show it.
  const actual = readPathOr(variable, data, context, () =>
    runtimeError(`Invalid path '${variable}': The choice state's condition path references an invalid value.`),
  );
  if (operator in TYPE_TESTS) return TYPE_TESTS[operator](actual) === rule[operator];
  const isPathVariant = operator.endsWith('Path');
  const compare = COMPARISONS[isPathVariant ? operator.slice(0, -4) : operator];
  const expected = isPathVariant ? readPath(rule[operator] as string, data, context) : rule[operator];
  return compare(actual, expected);
}

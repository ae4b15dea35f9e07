/**
 * EventBridge event pattern matching (the subset the product and its tests use): exact values, prefix,
 * suffix, equals-ignore-case, wildcard, anything-but, exists, numeric, `$or`, nested objects, and
 * arrays in events (a field matches when any element matches). An unsupported operator throws,
 * so a pattern this matcher cannot evaluate is never silently treated as "no match".
 */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** Any JSON object; typed loosely so interfaces such as core's StatusChangePattern are accepted. */
export type EventPattern = object;

const MISSING = Symbol('missing');
type FieldValue = Json | typeof MISSING;

export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, event as Json);
}

function matchObject(pattern: EventPattern, value: Json | undefined): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === '$or' && Array.isArray(rule) && rule.every(isPlainObject)) {
      return (rule as EventPattern[]).some((alternative) => matchObject(alternative, value));
    }
    const field = fieldOf(value, key);
    if (Array.isArray(rule)) return matchLeaf(rule, field);
    if (isPlainObject(rule)) return matchNested(rule as EventPattern, field);
    throw new Error(`event pattern: value of "${key}" must be an array or an object`);
  });
}

/** A nested pattern needs an object; an array of objects matches when any element does. */
function matchNested(pattern: EventPattern, field: FieldValue): boolean {
  if (Array.isArray(field)) return field.some((element) => isPlainObject(element) && matchObject(pattern, element));
  if (field === MISSING || !isPlainObject(field)) return matchObject(pattern, undefined);
  return matchObject(pattern, field);
}

function fieldOf(value: Json | undefined, key: string): FieldValue {
  if (!isPlainObject(value) || !(key in (value as object))) return MISSING;
  return (value as { [key: string]: Json })[key];
}

/** Leaf values of a field: an array's elements, or the value itself; objects are not leaves. */
function leavesOf(field: FieldValue): Json[] {
  if (field === MISSING) return [];
  if (Array.isArray(field)) return field.filter((element) => !isPlainObject(element) && !Array.isArray(element));
  return isPlainObject(field) ? [] : [field];
}

function matchLeaf(matchers: unknown[], field: FieldValue): boolean {
  const leaves = leavesOf(field);
  return matchers.some((matcher) => {
    if (isPlainObject(matcher) && 'exists' in (matcher as object)) {
      return (matcher as { exists: unknown }).exists === true ? leaves.length > 0 : leaves.length === 0;
    }
    return leaves.some((leaf) => matchValue(matcher, leaf));
  });
}

function matchValue(matcher: unknown, leaf: Json): boolean {
  if (!isPlainObject(matcher)) return matcher === leaf;
  const entries = Object.entries(matcher as object);
  if (entries.length !== 1) throw new Error(`event pattern: a matcher has exactly one operator, got ${JSON.stringify(matcher)}`);
  const [operator, operand] = entries[0];
  switch (operator) {
    case 'prefix':
      return typeof leaf === 'string' && matchAffix(operand, leaf, (text, affix) => text.startsWith(affix));
    case 'suffix':
      return typeof leaf === 'string' && matchAffix(operand, leaf, (text, affix) => text.endsWith(affix));
    case 'equals-ignore-case':
      return typeof leaf === 'string' && leaf.toLowerCase() === String(operand).toLowerCase();
    case 'wildcard':
      return typeof leaf === 'string' && wildcardRegExp(String(operand)).test(leaf);
    case 'numeric':
      return typeof leaf === 'number' && matchNumeric(operand, leaf);
    case 'anything-but':
      return matchAnythingBut(operand, leaf);
    default:
      throw new Error(`event pattern: unsupported operator "${operator}"`);
  }
}

/** prefix/suffix take a string or `{ "equals-ignore-case": string }`. */
function matchAffix(operand: unknown, text: string, test: (text: string, affix: string) => boolean): boolean {
  if (typeof operand === 'string') return test(text, operand);
  const ignoringCase = (operand as { 'equals-ignore-case'?: unknown })['equals-ignore-case'];
  if (typeof ignoringCase !== 'string') throw new Error(`event pattern: bad prefix/suffix operand ${JSON.stringify(operand)}`);
  return test(text.toLowerCase(), ignoringCase.toLowerCase());
}

function matchAnythingBut(operand: unknown, leaf: Json): boolean {
  if (Array.isArray(operand)) return !operand.includes(leaf);
  if (isPlainObject(operand)) return !matchValue(operand, leaf);
  return operand !== leaf;
}

const NUMERIC_COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** `[op, n]` or `[op, n, op, n]`, all of which must hold. */
function matchNumeric(operand: unknown, leaf: number): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new Error(`event pattern: bad numeric operand ${JSON.stringify(operand)}`);
  }
  for (let i = 0; i < operand.length; i += 2) {
    const compare = NUMERIC_COMPARISONS[operand[i] as string];
    if (!compare || typeof operand[i + 1] !== 'number') throw new Error(`event pattern: bad numeric operand ${JSON.stringify(operand)}`);
    if (!compare(leaf, operand[i + 1] as number)) return false;
  }
  return true;
}

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcardRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) source += escapeRegExp(pattern[++i]);
    else if (c === '*') source += '.*';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSONata in Step Functions ("Transforming data with JSONata",
 * https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html): `{% expr %}` strings in
 * any field value, evaluated with JSONata 2.0.6 plus the functions Step Functions adds ($partition,
 * $range, $hash, $random, $uuid, $parse; $eval is not available). An expression has no context item:
 * it reads `$states` (input, result, errorOutput, context) and workflow variables (`$name`).
 */
import { createHash, randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { seededRandom, type Random } from '../rng';
import { StatesError } from './states-error';

/** `$states` as AWS binds it in a JSONata state. */
export interface StatesBinding {
  input: unknown;
  context: unknown;
  result?: unknown;
  errorOutput?: unknown;
}

export interface JsonataScope {
  where: StateWhere;
  states: StatesBinding;
  /** Workflow variables visible to the state. */
  variables: Record<string, unknown>;
  random: Random;
}

export const QUERY_EVALUATION_ERROR = 'States.QueryEvaluationError';

/**
 * A failed evaluation. The cause is AWS's: the state and the id of its StateEntered event, then the
 * expression and the field it was written in, e.g. "An error occurred while executing the state 'S'
 * (entered at the event id #6). The JSONata expression '$states.input.x' specified for the field
 * 'Arguments/Input/x' returned nothing (undefined)."
 */
export class QueryEvaluationFailure extends StatesError {
  constructor(
    readonly field: string,
    readonly detail: string,
    where: StateWhere,
  ) {
    super(QUERY_EVALUATION_ERROR, `An error occurred while executing the state '${where.stateName}' (entered at the event id #${where.enteredEventId}). ${detail}`);
  }
}

/** The state an expression belongs to, as the cause of a failure names it. */
export interface StateWhere {
  stateName: string;
  enteredEventId: number;
}

/** The string must start with `{%` and end with `%}` exactly; anything else is a literal. */
export function isJsonataExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('{%') && value.endsWith('%}') && value.length >= 4;
}

export function expressionText(value: string): string {
  return value.slice(2, -2).trim();
}

const HASH_ALGORITHMS: Record<string, string> = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

const towardZero = (value: number) => Math.trunc(value);

/**
 * The functions Step Functions adds. Arguments are rounded towards zero; a chunk size of 0, an empty
 * array, a `$range` step missing or pointing away from `end`, and `$hash` without an algorithm give
 * undefined (so the field fails), and a one-element `$range` is the bare number, as on AWS.
 */
function awsFunctions(random: Random): Record<string, (...args: never[]) => unknown> {
  return {
    partition: (array: unknown[] | undefined, size: number | undefined) => {
      const chunk = size === undefined ? 0 : towardZero(size);
      if (!Array.isArray(array) || array.length === 0 || chunk <= 0) return undefined;
      const chunks: unknown[][] = [];
      for (let i = 0; i < array.length; i += chunk) chunks.push(array.slice(i, i + chunk));
      return chunks;
    },
    range: (start: number, end: number, step: number | undefined) => {
      if (step === undefined) return undefined;
      const [from, to, by] = [towardZero(start), towardZero(end), towardZero(step)];
      if (by === 0 || Math.sign(to - from) * Math.sign(by) < 0) return undefined;
      const values: number[] = [];
      for (let value = from; by > 0 ? value <= to : value >= to; value += by) values.push(value);
      return values.length === 1 ? values[0] : values;
    },
    hash: (text: string, algorithm: string | undefined) => {
      if (algorithm === undefined) return undefined;
      const name = HASH_ALGORITHMS[algorithm];
      if (!name) throw new Error(`$hash: the algorithm must be one of ${Object.keys(HASH_ALGORITHMS).join(', ')}, got '${algorithm}'`);
      return createHash(name).update(String(text)).digest('hex');
    },
    random: (seed: number | undefined) => (seed === undefined ? random() : seededRandom(towardZero(seed))()),
    uuid: () => randomUUID(),
    parse: (text: string) => JSON.parse(text),
  };
}

const compiled = new Map<string, jsonata.Expression>();

/** Parses (once per text) an expression; throws JSONata's own error on bad syntax. */
export function compile(text: string): jsonata.Expression {
  let expression = compiled.get(text);
  if (!expression) {
    expression = jsonata(text);
    compiled.set(text, expression);
  }
  return expression;
}

/** Evaluates one `{% %}` string; undefined or a thrown JSONata error is States.QueryEvaluationError naming `field`. */
export async function evaluateExpression(value: string, field: string, scope: JsonataScope): Promise<unknown> {
  const text = expressionText(value);
  const fail = (why: string) => new QueryEvaluationFailure(field, `The JSONata expression '${text}' specified for the field '${field}' ${why}`, scope.where);
  let result: unknown;
  try {
    // The added functions ride in the bindings; $eval is not available, and bound to nothing a call is JSONata's T1006.
    const bindings = { ...scope.variables, ...awsFunctions(scope.random), states: scope.states, eval: undefined };
    result = await compile(text).evaluate(undefined, bindings);
  } catch (error) {
    const failure = error as { code?: string; message?: string };
    throw fail(`threw an error: ${failure.code ? `${failure.code}: ` : ''}${failure.message ?? String(error)}`);
  }
  if (result === undefined) throw fail('returned nothing (undefined).');
  return toJson(result);
}

/** JSONata sequences and frozen arrays become plain JSON values. */
function toJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/**
 * A field value with `{% %}` strings at any depth (Arguments, Output, Assign, ItemSelector, Items...):
 * each is evaluated; the field is named as AWS names it, `/` before a key and `[i]` for an index.
 */
export async function evaluateTemplate(template: unknown, field: string, scope: JsonataScope): Promise<unknown> {
  if (isJsonataExpression(template)) return evaluateExpression(template, field, scope);
  if (Array.isArray(template)) return Promise.all(template.map((item, i) => evaluateTemplate(item, `${field}[${i}]`, scope)));
  if (template === null || typeof template !== 'object') return template;
  const output: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) output[key] = await evaluateTemplate(value, `${field}/${key}`, scope);
  return output;
}

/** ASL intrinsic functions (`States.Format(...)` etc.): parsing and evaluation. */
import { createHash, randomUUID } from 'node:crypto';
import { readPath } from './json-path';
import { runtimeError, StatesError } from './states-error';
import type { Random } from '../rng';

type Arg =
  | { kind: 'literal'; value: unknown }
  | { kind: 'path'; path: string }
  | { kind: 'call'; call: IntrinsicCall };

export interface IntrinsicCall {
  name: string;
  args: Arg[];
}

export interface IntrinsicEnv {
  data: unknown;
  context: unknown;
  random: Random;
}

type Impl = (args: unknown[], env: IntrinsicEnv) => unknown;

const HASH_ALGORITHMS: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

const IMPLEMENTATIONS: Record<string, Impl> = {
  'States.Format': ([template, ...values]) => formatTemplate(asString(template, 'States.Format'), values),
  // AWS gives null for an empty or blank string rather than failing (as its recorded executions show).
  'States.StringToJson': ([text]) => {
    const source = asString(text, 'States.StringToJson');
    return source.trim() === '' ? null : JSON.parse(source);
  },
  'States.JsonToString': ([value]) => JSON.stringify(value),
  'States.Array': (args) => args,
  'States.ArrayLength': ([array]) => asArray(array, 'States.ArrayLength').length,
  'States.ArrayContains': ([array, value]) =>
    asArray(array, 'States.ArrayContains').some((item) => JSON.stringify(item) === JSON.stringify(value)),
  // Non-integer arguments are rounded to the nearest integer (intrinsic-functions.html, input validation).
  'States.ArrayRange': ([start, end, step]) => arrayRange(...([start, end, step].map((n) => javaRound(asNumber(n, 'States.ArrayRange'))) as [number, number, number])),
  'States.ArrayGetItem': ([array, index]) => {
    const items = asArray(array, 'States.ArrayGetItem');
    if (typeof index !== 'number' || index < 0 || index >= items.length) {
      throw intrinsicError('States.ArrayGetItem', `index ${String(index)} is out of bounds`);
    }
    return items[index];
  },
  'States.ArrayUnique': ([array]) => {
    const seen = new Set<string>();
    return asArray(array, 'States.ArrayUnique').filter((item) => {
      const key = JSON.stringify(item);
      return seen.has(key) ? false : (seen.add(key), true);
    });
  },
  'States.ArrayPartition': ([array, size]) => {
    const items = asArray(array, 'States.ArrayPartition');
    const chunkSize = javaRound(asNumber(size, 'States.ArrayPartition'));
    if (chunkSize <= 0) throw intrinsicError('States.ArrayPartition', 'chunk size must be > 0');
    const chunks: unknown[][] = [];
    for (let i = 0; i < items.length; i += chunkSize) chunks.push(items.slice(i, i + chunkSize));
    return chunks;
  },
  'States.MathAdd': ([a, b]) => int32(javaRound(asNumber(a, 'States.MathAdd'))) + int32(javaRound(asNumber(b, 'States.MathAdd'))),
  'States.MathRandom': ([start, end], env) => {
    const low = javaRound(asNumber(start, 'States.MathRandom'));
    const high = javaRound(asNumber(end, 'States.MathRandom'));
    return Math.floor(low + env.random() * (high - low));
  },
  'States.UUID': () => randomUUID(),
  'States.Hash': ([data, algorithm]) => {
    const nodeAlgorithm = HASH_ALGORITHMS[asString(algorithm, 'States.Hash')];
    if (!nodeAlgorithm) throw intrinsicError('States.Hash', `unsupported algorithm ${String(algorithm)}`);
    const text = atMost10000(typeof data === 'string' ? data : JSON.stringify(data), 'States.Hash');
    return createHash(nodeAlgorithm).update(text).digest('hex');
  },
  'States.Base64Encode': ([text]) => Buffer.from(atMost10000(asString(text, 'States.Base64Encode'), 'States.Base64Encode'), 'utf8').toString('base64'),
  'States.Base64Decode': ([text]) => Buffer.from(atMost10000(asString(text, 'States.Base64Decode'), 'States.Base64Decode'), 'base64').toString('utf8'),
  'States.JsonMerge': ([a, b, deep]) => {
    if (deep !== false) throw intrinsicError('States.JsonMerge', 'only shallow merge (false) is supported by AWS');
    return { ...(a as object), ...(b as object) };
  },
  'States.StringSplit': ([text, delimiters]) => {
    const chars = [...asString(delimiters, 'States.StringSplit')];
    return asString(text, 'States.StringSplit')
      .split(new RegExp(`[${chars.map((c) => c.replace(/[\\\]^-]/g, '\\$&')).join('')}]`))
      .filter((part) => part.length > 0);
  },
};

export const SUPPORTED_INTRINSICS = Object.keys(IMPLEMENTATIONS);

export function isIntrinsic(expression: string): boolean {
  return expression.startsWith('States.');
}

export function evaluateIntrinsic(expression: string, env: IntrinsicEnv): unknown {
  return evaluateCall(parseIntrinsic(expression), env);
}

function evaluateCall(call: IntrinsicCall, env: IntrinsicEnv): unknown {
  const impl = IMPLEMENTATIONS[call.name];
  if (!impl) throw runtimeError(`Unsupported intrinsic function ${call.name}`);
  const args = call.args.map((arg) =>
    arg.kind === 'literal' ? arg.value : arg.kind === 'path' ? readPath(arg.path, env.data, env.context) : evaluateCall(arg.call, env),
  );
  try {
    return impl(args, env);
  } catch (error) {
    if (error instanceof StatesError) throw error;
    throw intrinsicError(call.name, (error as Error).message);
  }
}

/** Parses an intrinsic expression; throws a plain Error with a readable message on bad syntax. */
export function parseIntrinsic(expression: string): IntrinsicCall {
  const parser = new Parser(expression);
  const call = parser.call();
  parser.skipSpaces();
  if (!parser.done()) throw new Error(`unexpected text after ${call.name}(...) in ${expression}`);
  return call;
}

/** Names of every intrinsic called in `expression`, nested ones included. */
export function intrinsicNames(call: IntrinsicCall): string[] {
  return [call.name, ...call.args.flatMap((arg) => (arg.kind === 'call' ? intrinsicNames(arg.call) : []))];
}

class Parser {
  private at = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.at >= this.text.length;
  }

  skipSpaces(): void {
    while (this.text[this.at] === ' ') this.at++;
  }

  call(): IntrinsicCall {
    const match = /^States\.[A-Za-z0-9]+/.exec(this.text.slice(this.at));
    if (!match) throw new Error(`expected an intrinsic function at "${this.text.slice(this.at)}"`);
    this.at += match[0].length;
    this.expect('(');
    const args: Arg[] = [];
    this.skipSpaces();
    if (this.text[this.at] === ')') {
      this.at++;
      return { name: match[0], args };
    }
    for (;;) {
      this.skipSpaces();
      args.push(this.arg());
      this.skipSpaces();
      const next = this.text[this.at++];
      if (next === ')') return { name: match[0], args };
      if (next !== ',') throw new Error(`expected , or ) in ${this.text}`);
    }
  }

  private expect(char: string): void {
    if (this.text[this.at] !== char) throw new Error(`expected ${char} in ${this.text}`);
    this.at++;
  }

  private arg(): Arg {
    const char = this.text[this.at];
    if (char === "'") return { kind: 'literal', value: this.stringLiteral() };
    if (char === '$') return { kind: 'path', path: this.pathText() };
    if (this.text.startsWith('States.', this.at)) return { kind: 'call', call: this.call() };
    const match = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.text.slice(this.at));
    if (!match) throw new Error(`unexpected argument at "${this.text.slice(this.at)}"`);
    this.at += match[0].length;
    return { kind: 'literal', value: JSON.parse(match[0]) };
  }

  private stringLiteral(): string {
    this.at++;
    let value = '';
    while (this.at < this.text.length) {
      const char = this.text[this.at++];
      if (char === '\\') {
        value += this.text[this.at++];
      } else if (char === "'") {
        return value;
      } else {
        value += char;
      }
    }
    throw new Error(`unterminated string in ${this.text}`);
  }

  /** A path runs to the next top-level `,` or `)`; brackets and quotes inside it are skipped over. */
  private pathText(): string {
    const start = this.at;
    let depth = 0;
    let quote: string | undefined;
    for (; this.at < this.text.length; this.at++) {
      const char = this.text[this.at];
      if (quote) {
        if (char === quote) quote = undefined;
      } else if (char === "'" || char === '"') {
        quote = char;
      } else if (char === '[' || char === '(') {
        depth++;
      } else if (char === ']' || (char === ')' && depth > 0)) {
        depth--;
      } else if ((char === ',' || char === ')') && depth === 0) {
        break;
      }
    }
    return this.text.slice(start, this.at).trim();
  }
}

function formatTemplate(template: string, values: unknown[]): string {
  let next = 0;
  return template.replace(/\{\}/g, () => {
    if (next >= values.length) throw intrinsicError('States.Format', 'more {} placeholders than arguments');
    return javaText(values[next++]);
  });
}

/**
 * A value as AWS's States.Format prints it: Java's toString of the parsed JSON, so objects are
 * `{Arg1=1, Arg2=[]}` and arrays `[a, 1]`, strings inside them unquoted (AWS-recorded output).
 */
function javaText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(javaText).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([key, item]) => `${key}=${javaText(item)}`).join(', ')}}`;
  }
  return typeof value === 'string' ? value : String(value);
}

/**
 * AWS rounds each States.MathAdd argument to an integer first, half up as Java's Math.round does
 * (1.49 + 1.5 = 3, -1.5 + 0 = -1, as AWS-recorded executions show).
 */
function javaRound(value: number): number {
  return Math.floor(value + 0.5);
}

/** MathAdd's arguments must lie in Java's int range (intrinsic-functions.html, input validation). */
function int32(value: number): number {
  if (value < -2147483648 || value > 2147483647) throw intrinsicError('States.MathAdd', `${value} is outside the range -2147483648 to 2147483647`);
  return value;
}

/** Base64Encode, Base64Decode and Hash take at most 10,000 characters (intrinsic-functions.html). */
function atMost10000(text: string, fn: string): string {
  if (text.length > 10_000) throw intrinsicError(fn, `the input has ${text.length} characters; at most 10000 are allowed`);
  return text;
}

function arrayRange(start: number, end: number, step: number): number[] {
  if (!Number.isInteger(start) || !Number.isInteger(end) || !Number.isInteger(step) || step === 0) {
    throw intrinsicError('States.ArrayRange', 'start, end and step must be integers and step non-zero');
  }
  // Count first: a huge range must be refused before it is built.
  const count = Math.max(0, Math.floor((end - start) / step) + 1);
  if (count > 1000) throw intrinsicError('States.ArrayRange', 'the result may have at most 1000 items');
  return Array.from({ length: count }, (_, i) => start + i * step);
}

function asString(value: unknown, fn: string): string {
  if (typeof value !== 'string') throw intrinsicError(fn, `expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function asNumber(value: unknown, fn: string): number {
  if (typeof value !== 'number') throw intrinsicError(fn, `expected a number, got ${JSON.stringify(value)}`);
  return value;
}

function asArray(value: unknown, fn: string): unknown[] {
  if (!Array.isArray(value)) throw intrinsicError(fn, `expected an array, got ${JSON.stringify(value)}`);
  return value;
}

function intrinsicError(fn: string, why: string): StatesError {
  return new StatesError('States.IntrinsicFailure', `${fn}: ${why}`);
}

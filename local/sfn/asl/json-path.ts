/**
 * ASL JSONPath: reading paths (fast path for plain reference paths, jsonpath-plus for filters and
 * wildcards), writing ResultPath, the `$$` context object and `$name` workflow variables.
 */
import { JSONPath } from 'jsonpath-plus';
import { runtimeError } from './states-error';
import { VARIABLE_NAME_SOURCE, type VariableScope } from './variables';

/**
 * The context object a state sees also carries, under this symbol, the variables it can read. A symbol
 * key is invisible to `$$` paths, JSON and structuredClone, and it rides along wherever the context is
 * passed (payload templates, intrinsics, choice rules), so `$name` reads need no extra parameter.
 */
const VARIABLES = Symbol('workflow variables');

export function withVariables<T extends object>(context: T, variables: VariableScope): T {
  return Object.assign(context, { [VARIABLES]: variables });
}

/** `$name.rest` -> [name, `$.rest`]; undefined for `$`, `$.x`, `$[0]` and `$$` paths. */
const VARIABLE_PATH = new RegExp(`^\\$(${VARIABLE_NAME_SOURCE})(.*)$`, 'su');

export function variablePath(path: string): [name: string, rest: string] | undefined {
  const match = VARIABLE_PATH.exec(path);
  return match ? [match[1], `$${match[2]}`] : undefined;
}

/** The root a path reads and the path relative to it, for `$...`, `$$...` and `$name...` paths. */
function rootOf(path: string, data: unknown, context: unknown): [root: unknown, relativePath: string] {
  if (path.startsWith('$$')) return [context, path.slice(1)];
  const variable = variablePath(path);
  if (!variable) return [data, path];
  const variables = (context as { [VARIABLES]?: VariableScope } | undefined)?.[VARIABLES];
  if (!variables) throw runtimeError(`The variable '$${variable[0]}' cannot be read here`);
  return [variables.read(variable[0]), variable[1]];
}

type Segment = string | number;

const SIMPLE_SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;

/** Splits `$.a.b[0]['c']` into segments; undefined when the path needs a real JSONPath engine. */
export function referenceSegments(path: string): Segment[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const segments: Segment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const match = SIMPLE_SEGMENT.exec(rest);
    if (!match) return undefined;
    const [whole, name, index, single, double] = match;
    segments.push(index !== undefined ? Number(index) : (name ?? single ?? double));
    rest = rest.slice(whole.length);
  }
  return segments;
}

export function isValidPathSyntax(path: string): boolean {
  if (!path.startsWith('$')) return false;
  if (!path.startsWith('$$') && variablePath(path)) return isValidPathSyntax(variablePath(path)![1]);
  if (referenceSegments(path.startsWith('$$') ? path.slice(1) : path)) return true;
  try {
    JSONPath({ path, json: {}, wrap: true });
    return true;
  } catch {
    return false;
  }
}

/** A reference path that selects nothing; the caller words the States.Runtime cause for its field. */
export class PathNotFound extends Error {
  constructor(readonly path: string) {
    super(`No results for path: ${path}`);
    this.name = 'PathNotFound';
  }
}

/**
 * Evaluates `path` against `data` (or `context` for `$$` paths, or a variable for `$name` paths). A
 * missing reference path throws PathNotFound.
 */
export function readPath(path: string, data: unknown, context: unknown): unknown {
  const [root, effectivePath] = rootOf(path, data, context);
  const segments = referenceSegments(effectivePath);
  if (segments) {
    let value: unknown = root;
    for (const segment of segments) {
      if (value === null || typeof value !== 'object' || !(segment in (value as object))) {
        throw new PathNotFound(path);
      }
      value = (value as Record<string, unknown>)[segment as string];
    }
    return value;
  }
  return JSONPath({ path: effectivePath, json: root as object, wrap: true });
}

/** True when `path` resolves to a value (IsPresent). */
export function pathExists(path: string, data: unknown, context: unknown): boolean {
  try {
    const value = readPath(path, data, context);
    return referenceSegments(rootOf(path, undefined, context)[1]) ? true : (value as unknown[]).length > 0;
  } catch {
    return false;
  }
}

/** ResultPath: `null` keeps the input, `$` replaces it, `$.a.b` writes into a copy of the input. */
export function applyResultPath(resultPath: string | null | undefined, input: unknown, result: unknown): unknown {
  if (resultPath === null) return input;
  if (resultPath === undefined || resultPath === '$') return result;
  const segments = referenceSegments(resultPath);
  if (!segments) throw runtimeError(`Invalid ResultPath '${resultPath}'`);
  const output = structuredClone(input ?? {});
  if (output === null || typeof output !== 'object') {
    throw runtimeError(`Unable to apply ResultPath '${resultPath}' to a non-object input`);
  }
  let cursor = output as Record<string, unknown>;
  segments.forEach((segment, i) => {
    if (i === segments.length - 1) {
      cursor[segment as string] = result;
      return;
    }
    const next = cursor[segment as string];
    if (next === null || typeof next !== 'object') cursor[segment as string] = {};
    cursor = cursor[segment as string] as Record<string, unknown>;
  });
  return output;
}

/**
 * Reads the path of a state's `field` (InputPath, ItemsPath, a Parameters key `x.$`...). A missing path
 * is States.Runtime with AWS's cause: "The JSONPath '$.x' specified for the field 'InputPath' could not
 * be found in the input '{"y":1}'" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 * names the error; the wording is AWS's, as execution histories show it).
 */
export function readField(field: string, path: string, data: unknown, context: unknown): unknown {
  return readPathOr(path, data, context, (missing) => fieldNotFound(field, missing, data));
}

export function fieldNotFound(field: string, missing: PathNotFound, data: unknown): Error {
  return runtimeError(`The JSONPath '${missing.path}' specified for the field '${field}' could not be found in the input '${JSON.stringify(data) ?? 'null'}'`);
}

/** readPath, throwing `whenMissing(...)` instead of PathNotFound. */
export function readPathOr(path: string, data: unknown, context: unknown, whenMissing: (missing: PathNotFound) => Error): unknown {
  try {
    return readPath(path, data, context);
  } catch (error) {
    throw error instanceof PathNotFound ? whenMissing(error) : error;
  }
}

/** InputPath / OutputPath: `null` gives `{}`, absent gives the value itself. */
export function selectPath(field: 'InputPath' | 'OutputPath', path: string | null | undefined, data: unknown, context: unknown): unknown {
  if (path === null) return {};
  if (path === undefined || path === '$') return data;
  return readField(field, path, data, context);
}

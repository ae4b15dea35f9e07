/**
 * Turns a zod error into the lines an operator reads: one `path: message` per problem, every unknown
 * key on a line of its own with a suggestion when it is a near miss of a known key at that path
 * (`dryrun: unknown key (did you mean dryRun?)`). Used by the config schema (core/config.ts) and the
 * demo scenario schema (local/demo/scenario.ts).
 */
import * as z from 'zod';

/** `<title> (N problems):` and one line per problem, each prefixed with `source: ` when given. */
export function problemReport(title: string, problems: readonly string[], source?: string): string {
  const lines = source === undefined ? problems : problems.map((problem) => `${source}: ${problem}`);
  return `${title} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${lines.join('\n  - ')}`;
}

/** One line per issue of `error`, which `schema` produced; `prefix` is put before every path. */
export function issueLines(schema: z.ZodType, error: z.ZodError, prefix: readonly string[] = []): string[] {
  const fieldOf = (path: readonly PropertyKey[]) => [...prefix, ...path.map(String)].join('.') || '(root)';
  return error.issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return [`${fieldOf(issue.path)}: ${issue.message}`];
    const known = knownKeysAt(schema, issue.path);
    return issue.keys.map((key) => `${fieldOf([...issue.path, key])}: unknown key${didYouMean(key, known)}`);
  });
}

/** ` (did you mean <known key>?)` when `key` is a near miss of one of `known`, else nothing. */
export function didYouMean(key: string, known: readonly string[]): string {
  const suggestion = suggestKey(key, known);
  return suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
}

/**
 * The known key `key` most likely stands for: the same ignoring case, else the closest by edit distance
 * (ignoring case; a swap of two letters counts once) within a quarter of its length, at least 1.
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const limit = Math.max(1, Math.floor(key.length / 4));
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The keys the object schema at `path` declares (of every object option, for a union). */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodUnion) return inner.options.flatMap((option) => knownKeysAt(option as z.ZodType, path));
  if (path.length === 0) return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
  const [head, ...rest] = path;
  if (inner instanceof z.ZodObject) {
    const child = (inner.shape as Record<string, z.ZodType>)[String(head)];
    return child === undefined ? [] : knownKeysAt(child, rest);
  }
  if (inner instanceof z.ZodArray) return knownKeysAt(inner.element as z.ZodType, rest);
  if (inner instanceof z.ZodRecord) return knownKeysAt(inner.valueType as z.ZodType, rest);
  return [];
}

/** Looks through default, optional, nullable and the like (`innerType`), and through pipes (`in`). */
function unwrap(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as { innerType?: z.ZodType; in?: z.ZodType };
  if (def.innerType !== undefined) return unwrap(def.innerType);
  if (def.in !== undefined) return unwrap(def.in);
  return schema;
}

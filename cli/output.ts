/** Rendering for `--output table|json`. Tables go to stdout, diagnostics and progress to stderr. */
import Table from 'cli-table3';

export function renderTable(head: string[], rows: Array<Array<string | number>>): string {
  const table = new Table({ head, style: { head: [], border: [] }, wordWrap: true });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
}

/** Two-column key/value table. */
export function renderFields(fields: Array<[string, string | number]>): string {
  const table = new Table({ style: { head: [], border: [] }, wordWrap: true });
  for (const [key, value] of fields) table.push({ [key]: String(value) });
  return table.toString();
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function isoOrDash(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

/** Counts in descending order, for "by reason" tables. */
export function sortedCounts(counts: Record<string, number>): Array<[string, number]> {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function increment(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

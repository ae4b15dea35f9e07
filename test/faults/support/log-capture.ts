/**
 * Captures everything the stack prints while a case runs: Powertools writes JSON lines straight to
 * process.stdout/stderr (its own Console), other code may use the global console.
 */
export interface CapturedLogs {
  lines(): string[];
  /** Parsed JSON log lines (Powertools), skipping anything else; only those after `mark` if given. */
  records(mark?: number): Array<Record<string, unknown>>;
  /** A mark for `records`: what was captured so far. */
  mark(): number;
  restore(): void;
}

export function captureLogs(): CapturedLogs {
  const chunks: string[] = [];
  const restores: Array<() => void> = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = ((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof stream.write;
    restores.push(() => {
      stream.write = original;
    });
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      chunks.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
    };
    restores.push(() => {
      console[method] = original;
    });
  }
  const linesSince = (mark = 0) => chunks.slice(mark).join('\n').split('\n').filter((line) => line.length > 0);
  return {
    lines: () => linesSince(),
    mark: () => chunks.length,
    records: (mark) =>
      linesSince(mark).flatMap((line) => {
        try {
          const parsed: unknown = JSON.parse(line);
          return parsed && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      }),
    restore: () => restores.forEach((restore) => restore()),
  };
}

/** `--since` / `--until`: an ISO 8601 date, or a duration before now such as `90m`, `2h`, `3d`, `1w`. */
import { CliError } from './errors';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseTimePoint(text: string, nowMs: number, option: string): number {
  const relative = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (relative) return nowMs - Number(relative[1]) * UNIT_MS[relative[2]];
  // Date.parse accepts too much (e.g. "1"); require something that starts like an ISO date.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) {
    throw new CliError(`${option} ${JSON.stringify(text)} is not a date: use ISO 8601 (2026-11-24T09:00:00Z) or a duration ago (90m, 2h, 3d, 1w)`);
  }
  return ms;
}

export interface TimeRange {
  sinceMs: number;
  untilMs: number;
}

export function parseTimeRange(since: string | undefined, until: string | undefined, nowMs: number, defaultSinceMs: number): TimeRange {
  const sinceMs = since === undefined ? defaultSinceMs : parseTimePoint(since, nowMs, '--since');
  const untilMs = until === undefined ? nowMs : parseTimePoint(until, nowMs, '--until');
  if (sinceMs > untilMs) {
    throw new CliError(`Bad time range: --since (${new Date(sinceMs).toISOString()}) is after --until (${new Date(untilMs).toISOString()})`);
  }
  return { sinceMs, untilMs };
}

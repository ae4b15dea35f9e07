/**
 * The redrive plan as a file: one JSON object per line. A header (what was selected, the config it was
 * judged by, the overrides in force), one entry per selected execution (its failure generation, the
 * evidence read and the verdict), and a trailer that marks the plan complete. Written and read as a
 * stream, so memory stays flat however many executions it holds.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseConfig, type AutoRedriveConfig, type WatchableStatus } from '../core/config';
import type { AppliedOverride, PolicyOverrides } from '../core/decide';
import type { EvidenceSource, ExecutionEvidence } from '../core/evidence';
import type { FailedStateFields } from '../core/fail-state';
import { MAX_STORED_CAUSE_CHARS, truncate } from '../core/ledger-record';
import type { ReasonCode } from '../core/reasons';
import { CliError } from './errors';

export const PLAN_KIND = 'sfn-autoredrive/redrive-plan';
export const PLAN_VERSION = 1;

export interface PlanHeader {
  kind: typeof PLAN_KIND;
  version: typeof PLAN_VERSION;
  createdAt: string;
  region: string;
  stateMachines: string[];
  expressStateMachinesSkipped: string[];
  /** Stop dates covered, inclusive. */
  sinceMs: number;
  untilMs: number;
  statuses: WatchableStatus[];
  errorPattern?: string;
  failedState?: string;
  notRedrivenOnly: boolean;
  limit?: number;
  /** Our policy rules lifted for the run that applies this plan. */
  overrides?: PolicyOverrides;
  /** The config the verdicts were judged by, applied again when the plan is applied. */
  config: AutoRedriveConfig;
  /** Where that config came from. */
  configSource: string;
  /** Set for a fix-forward restart plan (`restart`): where the restarts run (`latest`, `version:3`, `alias:prod`). */
  restartTarget?: string;
}

/** REDRIVE or RESTART for an execution the run acts on; otherwise why it does not. */
export type Verdict = 'REDRIVE' | 'RESTART' | ReasonCode;

/** `failedState` and `failedInFailState` where they were read, or recorded in the ledger (core/fail-state.ts). */
export interface PlanEntry extends Partial<FailedStateFields> {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionEvidence['status'];
  startDateMs: number;
  stopDateMs?: number;
  /** The failure generation judged (redriveCount when listed): the ledger claim and client token are per generation. */
  generation: number;
  error?: string;
  cause?: string;
  historyEventCount?: number;
  redriveStatus?: ExecutionEvidence['redriveStatus'];
  redriveStatusReason?: string;
  sources: EvidenceSource[];
  verdict: Verdict;
  detail: string;
  /** For an ineligible verdict: the flag that lifts it, or that AWS's rule cannot be lifted. */
  lift?: string;
  /** Policy rules lifted for this execution. */
  overrides?: AppliedOverride[];
  /** The ledger shows the pipeline gave up on this failure. */
  gaveUp?: boolean;
}

export interface PlanTrailer {
  kind: 'end';
  entries: number;
  /** False when planning was interrupted: such a plan is not applied. */
  complete: boolean;
  /** Evidence calls the plan made, per API. */
  evidenceCalls?: Record<string, number>;
}

export function entryEvidence(entry: PlanEntry): ExecutionEvidence {
  return {
    executionArn: entry.executionArn,
    stateMachineArn: entry.stateMachineArn,
    executionName: entry.name,
    status: entry.status,
    startDateMs: entry.startDateMs,
    stopDateMs: entry.stopDateMs,
    redriveCount: entry.generation,
    redriveStatus: entry.redriveStatus,
    redriveStatusReason: entry.redriveStatusReason,
    error: entry.error,
    cause: entry.cause,
    historyEventCount: entry.historyEventCount,
    sources: entry.sources,
  };
}

/** Streams entries to a file, waiting when the disk is behind. */
export class PlanWriter {
  private entries = 0;

  private constructor(
    readonly path: string,
    private readonly out: WriteStream,
  ) {}

  static async open(path: string, header: PlanHeader): Promise<PlanWriter> {
    const out = createWriteStream(path, { flags: 'w' });
    await Promise.race([once(out, 'open'), once(out, 'error').then(([error]) => Promise.reject(new CliError(`Cannot write the plan to ${path}: ${(error as Error).message}`)))]);
    const writer = new PlanWriter(path, out);
    await writer.line(header);
    return writer;
  }

  async write(entry: PlanEntry): Promise<void> {
    this.entries++;
    // The ledger keeps the same cut of the cause; a plan line stays small.
    await this.line({ ...entry, cause: truncate(entry.cause, MAX_STORED_CAUSE_CHARS) });
  }

  async close(complete: boolean, evidenceCalls: Record<string, number>): Promise<void> {
    const trailer: PlanTrailer = { kind: 'end', entries: this.entries, complete, evidenceCalls };
    await this.line(trailer);
    this.out.end();
    await once(this.out, 'finish');
  }

  private async line(value: object): Promise<void> {
    if (!this.out.write(`${JSON.stringify(value)}\n`)) await once(this.out, 'drain');
  }
}

export interface PlanFile {
  path: string;
  header: PlanHeader;
  trailer: PlanTrailer;
  /** The entries, read again from disk on each call. */
  entries(): AsyncGenerator<PlanEntry>;
}

async function* lines(path: string): AsyncGenerator<{ value: Record<string, unknown>; lineNumber: number }> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const opened = Promise.race([once(input, 'open'), once(input, 'error').then(([error]) => Promise.reject(new CliError(`Cannot read the plan ${path}: ${(error as Error).message}`)))]);
  await opened;
  const reader = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const text of reader) {
      lineNumber++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new CliError(`${path}:${lineNumber}: not a plan line (not JSON)`);
      }
      if (!value || typeof value !== 'object') throw new CliError(`${path}:${lineNumber}: not a plan line`);
      yield { value: value as Record<string, unknown>, lineNumber };
    }
  } finally {
    reader.close();
    input.destroy();
  }
}

function checkEntry(value: Record<string, unknown>, where: string): PlanEntry {
  const ok =
    typeof value.executionArn === 'string' &&
    typeof value.stateMachineArn === 'string' &&
    typeof value.generation === 'number' &&
    Number.isInteger(value.generation) &&
    typeof value.verdict === 'string' &&
    typeof value.startDateMs === 'number' &&
    Array.isArray(value.sources);
  if (!ok) throw new CliError(`${where}: not a plan entry (needs executionArn, stateMachineArn, generation, verdict, startDateMs, sources)`);
  return value as unknown as PlanEntry;
}

/**
 * Opens a plan: checks its header and that it is complete (its trailer counts every entry). A plan cut
 * short, by an interrupt or by hand, is refused: it is not what was reviewed.
 */
export async function openPlan(path: string): Promise<PlanFile> {
  let header: PlanHeader | undefined;
  let trailer: PlanTrailer | undefined;
  let entries = 0;
  for await (const { value, lineNumber } of lines(path)) {
    const where = `${path}:${lineNumber}`;
    if (!header) {
      if (value.kind !== PLAN_KIND) throw new CliError(`${where}: not an sfn-autoredrive plan (make one with \`redrive … --plan-out FILE\`)`);
      if (value.version !== PLAN_VERSION) throw new CliError(`${where}: plan version ${String(value.version)}, this CLI reads version ${PLAN_VERSION}`);
      header = { ...(value as unknown as PlanHeader), config: parseConfig(value.config) };
      continue;
    }
    if (trailer) throw new CliError(`${where}: lines after the end of the plan`);
    if (value.kind === 'end') {
      trailer = value as unknown as PlanTrailer;
      continue;
    }
    checkEntry(value, where);
    entries++;
  }
  if (!header) throw new CliError(`${path} is empty: not an sfn-autoredrive plan`);
  if (!trailer || trailer.entries !== entries) throw new CliError(`${path} is incomplete (${entries} entries, no end line): make the plan again`);
  if (!trailer.complete) throw new CliError(`${path} was cut short (planning was interrupted after ${entries} executions): make the plan again`);
  const complete = header;
  const end = trailer;
  return {
    path,
    header: complete,
    trailer: end,
    async *entries() {
      let seenHeader = false;
      for await (const { value, lineNumber } of lines(path)) {
        if (!seenHeader) {
          seenHeader = true;
          continue;
        }
        if (value.kind === 'end') return;
        yield checkEntry(value, `${path}:${lineNumber}`);
      }
    },
  };
}

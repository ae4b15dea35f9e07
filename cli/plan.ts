/**
 * What a redrive plan says, in numbers and a short preview: tallied from the entries as they are judged,
 * or as they are read back from a plan file, so both show the same. Bounded memory.
 */
import { REASONS, type ReasonCode } from '../core/reasons';
import { isoOrDash, renderTable, sortedCounts, increment } from './output';
import { liftability } from './overrides';
import type { PlanEntry, PlanHeader } from './plan-file';

export interface PreviewRow {
  executionArn: string;
  status: string;
  stopDate: string;
  error: string;
  cause: string;
  failedState: string;
  verdict: PlanEntry['verdict'];
  detail: string;
  lift?: string;
}

export interface Plan {
  stateMachines: string[];
  /** The override flags in force (our policy lifted for this run). */
  overrides: string[];
  expressStateMachinesSkipped: string[];
  sinceMs: number;
  untilMs: number;
  configSource: string;
  matched: number;
  eligible: number;
  ineligible: Record<string, number>;
  /** Selected executions with redriveCount ≥ 1 (left out by --not-redriven-only). */
  redrivenBefore: number;
  /** Selected executions whose current failure the pipeline gave up on (ledger GAVE_UP at this generation). */
  gaveUp: number;
  /** Eligible for a redrive, but failed in a Fail state (as read, or as the ledger recorded it): the redrive will fail there again. */
  failStateRedrives: number;
  /** Evidence calls the plan made, per API (at most one per execution; none when nothing needs the error text). */
  evidenceCalls: Record<string, number>;
  /** The earliest-stopped executions (their windows close first), in stop order. */
  preview: PreviewRow[];
  /** The plan file the run applies (`--plan-out`, `--plan`, or a temporary one). */
  planFile?: string;
  interrupted: boolean;
  /** A restart plan's target (`latest`, `version:3`, `alias:prod`); absent for a redrive plan. */
  restartTarget?: string;
}

const PREVIEW_CAUSE_CHARS = 60;

export class PlanTally {
  readonly plan: Plan;

  constructor(
    header: PlanHeader,
    overrideFlags: string[],
    private readonly previewSize: number,
  ) {
    this.plan = {
      stateMachines: header.stateMachines,
      overrides: overrideFlags,
      expressStateMachinesSkipped: header.expressStateMachinesSkipped,
      sinceMs: header.sinceMs,
      untilMs: header.untilMs,
      configSource: header.configSource,
      matched: 0,
      eligible: 0,
      ineligible: {},
      redrivenBefore: 0,
      gaveUp: 0,
      failStateRedrives: 0,
      evidenceCalls: {},
      preview: [],
      interrupted: false,
      ...(header.restartTarget !== undefined && { restartTarget: header.restartTarget }),
    };
  }

  add(entry: PlanEntry): void {
    const plan = this.plan;
    plan.matched++;
    if (entry.verdict === 'REDRIVE' || entry.verdict === 'RESTART') plan.eligible++;
    else increment(plan.ineligible, entry.verdict);
    if (entry.generation > 0) plan.redrivenBefore++;
    if (entry.gaveUp) plan.gaveUp++;
    if (entry.verdict === 'REDRIVE' && entry.failedInFailState) plan.failStateRedrives++;
    this.addToPreview(entry);
  }

  /** Keeps the `previewSize` earliest stop dates, sorted; ties by ARN, so the preview does not depend on call timing. */
  private addToPreview(entry: PlanEntry): void {
    if (this.previewSize === 0) return;
    const preview = this.plan.preview;
    const row = previewRow(entry);
    // ISO 8601 UTC timestamps of one width sort as text.
    const before = (other: PreviewRow) => row.stopDate < other.stopDate || (row.stopDate === other.stopDate && row.executionArn < other.executionArn);
    if (preview.length >= this.previewSize && !before(preview[preview.length - 1])) return;
    const at = preview.findIndex(before);
    preview.splice(at === -1 ? preview.length : at, 0, row);
    if (preview.length > this.previewSize) preview.pop();
  }
}

function previewRow(entry: PlanEntry): PreviewRow {
  const cause = entry.cause ?? '';
  return {
    executionArn: entry.executionArn,
    status: entry.status,
    stopDate: isoOrDash(entry.stopDateMs),
    error: entry.error ?? '',
    cause: cause.length > PREVIEW_CAUSE_CHARS ? `${cause.slice(0, PREVIEW_CAUSE_CHARS - 1)}…` : cause,
    failedState: entry.failedState === undefined ? '' : entry.failedInFailState ? `${entry.failedState} (Fail state)` : entry.failedState,
    verdict: entry.verdict,
    detail: entry.detail,
    ...(entry.lift && { lift: entry.lift }),
  };
}

export function reasonText(reason: string): string {
  return reason in REASONS ? `${reason}: ${REASONS[reason as ReasonCode]}` : reason;
}

export function renderPlan(plan: Plan): string {
  const lines = [`Plan: ${plan.stateMachines.length} state machine(s), stopped ${isoOrDash(plan.sinceMs)} .. ${isoOrDash(plan.untilMs)}, judged by ${plan.configSource}`];
  if (plan.overrides.length > 0) lines.push(`Our policy lifted for this run (recorded in the ledger per execution): ${plan.overrides.join(', ')}`);
  if (plan.expressStateMachinesSkipped.length > 0) lines.push(`Express state machines left out (not redrivable): ${plan.expressStateMachinesSkipped.join(', ')}`);
  const calls = sortedCounts(plan.evidenceCalls).map(([api, n]) => `${api} ${n}`).join(', ') || 'none';
  lines.push(
    renderTable(
      ['', 'executions'],
      [
        ['matched', plan.matched],
        ['  redriven before', plan.redrivenBefore],
        ['  the pipeline gave up on', plan.gaveUp],
        [plan.restartTarget === undefined ? 'eligible (will be redriven)' : `eligible (will be restarted on ${plan.restartTarget})`, plan.eligible],
        ...(plan.failStateRedrives > 0 ? [['  failed in a Fail state: will fail there again (restart them instead)', plan.failStateRedrives] as [string, number]] : []),
        ...sortedCounts(plan.ineligible).map(([reason, n]): [string, string] => [`ineligible ${reasonText(reason)}`, `${n} (${liftability(reason)})`]),
        ['evidence calls made', calls],
      ],
    ),
  );
  if (plan.preview.length > 0) {
    const withState = plan.preview.some((row) => row.failedState !== '');
    lines.push(`Preview (${plan.preview.length} of ${plan.matched}, earliest stop first: their windows close first):`);
    lines.push(
      renderTable(
        ['execution', 'status', 'stopped', 'error', 'cause', ...(withState ? ['failed state'] : []), 'verdict'],
        plan.preview.map((row) => [
          row.executionArn.split(':').slice(-2).join(':'),
          row.status,
          row.stopDate,
          row.error,
          row.cause,
          ...(withState ? [row.failedState] : []),
          row.verdict === 'REDRIVE' || row.verdict === 'RESTART' ? row.verdict.toLowerCase() : `${row.verdict}: ${row.detail} (${row.lift})`,
        ]),
      ),
    );
  }
  if (plan.planFile) lines.push(`Plan file: ${plan.planFile}`);
  return `${lines.join('\n')}\n`;
}

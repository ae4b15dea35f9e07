/**
 * Following the rerun an approved redrive started, so the person who approved it sees how it ended
 * ("Redrive approved by @alice … → SUCCEEDED") in the message they clicked. Pure: the engine reads the
 * execution and sends the next look.
 */
import type { ExecutionEvidence } from './evidence';

/** A rerun still running this long after the decision is no longer followed (its failure is handled as usual). */
export const RERUN_WATCH_MS = 24 * 3_600_000;
const FIRST_LOOK_MS = 60_000;
/** Slack takes a response_url up to five times within 30 minutes: https://docs.slack.dev/interactivity/handling-user-interaction */
export const SLACK_RESPONSE_URL_LIFE_MS = 30 * 60_000;
/** SQS message timers go up to 15 minutes. */
const LONGEST_GAP_MS = 15 * 60_000;

/** The wait before look number `checks + 1`: 1, 2, 4, 8, then every 15 minutes. */
export function nextLookDelayMs(checks: number): number {
  return Math.min(LONGEST_GAP_MS, FIRST_LOOK_MS * 2 ** checks);
}

export type RerunView = { kind: 'running' } | { kind: 'ended'; result: string };

/**
 * Where the rerun of failure `generation` stands. AWS counts a redrive in `redriveCount` once it has
 * started, so a count still at `generation` means the rerun has not begun: running, for this purpose.
 */
export function viewRerun(evidence: Pick<ExecutionEvidence, 'status' | 'redriveCount' | 'error'>, generation: number, watchedForMs: number): RerunView {
  const rerun = generation + 1;
  const redriveCount = evidence.redriveCount ?? 0;
  if (redriveCount > rerun) return { kind: 'ended', result: `ended unsuccessfully, then redriven ${redriveCount - rerun} more time(s): now ${evidence.status}` };
  const running = evidence.status === 'RUNNING' || evidence.status === 'PENDING_REDRIVE' || redriveCount < rerun;
  if (!running) return { kind: 'ended', result: `${evidence.status}${evidence.status !== 'SUCCEEDED' && evidence.error ? ` (${evidence.error})` : ''}` };
  if (watchedForMs < RERUN_WATCH_MS) return { kind: 'running' };
  return { kind: 'ended', result: `still ${evidence.status} after 24 h: no longer followed` };
}

/**
 * Reconciliation sweep. Step Functions delivers status events on a best-effort basis, so the sweep lists
 * recent failed executions of the watched state machines and hands any whose current failure generation
 * has no ledger entry to the same path as an event: enqueued for the worker, or decided at once.
 *
 * Per state machine, one sweep costs:
 * - one UpdateItem: when the sweep began watching it (the starting point of automatic redrive);
 * - ListExecutions pages (1,000 items each) per watched status, twice: executions never redriven, back to
 *   `lookbackHours + longestRunHours` of start dates, and executions redriven before, whatever their
 *   start date (redrive keeps it), within AWS's 90-day history retention;
 * - one GetItem per listed failure, and one SendMessage per failure the ledger has not seen;
 * - one Query on the ledger's sparse window-close index, for WINDOW_CLOSING alerts: the ledger knows the
 *   stop date of every failure it has seen, however long the execution ran or however often redriven.
 *
 * One bad item or one failing state machine never stops the others: it is logged, counted and alerted
 * once (until the set of problems changes).
 */
import { ListExecutionsCommand, ListStateMachinesCommand, type ExecutionListItem, type SFNClient } from '@aws-sdk/client-sfn';
import { parseExecutionArn } from '../core/arn';
import { approvalCommands, buildExecutionAlert, buildPipelineErrorAlert, buildStateMachineAlert } from '../core/alerts';
import type { AutoRedriveConfig } from '../core/config';
import { formatDuration, REDRIVE_WINDOW_MS, type HomeEnvironment } from '../core/decide';
import type { ExecutionEvidence } from '../core/evidence';
import { syntheticStatusEvent } from '../core/messages';
import type { IntakeQueue } from '../adapters/intake-queue';
import { attemptEntry } from '../adapters/ledger';
import { evidenceFromLedger, transitionSendingDisplaced, type EngineDeps, type RedriveEngine } from './redrive-engine';

export interface SweepDeps extends Pick<EngineDeps, 'config' | 'clock' | 'sfn' | 'ledger' | 'alerts' | 'logger'> {
  home: HomeEnvironment;
  /** How missed failures are handed over: enqueued as events for the worker, or decided now. */
  handOver: { queue: IntakeQueue } | { engine: RedriveEngine };
  /** Called before every ListExecutions page, for rate limiting. */
  beforeListCall?: () => Promise<void>;
}

export interface SweepProblem {
  /** The state machine or execution ARN (as listed) the problem is about. */
  subject: string;
  message: string;
}

export interface SweepReport {
  stateMachines: string[];
  listed: number;
  missed: string[];
  /** Failures that stopped before watching began, recorded as SKIPPED BEFORE_WATCHING (back-fill off). */
  beforeWatching: string[];
  windowClosing: Array<{ executionArn: string; windowLeftMs: number; alerted: boolean }>;
  /** Pending approvals whose window (less the safety margin) closed: now SKIPPED, alerted NOT_REDRIVABLE. */
  approvalsExpired: string[];
  /** State machines or items that could not be swept; the rest were. */
  problems: SweepProblem[];
}

const LIST_PAGE_SIZE = 1000;
const HOUR_MS = 3_600_000;

/** The watched state machines as ARNs: exact ones as given, prefixes and "all" resolved by listing. */
export async function resolveWatchedStateMachines(sfn: SFNClient, config: AutoRedriveConfig, home: HomeEnvironment): Promise<string[]> {
  const arns = new Set(config.watch.stateMachineArns);
  if (config.watch.all || config.watch.stateMachineNamePrefixes.length > 0) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListStateMachinesCommand({ maxResults: LIST_PAGE_SIZE, nextToken }));
      for (const sm of page.stateMachines ?? []) {
        if (sm.type === 'EXPRESS' || !sm.stateMachineArn || !sm.name) continue;
        if (config.watch.all || config.watch.stateMachineNamePrefixes.some((p) => sm.name!.startsWith(p))) arns.add(sm.stateMachineArn);
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return [...arns].filter((arn) => arn.includes(`:${home.region}:${home.account}:`));
}

export interface ListWindow {
  /** Executions that stopped before this are left out. */
  stoppedSinceMs: number;
  /** Never-redriven executions are listed back to this start date (the list's order). */
  startedSinceMs: number;
}

/**
 * Recent failures in the given statuses. ListExecutions sorts by start date, newest first, and a redrive
 * keeps the start date: never-redriven executions are paged back to `startedSinceMs`, redriven ones to
 * the end of the list. Each status and each filter is listed on its own; one reaching its horizon never
 * ends another.
 */
export async function* listRecentFailures(
  sfn: SFNClient,
  stateMachineArn: string,
  statuses: readonly string[],
  window: ListWindow,
  beforeCall?: () => Promise<void>,
): AsyncGenerator<ExecutionListItem> {
  for (const statusFilter of statuses) {
    for (const redriveFilter of ['NOT_REDRIVEN', 'REDRIVEN'] as const) {
      const startedSinceMs = redriveFilter === 'NOT_REDRIVEN' ? window.startedSinceMs : -Infinity;
      let nextToken: string | undefined;
      do {
        await beforeCall?.();
        const page = await sfn.send(
          new ListExecutionsCommand({ stateMachineArn, statusFilter: statusFilter as ExecutionListItem['status'], redriveFilter, maxResults: LIST_PAGE_SIZE, nextToken }),
        );
        let pastHorizon = false;
        for (const item of page.executions ?? []) {
          if ((item.startDate?.getTime() ?? Infinity) < startedSinceMs) {
            pastHorizon = true;
            break;
          }
          if ((item.stopDate?.getTime() ?? Infinity) >= window.stoppedSinceMs) yield item;
        }
        nextToken = pastHorizon ? undefined : page.nextToken;
      } while (nextToken);
    }
  }
}

export function evidenceFromListItem(item: ExecutionListItem): ExecutionEvidence {
  const arn = parseExecutionArn(item.executionArn!);
  return {
    executionArn: item.executionArn!,
    stateMachineArn: item.stateMachineArn ?? arn.stateMachineArn,
    executionName: item.name ?? arn.executionName,
    status: item.status as ExecutionEvidence['status'],
    startDateMs: item.startDate?.getTime() ?? 0,
    stopDateMs: item.stopDate?.getTime(),
    redriveCount: item.redriveCount ?? 0,
    mapRunArn: item.mapRunArn,
    sources: ['list'],
  };
}

export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const { config, clock, sfn, logger } = deps;
  const report: SweepReport = { stateMachines: [], listed: 0, missed: [], beforeWatching: [], windowClosing: [], approvalsExpired: [], problems: [] };
  try {
    report.stateMachines = await resolveWatchedStateMachines(sfn, config, deps.home);
  } catch (error) {
    // Prefixes could not be resolved: still sweep the exact ARNs.
    report.problems.push({ subject: 'ListStateMachines', message: errorText(error) });
    report.stateMachines = config.watch.stateMachineArns.filter((arn) => arn.includes(`:${deps.home.region}:${deps.home.account}:`));
  }
  for (const stateMachineArn of report.stateMachines) {
    try {
      await sweepStateMachine(deps, stateMachineArn, clock.nowMs(), report);
    } catch (error) {
      logger.error('Sweep of a state machine failed; the others go on', { stateMachineArn, error: error as Error });
      report.problems.push({ subject: stateMachineArn, message: errorText(error) });
    }
  }
  await alertProblemsOnce(deps, report.problems);
  logger.info('Sweep finished', {
    stateMachines: report.stateMachines.length,
    listed: report.listed,
    missed: report.missed.length,
    beforeWatching: report.beforeWatching.length,
    windowClosing: report.windowClosing.length,
    approvalsExpired: report.approvalsExpired.length,
    problems: report.problems.length,
  });
  return report;
}

async function sweepStateMachine(deps: SweepDeps, stateMachineArn: string, nowMs: number, report: SweepReport): Promise<void> {
  const { config, ledger, sfn, logger } = deps;
  // The schedule fires within one interval of the deploy, so watching began at most that long before
  // the first sweep: taking the earlier time errs towards redriving, never towards losing a failure.
  const watching = await ledger.watchingSince(stateMachineArn, nowMs - config.sweep.rateMinutes * 60_000);
  const stoppedSinceMs = nowMs - config.sweep.lookbackHours * HOUR_MS;
  const window = { stoppedSinceMs, startedSinceMs: stoppedSinceMs - config.sweep.longestRunHours * HOUR_MS };
  const beforeWatching: ExecutionEvidence[] = [];
  for await (const item of listRecentFailures(sfn, stateMachineArn, config.statuses, window, deps.beforeListCall)) {
    report.listed++;
    try {
      const evidence = evidenceFromListItem(item);
      const record = await ledger.get(evidence.executionArn);
      // A restarted execution is never redriven again, whatever generation fails later: nothing to hand over.
      if (record && (record.generation >= evidence.redriveCount! || record.restartedAs)) continue;
      if (!config.sweep.backfill && evidence.stopDateMs !== undefined && evidence.stopDateMs < watching.sinceMs) {
        if (await recordBeforeWatching(deps, evidence, watching.sinceMs)) beforeWatching.push(evidence);
        continue;
      }
      report.missed.push(evidence.executionArn);
      await handOver(deps, evidence);
    } catch (error) {
      logger.error('Sweep could not handle a listed execution; the others go on', { executionArn: item.executionArn, error: error as Error });
      report.problems.push({ subject: String(item.executionArn).slice(0, 300), message: errorText(error) });
    }
  }
  if (beforeWatching.length > 0) {
    report.beforeWatching.push(...beforeWatching.map((e) => e.executionArn));
    await alertBeforeWatching(deps, stateMachineArn, beforeWatching, watching.sinceMs, nowMs);
  }
  await expirePendingApprovals(deps, stateMachineArn, nowMs, report);
  await alertClosingWindows(deps, stateMachineArn, nowMs, report);
}

/** A pending approval that no sweep expired may have outlived its window by up to this much and still be found. */
const EXPIRY_LOOKBACK_MS = 24 * HOUR_MS;

/**
 * A pending approval cannot be approved once the redrive window, less the safety margin, closes: it ends
 * SKIPPED (REDRIVE_WINDOW_EXPIRED) with a NOT_REDRIVABLE alert, under the same conditional write as a
 * decision, so a click at that moment either redrives or finds it expired, never both.
 */
async function expirePendingApprovals(deps: SweepDeps, stateMachineArn: string, nowMs: number, report: SweepReport): Promise<void> {
  const { config, ledger, alerts } = deps;
  const marginMs = config.windowSafetyMarginSeconds * 1000;
  for await (const record of ledger.closingWindows(stateMachineArn, nowMs - EXPIRY_LOOKBACK_MS, nowMs + marginMs)) {
    if (record.phase !== 'APPROVAL_PENDING') continue;
    const evidence = evidenceFromLedger(record);
    const windowLeftMs = record.stopDateMs! + REDRIVE_WINDOW_MS - nowMs;
    const asked = record.approvalRequestedAtMs === undefined ? '' : ` since ${new Date(record.approvalRequestedAtMs).toISOString()}`;
    const left = windowLeftMs > 0 ? `${formatDuration(windowLeftMs)} left in the window, under the ${formatDuration(marginMs)} safety margin` : `the window closed ${formatDuration(-windowLeftMs)} ago`;
    const detail = `the approval pending${asked} expired: ${left}`;
    const decision = { action: 'SKIP' as const, reason: 'REDRIVE_WINDOW_EXPIRED' as const, detail, generation: record.generation, attemptNumber: record.attemptsUsed };
    const alert = buildExecutionAlert('NOT_REDRIVABLE', evidence, 'REDRIVE_WINDOW_EXPIRED', detail, record.attemptsUsed, config, nowMs);
    const written = await transitionSendingDisplaced(deps, {
      evidence,
      generation: record.generation,
      expect: { phases: ['APPROVAL_PENDING'] },
      phase: 'SKIPPED',
      reason: 'REDRIVE_WINDOW_EXPIRED',
      nowMs,
      attempt: attemptEntry(decision, 'SKIPPED', nowMs, 'sweep', { note: detail }),
      pendingAlert: alert,
    });
    // Lost: someone decided it in the meantime.
    if (!written.won) continue;
    // The NOT_REDRIVABLE alert says all a WINDOW_CLOSING one would: mark it sent so it is not repeated.
    await ledger.claimWindowClosingAlert(record.executionArn, record.generation);
    await alerts.publish(alert);
    await ledger.clearPendingAlert(record.executionArn, record.generation);
    report.approvalsExpired.push(record.executionArn);
  }
}

/** Back-fill is off: the failure is recorded as seen and left for an operator. True if this sweep recorded it. */
async function recordBeforeWatching(deps: SweepDeps, evidence: ExecutionEvidence, watchingSinceMs: number): Promise<boolean> {
  const { clock } = deps;
  const nowMs = clock.nowMs();
  const generation = evidence.redriveCount!;
  const detail = `stopped ${new Date(evidence.stopDateMs!).toISOString()}, before watching began at ${new Date(watchingSinceMs).toISOString()}`;
  const decision = { action: 'SKIP' as const, reason: 'BEFORE_WATCHING' as const, detail, generation, attemptNumber: 0 };
  const written = await transitionSendingDisplaced(deps, {
    evidence,
    generation,
    expect: { newGeneration: true },
    phase: 'SKIPPED',
    reason: 'BEFORE_WATCHING',
    nowMs,
    attempt: attemptEntry(decision, 'SKIPPED', nowMs, 'sweep', { note: detail }),
  });
  return written.won;
}

async function alertBeforeWatching(deps: SweepDeps, stateMachineArn: string, failures: ExecutionEvidence[], watchingSinceMs: number, nowMs: number): Promise<void> {
  // Absolute times: the command stays right however late someone reads the alert.
  const oldestStopMs = Math.min(...failures.map((e) => e.stopDateMs!));
  const command = `npx sfn-autoredrive redrive --state-machine ${stateMachineArn} --since ${new Date(oldestStopMs).toISOString()} --until ${new Date(watchingSinceMs).toISOString()} --reason "back-fill"`;
  const detail = `${failures.length} failed execution(s) stopped before sfn-autoredrive began watching this state machine (${new Date(watchingSinceMs).toISOString()}) and will not be redriven automatically. Recorded as SKIPPED BEFORE_WATCHING. To redrive them: ${command}`;
  deps.logger.warn('Failures from before watching began are not redriven automatically', { stateMachineArn, count: failures.length });
  await deps.alerts.publish(buildStateMachineAlert('NOT_BACKFILLED', stateMachineArn, 'BEFORE_WATCHING', detail, nowMs));
}

/** One alert per generation whose window closes within `windowClosingHours`, from the ledger's index. */
async function alertClosingWindows(deps: SweepDeps, stateMachineArn: string, nowMs: number, report: SweepReport): Promise<void> {
  const { config, ledger } = deps;
  for await (const record of ledger.closingWindows(stateMachineArn, nowMs + 1, nowMs + config.sweep.windowClosingHours * HOUR_MS)) {
    const windowLeftMs = record.stopDateMs! + REDRIVE_WINDOW_MS - nowMs;
    const alerted = record.windowClosingAlertedGeneration !== record.generation && (await ledger.claimWindowClosingAlert(record.executionArn, record.generation));
    if (alerted) {
      const pending = record.phase === 'APPROVAL_PENDING';
      const detail = pending
        ? `${formatDuration(windowLeftMs)} left, and an approval is pending: it expires when the window (less the safety margin) closes`
        : `${formatDuration(windowLeftMs)} left; last decision ${record.phase} (${record.reason})`;
      const alert = buildExecutionAlert('WINDOW_CLOSING', evidenceFromLedger(record), 'WINDOW_CLOSING', detail, record.attemptsUsed, config, nowMs);
      await deps.alerts.publish(pending ? { ...alert, generation: record.generation, commands: approvalCommands(record.executionArn, record.generation) } : alert);
    }
    report.windowClosing.push({ executionArn: record.executionArn, windowLeftMs, alerted });
  }
}

/** A PIPELINE_ERROR alert for the sweep's problems, sent again only when the set of problems changes. */
async function alertProblemsOnce(deps: SweepDeps, problems: SweepProblem[]): Promise<void> {
  const subjects = [...new Set(problems.map((p) => p.subject))].sort();
  const changed = await deps.ledger.recordSweepProblems(subjects.join('\n').slice(0, 10_000));
  if (!changed || problems.length === 0) return;
  const shown = problems.slice(0, 10).map((p) => `${p.subject}: ${p.message}`);
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
  const detail = `The sweep could not handle ${problems.length} item(s); everything else was swept. ${shown.join('; ')}${more}`;
  await deps.alerts.publish(buildPipelineErrorAlert(detail, deps.clock.nowMs()));
}

function errorText(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${(e?.message ?? String(error)).slice(0, 300)}`;
}

async function handOver(deps: SweepDeps, evidence: ExecutionEvidence): Promise<void> {
  if ('queue' in deps.handOver) {
    await deps.handOver.queue.sendEvent(syntheticStatusEvent(evidence, deps.home, deps.clock.nowMs()));
  } else {
    await deps.handOver.engine.handleEvidence(evidence, 'event');
  }
}

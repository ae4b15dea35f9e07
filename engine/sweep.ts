/**
 * Reconciliation sweep. Step Functions delivers status events on a best-effort basis, so the sweep lists
 * recent failed executions of the watched state machines and hands any whose current failure generation
 * has no ledger entry to the same path as an event: enqueued for the worker, or decided at once. It also
 * warns, once per failure, about executions still unredriven whose 14-day window is about to close.
 */
import { ListExecutionsCommand, ListStateMachinesCommand, type ExecutionListItem, type SFNClient } from '@aws-sdk/client-sfn';
import { parseExecutionArn } from '../core/arn';
import { buildExecutionAlert } from '../core/alerts';
import type { AutoRedriveConfig } from '../core/config';
import { REDRIVE_WINDOW_MS, type HomeEnvironment } from '../core/decide';
import type { ExecutionEvidence } from '../core/evidence';
import type { LedgerRecord } from '../core/ledger-record';
import { syntheticStatusEvent } from '../core/messages';
import type { IntakeQueue } from '../adapters/intake-queue';
import type { EngineDeps, RedriveEngine } from './redrive-engine';

export interface SweepDeps extends Pick<EngineDeps, 'config' | 'clock' | 'sfn' | 'ledger' | 'alerts' | 'logger'> {
  home: HomeEnvironment;
  /** How missed failures are handed over: enqueued as events for the worker, or decided now. */
  handOver: { queue: IntakeQueue } | { engine: RedriveEngine };
  /** Called before every ListExecutions page, for rate limiting. */
  beforeListCall?: () => Promise<void>;
}

export interface SweepReport {
  stateMachines: string[];
  listed: number;
  missed: string[];
  windowClosing: Array<{ executionArn: string; windowLeftMs: number; alerted: boolean }>;
}

const LIST_PAGE_SIZE = 1000;

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

/**
 * Recent executions in the given statuses. ListExecutions sorts by start date, newest first, so paging a
 * status stops at the first execution that started before the horizon; ones that stopped before it are
 * skipped. (An execution that started before the horizon and failed after it is not listed: the
 * horizon should cover how long the workflows run.)
 */
export async function* listRecentFailures(
  sfn: SFNClient,
  stateMachineArn: string,
  statuses: readonly string[],
  sinceMs: number,
  beforeCall?: () => Promise<void>,
): AsyncGenerator<ExecutionListItem> {
  for (const statusFilter of statuses) {
    let nextToken: string | undefined;
    do {
      await beforeCall?.();
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: statusFilter as ExecutionListItem['status'], maxResults: LIST_PAGE_SIZE, nextToken }),
      );
      let pastHorizon = false;
      for (const item of page.executions ?? []) {
        if ((item.startDate?.getTime() ?? Infinity) < sinceMs) {
          pastHorizon = true;
          break;
        }
        if ((item.stopDate?.getTime() ?? Infinity) >= sinceMs) yield item;
      }
      // Each status is listed on its own; reaching the horizon in one must not end the others.
      nextToken = pastHorizon ? undefined : page.nextToken;
    } while (nextToken);
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

function isUnredriven(record: LedgerRecord | undefined, generation: number): boolean {
  if (!record || record.generation === undefined || record.generation < generation) return true;
  return record.generation === generation && record.phase !== 'REDRIVEN' && record.phase !== 'REDRIVING';
}

export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const { config, clock, sfn, ledger, logger } = deps;
  const nowMs = clock.nowMs();
  const sinceMs = nowMs - config.sweep.lookbackHours * 3_600_000;
  const closingMs = config.sweep.windowClosingHours * 3_600_000;
  const report: SweepReport = { stateMachines: await resolveWatchedStateMachines(sfn, config, deps.home), listed: 0, missed: [], windowClosing: [] };

  for (const stateMachineArn of report.stateMachines) {
    for await (const item of listRecentFailures(sfn, stateMachineArn, config.statuses, sinceMs, deps.beforeListCall)) {
      report.listed++;
      const evidence = evidenceFromListItem(item);
      const generation = evidence.redriveCount ?? 0;
      const record = await ledger.get(evidence.executionArn);
      if (!record || record.generation === undefined || record.generation < generation) {
        report.missed.push(evidence.executionArn);
        await handOver(deps, evidence);
      }
      const windowLeftMs = (evidence.stopDateMs ?? nowMs) + REDRIVE_WINDOW_MS - nowMs;
      if (windowLeftMs > 0 && windowLeftMs < closingMs && isUnredriven(record, generation)) {
        const alerted = await ledger.claimWindowClosingAlert(evidence.executionArn, generation, nowMs);
        if (alerted) {
          const last = record?.phase ? `; last decision ${record.phase} (${record.reason})` : '; no decision recorded';
          const detail = `${Math.round(windowLeftMs / 3_600_000)} h left${last}`;
          await deps.alerts.publish(buildExecutionAlert('WINDOW_CLOSING', evidence, 'WINDOW_CLOSING', detail, record?.attemptsUsed ?? 0, config, nowMs));
        }
        report.windowClosing.push({ executionArn: evidence.executionArn, windowLeftMs, alerted });
      }
    }
  }
  logger.info('Sweep finished', { stateMachines: report.stateMachines.length, listed: report.listed, missed: report.missed.length, windowClosing: report.windowClosing.length });
  return report;
}

async function handOver(deps: SweepDeps, evidence: ExecutionEvidence): Promise<void> {
  if ('queue' in deps.handOver) {
    await deps.handOver.queue.sendEvent(syntheticStatusEvent(evidence, deps.home, deps.clock.nowMs()));
  } else {
    await deps.handOver.engine.handleEvidence(evidence, 'event');
  }
}

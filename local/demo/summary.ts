/** The end-of-run tables (cli-table3), the JSON form of the report, and the exit code. */
import Table from 'cli-table3';
import type { DemoReport } from './runner';

export const EXIT_OK = 0;
export const EXIT_ACCOUNTING_FAILED = 1;
export const EXIT_USAGE = 2;

/** Non-zero when a failure went unaccounted for or was redriven twice. */
export function exitCodeFor(report: Pick<DemoReport, 'accounting'>): number {
  return report.accounting.ok ? EXIT_OK : EXIT_ACCOUNTING_FAILED;
}

export function renderSummary(report: DemoReport): string {
  const { totals, skippedByReason, notWatchedByReason } = report.accounting;
  const mustBeZero = (count: number) => `${count} ${count === 0 ? '✓' : '✗'}`;
  const table = new Table({ head: ['Summary', 'Count'], colAligns: ['left', 'right'], style: { head: [], border: [] } });
  table.push(
    ['Executions', totals.executions],
    ['Failures seen (failed runs, from execution history)', totals.failuresSeen],
    ['Redriven', totals.redriven],
    ...(totals.approved + totals.rejected + totals.approvalPending > 0
      ? [
          ['Approved by a person (so redriven)', totals.approved],
          ['Rejected by a person', totals.rejected],
          ['Waiting for approval', totals.approvalPending],
        ]
      : []),
    ...(totals.restarted > 0 ? [['Restarted on a fixed version (a new execution each, listed too)', totals.restarted]] : []),
    ['Recovered after redrive (now SUCCEEDED)', totals.recoveredAfterRedrive],
    [`Gave up (with ${totals.gaveUpAlerts} alert${totals.gaveUpAlerts === 1 ? '' : 's'})`, totals.gaveUp],
    ...Object.entries(skippedByReason).map(([reason, count]) => [`Skipped: ${reason}`, count]),
    ...Object.entries(notWatchedByReason).map(([reason, count]) => [`Not watched by the config: ${reason}`, count]),
    ...(totals.expressNotWatched > 0 ? [['Express executions (not watched: no status events, no redrive)', totals.expressNotWatched]] : []),
    ...(totals.dryRun > 0 ? [['Dry run (would have redriven)', totals.dryRun]] : []),
    ['Parked in the intake DLQ', totals.parkedInDlq],
    ['Lost status events caught by the sweep', totals.caughtBySweep],
    ['Alerts published', totals.alerts],
    ['Duplicate redrives (must be 0)', mustBeZero(totals.duplicateRedrives)],
    ['Unaccounted failures (must be 0)', mustBeZero(totals.unaccountedFailures)],
  );
  return table.toString();
}

/** How each group of executions ended, e.g. "4× SUCCEEDED after 1 redrive". */
export function renderGroups(report: DemoReport): string {
  const groups = new Map(report.scenario.groups.map((group) => [group, new Map<string, number>()]));
  for (const execution of report.accounting.executions) {
    const outcomes = groups.get(execution.group) ?? new Map<string, number>();
    outcomes.set(execution.outcome, (outcomes.get(execution.outcome) ?? 0) + 1);
    groups.set(execution.group, outcomes);
  }
  const table = new Table({ head: ['Scenario group', 'How they ended'], style: { head: [], border: [] } });
  for (const [group, outcomes] of groups) {
    table.push([group, [...outcomes].map(([outcome, count]) => `${count}× ${outcome}`).join('\n')]);
  }
  return table.toString();
}

export function renderPipeline(report: DemoReport): string {
  const p = report.pipeline;
  return [
    `Pipeline: ${p.eventsDelivered} events delivered (${p.duplicateEventDeliveries} duplicates), ${p.statusEventsDropped} status events lost,`,
    `${p.emulatorFaultsInjected} injected API faults, ${p.emulatorThrottled} throttled calls, ${p.workerInvocations} worker invocations, ${p.sweeps} sweeps, ${p.slackPosts} Slack posts` +
      (p.ledgerItemsExpired > 0 ? `, ${p.ledgerItemsExpired} ledger items expired (TTL on the virtual clock).` : '.'),
  ].join(' ');
}

export function renderProblems(report: DemoReport): string {
  return report.accounting.problems.map((problem) => `  ✗ ${problem}`).join('\n');
}

/** The `--json` form: one object, the same numbers as the tables. */
export function reportJson(report: DemoReport): object {
  const { accounting } = report;
  return {
    scenario: report.scenario.name,
    ok: accounting.ok,
    totals: accounting.totals,
    skippedByReason: accounting.skippedByReason,
    notWatchedByReason: accounting.notWatchedByReason,
    alertsByKind: accounting.alertsByKind,
    problems: accounting.problems,
    virtualTime: report.virtualTime,
    wallTimeMs: report.wallTimeMs,
    pipeline: report.pipeline,
    executions: accounting.executions,
  };
}

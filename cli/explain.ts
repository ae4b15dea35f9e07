/**
 * `explain <executionArn>`: every eligibility and policy rule on one execution, passed or failed and
 * why, with the facts behind them and the decision the worker would take now. Costs one
 * DescribeExecution, one GetExecutionHistory page (the newest 100 events: the event count and the state
 * it failed in) and one ledger read.
 */
import { Command } from 'commander';
import { describeInto, ExecutionNotFoundError, FAILED_STATE_HISTORY_PAGE, historyTailInto } from '../adapters/sfn';
import { parseExecutionArn } from '../core/arn';
import { clientTokenFor } from '../core/client-token';
import { decide, explainRules, formatDuration, HISTORY_EVENT_LIMIT, REDRIVE_WINDOW_MS, type Decision } from '../core/decide';
import type { ExecutionEvidence } from '../core/evidence';
import { failedStateText } from '../core/fail-state';
import { evaluateErrorPolicy } from '../core/policy';
import { REASONS } from '../core/reasons';
import { AwsContext, loadConfigWithSource, type CliIo, type CommandEnv, type CommonOptions } from './context';
import { CliError, EXIT, type ExitCode } from './errors';
import { isoOrDash, json, renderFields, renderTable } from './output';


export function explainCommand(env: CommandEnv): Command {
  return new Command('explain')
    .description('Show every redrive rule for one execution, passed or failed, and what the worker would do now')
    .argument('<executionArn>', 'the execution to explain')
    .addHelpText(
      'after',
      `
Examples:
  $ sfn-autoredrive explain arn:aws:states:us-east-1:123456789012:execution:orders-flow:order-42
  $ sfn-autoredrive explain arn:aws:states:us-east-1:123456789012:execution:orders-flow:order-42 --output json

Exit codes: 0 explained, 2 usage error (malformed ARN, unknown execution, missing permission).`,
    )
    .action(async (executionArn: string) => {
      env.exit(await runExplain(executionArn, env.common(), env.io));
    });
}

function describeDecision(decision: Decision): string {
  const due = decision.dueAtMs === undefined ? '' : ` at ${isoOrDash(decision.dueAtMs)}`;
  return `${decision.action}${due} (${decision.reason}: ${decision.detail})`;
}

export async function runExplain(executionArn: string, options: CommonOptions, io: CliIo): Promise<ExitCode> {
  const arn = parseExecutionArn(executionArn);
  if (arn.resourceType === 'express' && !arn.mapRunLabel) {
    throw new CliError(`${executionArn} is an Express execution: ${REASONS.EXPRESS_STATE_MACHINE}, and DescribeExecution does not support them`);
  }
  const { config, source: configSource } = loadConfigWithSource(options, io);
  const ctx = await AwsContext.create(options, io);
  const ledger = ctx.ledger(config);
  const known: ExecutionEvidence = {
    executionArn,
    stateMachineArn: arn.stateMachineArn,
    executionName: arn.executionName,
    status: 'FAILED',
    startDateMs: 0,
    sources: [],
  };
  let evidence: ExecutionEvidence;
  let lastEnteredState: string | undefined;
  let lastEnteredFailState: boolean | undefined;
  try {
    ({ evidence, lastEnteredState, lastEnteredFailState } = await historyTailInto(ctx.clients.sfn, await describeInto(ctx.clients.sfn, known), FAILED_STATE_HISTORY_PAGE));
  } catch (error) {
    if (error instanceof ExecutionNotFoundError) throw new CliError(`Unknown execution: ${executionArn} does not exist in ${ctx.region}`);
    throw error;
  }
  // The last state entered is where a closed, unsuccessful execution failed; of a running or succeeded one it says nothing.
  const failedState = ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(evidence.status) ? lastEnteredState : undefined;
  const record = await ledger.get(executionArn);
  // A restart's item may be no more than its link (no failure handled yet), which `get` reads as absent.
  const restartOf = record?.restartOf ?? (await ledger.restartOf(executionArn));
  const nowMs = io.clock.nowMs();
  const context = { evidence, ledger: record, config, nowMs };
  const rules = explainRules({ ...context, trigger: 'event' });
  const workerDecision = decide({ ...context, trigger: 'event', random: () => 1 });
  const operatorDecision = decide({ ...context, trigger: 'operator' });
  // Shown whatever the other rules say: which rule the error meets is what a reader of the policy asks.
  const policy = evaluateErrorPolicy(config.errorPolicy, evidence.stateMachineArn, evidence.error, evidence.cause);

  const windowLeftMs = evidence.stopDateMs === undefined ? undefined : evidence.stopDateMs + REDRIVE_WINDOW_MS - nowMs;
  const attemptsUsed = record?.attemptsUsed ?? 0;
  const generation = evidence.redriveCount ?? 0;
  const tokens = (record?.attempts ?? [])
    .filter((attempt) => attempt.clientToken)
    .map((attempt) => ({ generation: attempt.generation, clientToken: attempt.clientToken!, outcome: attempt.outcome, actor: attempt.actor, atMs: attempt.outcomeAtMs ?? attempt.decidedAtMs }));
  const report = {
    executionArn,
    status: evidence.status,
    startDate: isoOrDash(evidence.startDateMs),
    stopDate: isoOrDash(evidence.stopDateMs),
    error: evidence.error,
    cause: evidence.cause,
    /** The state most recently entered (within the newest 100 events): where a failed execution failed. */
    failedState,
    /** That state is a Fail state: a redrive reruns it with the same input and fails again. */
    failedInFailState: failedState !== undefined && lastEnteredFailState === true,
    config: configSource,
    redriveCount: generation,
    redriveStatus: evidence.redriveStatus,
    redriveStatusReason: evidence.redriveStatusReason,
    window: { closesAt: windowLeftMs === undefined ? undefined : isoOrDash(evidence.stopDateMs! + REDRIVE_WINDOW_MS), leftMs: windowLeftMs },
    history: { eventsUsed: evidence.historyEventCount ?? 0, limit: HISTORY_EVENT_LIMIT, headroomEvents: config.historyHeadroomEvents },
    attempts: { used: attemptsUsed, max: config.maxAttempts, left: Math.max(0, config.maxAttempts - attemptsUsed) },
    ledger: record ? { generation: record.generation, phase: record.phase, reason: record.reason, updatedAt: isoOrDash(record.updatedAtMs), dueAt: record.dueAtMs === undefined ? undefined : isoOrDash(record.dueAtMs) } : null,
    restart: { restartedAs: record?.restartedAs, target: record?.restartTarget, restartOf },
    currentClientToken: clientTokenFor(executionArn, generation),
    clientTokensUsed: tokens,
    rules: rules.map((rule) => ({ rule: rule.rule, passed: rule.passed, detail: rule.detail })),
    /** What the error policy chooses for this error (auto, approve, never, restart) and which rule or list chose it. */
    policy,
    workerDecision: { action: workerDecision.action, reason: workerDecision.reason, detail: workerDecision.detail, dueAtMs: workerDecision.dueAtMs },
    operatorDecision: { action: operatorDecision.action, reason: operatorDecision.reason, detail: operatorDecision.detail },
  };
  if (options.output === 'json') {
    io.stdout(`${json(report)}\n`);
    return EXIT.ok;
  }
  const windowText = windowLeftMs === undefined ? 'unknown (no stop date)' : windowLeftMs >= 0 ? `${formatDuration(windowLeftMs)} left (closes ${report.window.closesAt})` : `closed ${formatDuration(-windowLeftMs)} ago`;
  io.stdout(
    [
      renderFields([
        ['execution', executionArn],
        ['status', `${evidence.status}${evidence.error ? ` (${evidence.error})` : ''}`],
        ['cause', evidence.cause ?? '-'],
        ['failed in state', failedState !== undefined ? failedStateText(failedState, lastEnteredFailState) : (lastEnteredState === undefined ? '-' : `- (not failed; last state entered: ${lastEnteredState})`)],
        ['stopped', report.stopDate],
        ['redrive count (failure generation)', generation],
        ['AWS redriveStatus', `${evidence.redriveStatus ?? '-'}${evidence.redriveStatusReason ? `: ${evidence.redriveStatusReason}` : ''}`],
        ['14-day redrive window', windowText],
        ['history events used', `${report.history.eventsUsed} of ${HISTORY_EVENT_LIMIT.toLocaleString('en-US')}`],
        ['attempts used / left', `${attemptsUsed} of ${config.maxAttempts} / ${report.attempts.left}`],
        ['ledger', record ? `generation ${record.generation} ${record.phase} (${record.reason})${record.dueAtMs === undefined ? '' : `, recheck due ${isoOrDash(record.dueAtMs)}`}` : 'no entry'],
        ...(record?.restartedAs ? [['restarted as', `${record.restartedAs} (on ${record.restartTarget})`] as [string, string]] : []),
        ...(restartOf ? [['restart of', restartOf] as [string, string]] : []),
        ['client token for this generation', report.currentClientToken],
        ['error policy', `${policy.action}: ${policy.detail}`],
        ['judged by config', configSource],
      ]),
      renderTable(['rule', 'result', 'detail'], rules.map((rule) => [rule.rule, rule.passed ? 'pass' : 'FAIL', rule.detail])),
      tokens.length > 0 ? renderTable(['generation', 'client token used', 'outcome', 'actor', 'at'], tokens.map((t) => [t.generation, t.clientToken, t.outcome, t.actor, isoOrDash(t.atMs)])) : 'Client tokens used: none',
      `Worker would now: ${describeDecision(workerDecision)}`,
      `\`redrive\` would now: ${describeDecision(operatorDecision)}`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}

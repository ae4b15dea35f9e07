/**
 * Runs a scenario on the embedded local stack with a virtual clock: starts the executions on their
 * timeline, lets the production worker, notifier and sweep do their job, jumps the clock to each next
 * timer (backoffs, Wait states, SQS timers), then audits every execution through the APIs.
 */
import { CreateStateMachineAliasCommand, CreateStateMachineCommand, StartExecutionCommand, StopExecutionCommand, UpdateStateMachineAliasCommand, UpdateStateMachineCommand } from '@aws-sdk/client-sfn';
import type { Alert } from '../../core/alerts';
import { RUNTIME_ENV } from '../../adapters/runtime-env';
import { VirtualClock } from '../clock';
import { LocalStack, type LocalStackOptions } from '../stack';
import { seededRandom } from '../sfn/rng';
import type { StatusChangeEvent } from '../sfn';
import { accountFor, type DemoAccounting } from './accounting';
import { collectFacts, type StartedExecution } from './facts';
import { planScenario, type PlannedAction, type PlannedExecution } from './plan';
import type { Scenario, ScenarioFaults } from './scenario';

export interface LiveSnapshot {
  nowMs: number;
  elapsedVirtualMs: number;
  started: number;
  total: number;
  byStatus: Record<string, number>;
  redrives: number;
  alerts: number;
}

export interface RunObserver {
  onAlert?(alert: Alert, elapsedVirtualMs: number): void;
  /** After each clock jump and each timeline action. */
  onProgress?(snapshot: LiveSnapshot): void;
  /** Something worth one line: a clock jump, a sweep that found lost events. */
  onNote?(text: string, elapsedVirtualMs: number): void;
  /** After the audit, before the stack stops: lets a test check the stack on its own. */
  beforeStop?(stack: LocalStack): Promise<void>;
}

export interface DemoReport {
  /** `groups`: the execution group labels, in the scenario's order. */
  scenario: { name: string; description: string; groups: string[] };
  virtualTime: { startIso: string; endIso: string; elapsedMs: number };
  /** Real time of the whole run, DynamoDB Local start included. */
  wallTimeMs: number;
  stackStartMs: number;
  accounting: DemoAccounting;
  pipeline: {
    workerInvocations: number;
    eventsDelivered: number;
    duplicateEventDeliveries: number;
    statusEventsDropped: number;
    emulatorFaultsInjected: number;
    emulatorThrottled: number;
    sweeps: number;
    slackPosts: number;
    /** Ledger items deleted because their TTL passed on the virtual clock. */
    ledgerItemsExpired: number;
  };
}

/** The emulator's seed for faults; runs are reproducible. */
const FAULT_SEED = 7;

/** `stackOptions`: how the stack differs from a deployment, for tests (IAM policies edited, Lambda errors seen). */
export async function runScenario(scenario: Scenario, observer: RunObserver = {}, stackOptions: Pick<LocalStackOptions, 'iam' | 'onLambdaError'> = {}): Promise<DemoReport> {
  const wallStartMs = performance.now();
  const clock = new VirtualClock({ startMs: scenario.startTime ? Date.parse(scenario.startTime) : Date.now() });
  const originMs = clock.nowMs();
  const elapsed = () => clock.nowMs() - originMs;
  const stack = await LocalStack.start({
    config: scenario.config,
    clock,
    mockConfig: scenario.mockConfig,
    throttling: scenario.faults.throttling ?? false,
    slackBatchingWindowSeconds: scenario.slackBatchingWindowSeconds,
    onAlert: (alert) => observer.onAlert?.(alert, elapsed()),
    ...stackOptions,
  });
  const stackStartMs = performance.now() - wallStartMs;
  try {
    const plan = planScenario(scenario);
    const faults = new FaultState(stack, plan.executions);
    faults.apply(scenario.faults);
    const stateMachineArns = await createStateMachines(stack, scenario);
    const started = new Map<string, StartedExecution>();
    const sweepMissed = new Set<string>();
    let sweeps = 0;

    const snapshot = (): LiveSnapshot => {
      const byStatus: Record<string, number> = {};
      let redrives = 0;
      for (const { executionArn } of started.values()) {
        const record = stack.sfn.execution(executionArn);
        if (!record) continue;
        byStatus[record.status] = (byStatus[record.status] ?? 0) + 1;
        redrives += record.redriveCount;
      }
      return { nowMs: clock.nowMs(), elapsedVirtualMs: elapsed(), started: started.size, total: plan.executions.length, byStatus, redrives, alerts: stack.alerts.length };
    };

    const perform = async (action: PlannedAction): Promise<void> => {
      switch (action.kind) {
        case 'start': {
          const { execution } = action;
          const smArn = stateMachineArns.get(execution.group.stateMachine)!;
          const target = execution.group.alias ? `${smArn}:${execution.group.alias}` : smArn;
          const out = await stack.clients.sfn.send(
            new StartExecutionCommand({ stateMachineArn: execution.group.testCase ? `${target}#${execution.group.testCase}` : target, name: execution.name, input: JSON.stringify(execution.input) }),
          );
          started.set(execution.name, { name: execution.name, executionArn: out.executionArn!, group: execution.group.label, startDateMs: out.startDate!.getTime() });
          return;
        }
        case 'stop': {
          const { executionArn } = started.get(action.execution.name)!;
          await stack.clients.sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator.Stopped', cause: `stopped by an operator (${action.execution.group.label})` }));
          return;
        }
        case 'jump':
          observer.onNote?.(`clock jumps ${formatSeconds(action.jumpMs / 1000)} ahead`, elapsed());
          await clock.advance(action.jumpMs);
          return;
        case 'faults':
          faults.apply(action.faults);
          observer.onNote?.('faults changed', elapsed());
          return;
        case 'deploy': {
          const { deploy } = action;
          const smArn = stateMachineArns.get(deploy.stateMachine)!;
          const { stateMachineVersionArn } = await stack.clients.sfn.send(new UpdateStateMachineCommand({ stateMachineArn: smArn, definition: JSON.stringify(deploy.definition), publish: true }));
          await stack.clients.sfn.send(new UpdateStateMachineAliasCommand({ stateMachineAliasArn: `${smArn}:${deploy.alias}`, routingConfiguration: [{ stateMachineVersionArn, weight: 100 }] }));
          observer.onNote?.(`fix deployed: ${deploy.stateMachine} ${stateMachineVersionArn!.split(':').pop()} behind alias ${deploy.alias}`, elapsed());
          return;
        }
        case 'clicks':
          // All at once, as two people (or one impatient one) would: the ledger's claim sorts them out.
          await Promise.all(action.clicks.map((click) => clickApproval(stack, click, (text) => observer.onNote?.(text, elapsed()))));
          return;
      }
    };

    const sweepEveryMs = scenario.config.sweep.rateMinutes * 60_000;
    let nextSweepAtMs = scenario.config.sweep.enabled ? originMs + sweepEveryMs : Infinity;
    let lastSweep: { atMs: number; missed: number } | undefined;
    const actions = [...plan.actions];
    for (;;) {
      await stack.settle();
      const nowMs = clock.nowMs();
      if (actions.length > 0 && originMs + actions[0].atOffsetMs <= nowMs) {
        await perform(actions.shift()!);
        observer.onProgress?.(snapshot());
        continue;
      }
      if (nextSweepAtMs <= nowMs) {
        const report = await stack.runSweep();
        sweeps++;
        for (const arn of report.missed) sweepMissed.add(arn);
        if (report.missed.length > 0) observer.onNote?.(`sweep found ${report.missed.length} failure(s) whose status event never arrived`, elapsed());
        lastSweep = { atMs: nowMs, missed: report.missed.length };
        // After a clock jump the schedule resumes from now: the skipped sweeps are not replayed.
        nextSweepAtMs = nextSweepAtMs + sweepEveryMs > nowMs ? nextSweepAtMs + sweepEveryMs : nowMs + sweepEveryMs;
        continue;
      }
      const nextTimerMs = clock.nextDueMs();
      const nextActionMs = actions.length > 0 ? originMs + actions[0].atOffsetMs : undefined;
      if (nextTimerMs === undefined && nextActionMs === undefined) {
        await stack.notifierIdleOrPaused();
        if (clock.nextDueMs() !== undefined) continue;
        // Quiet. Done once a sweep at this quiet moment found nothing the events missed.
        if (!Number.isFinite(nextSweepAtMs) || (lastSweep?.atMs === nowMs && lastSweep.missed === 0)) break;
      }
      const targetMs = Math.min(nextTimerMs ?? Infinity, nextActionMs ?? Infinity, nextSweepAtMs);
      await clock.advance(Math.max(0, targetMs - nowMs));
      observer.onProgress?.(snapshot());
    }

    // The audit reads through the same APIs, with the faults off so it sees the real state.
    faults.clear();
    const facts = await collectFacts([...started.values()], {
      sfn: stack.clients.sfn,
      sqs: stack.clients.sqs,
      ledger: stack.ledger,
      intakeDlqUrl: stack.env[RUNTIME_ENV.intakeDlqUrl],
      alerts: stack.alerts,
      sweepMissed,
    });
    const apiStats = Object.values(stack.sfn.stats().apis);
    await observer.beforeStop?.(stack);
    return {
      scenario: { name: scenario.name, description: scenario.description, groups: [...new Set(scenario.executions.map((g) => g.label))] },
      virtualTime: { startIso: new Date(originMs).toISOString(), endIso: new Date(clock.nowMs()).toISOString(), elapsedMs: elapsed() },
      wallTimeMs: Math.round(performance.now() - wallStartMs),
      stackStartMs: Math.round(stackStartMs),
      accounting: accountFor(facts, stack.config, clock.nowMs()),
      pipeline: {
        workerInvocations: stack.worker.counters.invocations,
        eventsDelivered: stack.bus.counters.delivered,
        duplicateEventDeliveries: stack.bus.counters.duplicated,
        statusEventsDropped: stack.sfn.stats().statusEvents.dropped,
        emulatorFaultsInjected: apiStats.reduce((sum, api) => sum + api.faulted, 0),
        emulatorThrottled: apiStats.reduce((sum, api) => sum + api.throttled, 0),
        sweeps,
        slackPosts: stack.slack?.posts.length ?? 0,
        ledgerItemsExpired: stack.ledgerItemsExpired,
      },
    };
  } finally {
    await stack.stop();
  }
}

/** Clicks a button of the approval message posted for one execution, and says what the endpoint answered. */
async function clickApproval(stack: LocalStack, click: NonNullable<Scenario['timeline'][number]['clicks']>[number], note: (text: string) => void): Promise<void> {
  const post = stack.slack?.approvalMessageFor(click.execution);
  if (!post) {
    note(`@${click.user.name} found no approval message for ${click.execution} to click`);
    return;
  }
  const answer = await stack.slack!.click(post, click.button, click.user);
  note(`@${click.user.name} clicked ${click.button} on ${click.execution}: HTTP ${answer.statusCode}${answer.body ? ` ${answer.body}` : ''}`);
}

async function createStateMachines(stack: LocalStack, scenario: Scenario): Promise<Map<string, string>> {
  const arns = new Map<string, string>();
  for (const sm of scenario.stateMachines) {
    const out = await stack.clients.sfn.send(
      new CreateStateMachineCommand({ name: sm.name, type: sm.type, definition: JSON.stringify(sm.definition), roleArn: 'arn:aws:iam::123456789012:role/demo-state-machine', publish: sm.alias !== undefined }),
    );
    arns.set(sm.name, out.stateMachineArn!);
    if (sm.alias) {
      await stack.clients.sfn.send(new CreateStateMachineAliasCommand({ name: sm.alias, routingConfiguration: [{ stateMachineVersionArn: out.stateMachineVersionArn!, weight: 100 }] }));
    }
  }
  return arns;
}

/** The scenario's faults, merged as the timeline changes them, applied to the emulator and the bus. */
class FaultState {
  private current: ScenarioFaults = {};
  private readonly busRandom = seededRandom(FAULT_SEED);
  private readonly dropRandom = seededRandom(FAULT_SEED + 1);
  /** Execution name → statuses whose events are lost. */
  private readonly lostEvents: Map<string, ReadonlySet<string>>;

  constructor(
    private readonly stack: LocalStack,
    executions: PlannedExecution[],
  ) {
    this.lostEvents = new Map(executions.filter((e) => e.group.dropStatusEvents).map((e) => [e.name, new Set(e.group.dropStatusEvents)]));
  }

  apply(change: ScenarioFaults): void {
    this.current = {
      stepFunctions: { ...this.current.stepFunctions, ...change.stepFunctions },
      eventBus: { ...this.current.eventBus, ...change.eventBus },
    };
    const { forcedErrors, latencyMs, serverErrorRate, dropStatusEventRate } = this.current.stepFunctions ?? {};
    this.stack.sfn.setFaults({
      latencyMs: latencyMs ?? 0,
      serverErrorRate: serverErrorRate ?? 0,
      // Forced errors are counted down by the emulator, so only a change sets them again.
      ...(change.stepFunctions?.forcedErrors ? { forcedErrors } : {}),
      dropStatusEvents: (event: StatusChangeEvent) =>
        this.lostEvents.get(event.detail.name)?.has(event.detail.status) === true || this.dropRandom() < (dropStatusEventRate ?? 0),
    });
    this.stack.bus.setFaults({ ...this.current.eventBus, random: this.busRandom });
  }

  clear(): void {
    this.stack.sfn.setFaults({ latencyMs: 0, serverErrorRate: 0, forcedErrors: {}, dropStatusEvents: 0 });
    this.stack.bus.setFaults({});
  }
}

export function formatSeconds(seconds: number): string {
  if (seconds >= 86_400) return `${+(seconds / 86_400).toFixed(1)} d`;
  if (seconds >= 3600) return `${+(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 60) return `${+(seconds / 60).toFixed(1)} min`;
  return `${seconds} s`;
}

/**
 * The real system of a model run: the embedded local stack (Step Functions emulator, event bus with the
 * deployed event pattern, intake queue, the production worker and sweep, SNS) on a VirtualClock, over a
 * DynamoDB Local shared by every run of the test file (a fresh ledger table per run), plus the operator
 * CLI run in-process. It records the facts the model needs afterwards: when each failure's status event
 * reached the queue, when sweeps ran and what they handed over, console redrives, crashes, operator runs.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand } from '@aws-sdk/client-sns';
import { CreateStateMachineAliasCommand, CreateStateMachineCommand, RedriveExecutionCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '../../adapters/clients';
import type { CliIo } from '../../cli/context';
import { runCli } from '../../cli/program';
import { parseConfig, type AutoRedriveConfig } from '../../core/config';
import type { ApprovalMessage } from '../../core/messages';
import { restartsBefore } from '../../core/restart';
import { approvalButtonValue, APPROVAL_ACTIONS, slackSignature } from '../../core/slack-interaction';
import { receiveInteraction } from '../../engine/approval-intake';
import { buildEventPattern } from '../../core/event-pattern';
import { VirtualClock } from '../../local/clock';
import type { DynamoDbLocal } from '../../local/dynamodb-local';
import { ADMIN_CREDENTIALS } from '../../local/iam/principals';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/fabric/aws-names';
import type { BusEvent } from '../../local/fabric/event-bus';
import { StatesError } from '../../local/sfn/asl/states-error';
import type { TaskHandlerContext } from '../../local/sfn';
import { LOCAL_NAMES, LocalStack } from '../../local/stack';
import { APPROVERS, configInput, CRASH_POINT_TEXT, FLAGS, type CrashPoint, type ErrorName, type ExecutionKind, type Fate, type ModelConfig, type PreDeploy, type StartSpec } from './scenario';

/**
 * Far in the (real) future on purpose: ledger items expire (DynamoDB TTL) 30 virtual days after their last
 * update, and DynamoDB Local deletes expired items by the real clock, in the background, at random times.
 * A virtual date in the real past made items vanish mid-run.
 */
export const MODEL_START_MS = Date.UTC(2036, 0, 7, 8, 0, 0);
const ROLE_ARN = 'arn:aws:iam::123456789012:role/sfn';

/** The Task fails (or not) as the execution's kind says for this generation. */
const CHARGE = { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true };
const FLOW = { StartAt: 'Hold', States: { Hold: { Type: 'Wait', SecondsPath: '$.holdSeconds', Next: 'Charge' }, Charge: CHARGE } };
/** Times out in its Wait, every run: TIMED_OUT (no error, as on AWS), again after each redrive. */
const TIMES_OUT = { TimeoutSeconds: 300, StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 600, Next: 'Charge' }, Charge: CHARGE } };

export const MACHINES = {
  flow: { name: 'orders-flow', definition: FLOW, watched: true },
  timesOut: { name: 'orders-timeout', definition: TIMES_OUT, watched: true },
  unwatched: { name: 'billing-flow', definition: FLOW, watched: false },
  dotted: { name: 'orders.v2', definition: FLOW, watched: true },
  accented: { name: 'orders-été', definition: FLOW, watched: true },
} as const;
export type MachineKey = keyof typeof MACHINES;

export interface ExecutionFacts {
  arn: string;
  name: string;
  machine: MachineKey;
  spec: StartSpec;
  startedAtMs: number;
  beforeDeploy: boolean;
  /** A fix-forward restart (`<name>-restart-<n>`): the execution it restarted. */
  restartOf?: string;
}

/** One approval click (Slack) or `approve`/`reject` run (CLI), and what it was answered. */
export interface ApprovalFacts {
  arn: string;
  generation: number;
  verdict: ApprovalMessage['verdict'];
  via: 'slack' | 'cli';
  by: string;
  atMs: number;
  /** Slack: the endpoint's HTTP status; CLI: the exit code. */
  answer: number;
}

export interface EventFacts {
  /** Status events that matched the rule. */
  emitted: number;
  /** Times a copy reached the intake queue. */
  delivered: number[];
  dropped: number;
  /** Copies still waiting on their delay. */
  pending: number;
}

export interface SweepFacts {
  atMs: number;
  /** The failure generation each execution was in when the sweep started (failed executions only). */
  failedAt: Map<string, number>;
  /** Each execution's ledger generation and phase when the sweep started. */
  ledgerBefore: Map<string, { generation?: number; phase?: string }>;
  /** Failures the sweep recorded as SKIPPED BEFORE_WATCHING. */
  beforeWatching: string[];
  problems: string[];
  final: boolean;
  missed: string[];
  windowClosing: Array<{ executionArn: string; windowLeftMs: number; alerted: boolean }>;
  error?: string;
}

export interface OperatorFacts {
  command: 'redrive' | 'restart';
  restartTarget?: string;
  atMs: number;
  includeRedriven: boolean;
  code: number;
  stdout: string;
  stderr: string;
}

export interface Facts {
  startMs: number;
  deployedAtMs: number;
  /** When watching began: the first sweep, less one schedule interval (the sweep's own rule). */
  watchingSinceMs: number;
  executions: Map<string, ExecutionFacts>;
  events: Map<string, EventFacts>;
  sweeps: SweepFacts[];
  consoleRedrives: Array<{ arn: string; generation: number; atMs: number }>;
  operatorRuns: OperatorFacts[];
  approvals: ApprovalFacts[];
  crashesFired: Record<CrashPoint, number>;
  /** Bodies of intake-queue and DLQ messages dropped for outliving SQS's 14-day retention. */
  expiredMessages: string[];
}

export const eventKey = (arn: string, generation: number) => `${arn}#${generation}`;

/** What the Task does in this generation. */
function outcomeFor(kind: ExecutionKind, generation: number): { error: ErrorName } | 'succeeds' {
  switch (kind.type) {
    case 'fails':
      return kind.times === 'always' || generation < kind.times ? { error: kind.error } : 'succeeds';
    case 'unwatched':
      return { error: kind.error };
    default:
      return 'succeeds';
  }
}

const WORKER_ALERT_KINDS = new Set(['GAVE_UP', 'NOT_REDRIVABLE', 'SKIPPED_NON_RETRYABLE', 'APPROVAL_NEEDED', 'RESTARTED', 'RESTART_FAILED']);
const RESTART_NAME = /^(?<root>.+)-restart-[1-9]\d*$/;
/** Signs the model's Slack clicks (the endpoint's deps are given it directly: the stack runs without Slack). */
const SLACK_SIGNING_SECRET = 'model-signing-secret';
const SLACK_RESPONSE_URL = 'https://hooks.slack.com/actions/T0MODEL/1/x';
const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

export class PipelineHarness {
  readonly facts: Facts;
  readonly config: AutoRedriveConfig;
  private readonly armed = new Map<CrashPoint, number>();
  private readonly fatesByName = new Map<string, { kind: ExecutionKind; fates: Fate[] }>();
  /** The last status event of each failure generation, as the bus delivered it (for late copies). */
  private readonly eventBodies = new Map<string, string>();
  private deployed = false;
  private workerUp = true;
  private nextName = 1;
  private readonly consoleSfn: SFNClient;
  private readonly configDir: string;
  private readonly configFile: string;

  private constructor(
    readonly stack: LocalStack,
    readonly clock: VirtualClock,
    readonly model: ModelConfig,
  ) {
    this.config = stack.config;
    this.facts = {
      startMs: clock.nowMs(),
      deployedAtMs: clock.nowMs(),
      watchingSinceMs: clock.nowMs(),
      executions: new Map(),
      events: new Map(),
      sweeps: [],
      consoleRedrives: [],
      operatorRuns: [],
      approvals: [],
      crashesFired: { beforeClaim: 0, afterClaim: 0, afterRedrive: 0, beforeRecord: 0, beforeAlert: 0, afterStart: 0 },
      expiredMessages: [],
    };
    for (const queue of [stack.intakeQueue, stack.intakeDlq]) queue.onExpired((body) => this.facts.expiredMessages.push(body));
    // A person in the console, with the account's full rights (stopping executions is not an operator's grant).
    this.consoleSfn = new SFNClient({ endpoint: stack.sfn.endpoint, region: LOCAL_REGION, credentials: ADMIN_CREDENTIALS, maxAttempts: 1 });
    this.configDir = mkdtempSync(join(tmpdir(), 'model-config-'));
    this.configFile = join(this.configDir, 'autoredrive.config.json');
    writeFileSync(this.configFile, JSON.stringify(configInput(model)));
  }

  static async start(dynamo: DynamoDbLocal, model: ModelConfig): Promise<PipelineHarness> {
    const clock = new VirtualClock({ startMs: MODEL_START_MS });
    let harness: PipelineHarness | undefined;
    const stack = await LocalStack.start({
      clock,
      config: configInput(model),
      slack: false,
      sharedDynamo: { dynamo, ledgerTableName: `ledger-${randomUUID().slice(0, 8)}` },
      taskHandlers: { Charge: (_input, context) => harness!.charge(context) },
    });
    try {
      harness = new PipelineHarness(stack, clock, model);
      await harness.wire();
      return harness;
    } catch (error) {
      await stack.stop();
      throw error;
    }
  }

  private async wire(): Promise<void> {
    const { stack } = this;
    for (const [key, machine] of Object.entries(MACHINES)) {
      if ((key === 'dotted' || key === 'accented') && !FLAGS.exoticMachines) continue;
      // Version 1 and an alias `prod` on it: where restart rules may point.
      const created = await stack.clients.sfn.send(new CreateStateMachineCommand({ name: machine.name, definition: JSON.stringify(machine.definition), roleArn: ROLE_ARN, publish: true }));
      await stack.clients.sfn.send(new CreateStateMachineAliasCommand({ name: 'prod', routingConfiguration: [{ stateMachineVersionArn: created.stateMachineVersionArn!, weight: 100 }] }));
    }
    // The deployed rule pattern, with a target that plays each event's fate before the intake queue.
    stack.bus.removeRule(LOCAL_NAMES.rule);
    stack.bus.addRule({
      name: 'model-intake',
      pattern: buildEventPattern(this.config, { partition: 'aws', region: LOCAL_REGION, account: LOCAL_ACCOUNT }),
      target: (event) => this.route(event),
    });
    this.installCrashHooks();
    // Not deployed yet: the worker is down and no rule forwards events until deploy().
    await stack.worker.stop();
    this.workerUp = false;
  }

  /** Failures that happen before the deploy, then `ageMs` with nothing watching; then the deploy. */
  async deploy(pre: PreDeploy): Promise<void> {
    for (const spec of pre.starts) await this.startExecution(spec);
    await this.runUntil(this.clock.nowMs() + pre.ageMs);
    this.deployed = true;
    this.facts.deployedAtMs = this.clock.nowMs();
    this.stack.worker.start();
    this.workerUp = true;
    await this.settle();
    // The sweep's schedule fires within its first interval after the deploy: at once, here.
    await this.sweep();
  }

  private async charge(context: TaskHandlerContext): Promise<unknown> {
    const plan = this.fatesByName.get(context.executionName) ?? this.restartPlan(context.executionName);
    if (!plan) throw new StatesError('Model.Unknown', `no plan for ${context.executionName}`);
    const outcome = outcomeFor(plan.kind, context.redriveCount);
    if (outcome === 'succeeds') return { charged: true };
    throw new StatesError(outcome.error, `upstream refused (run ${context.redriveCount})`);
  }

  /**
   * A restart runs the fixed revision: it succeeds, unless the original always fails (the fix did not
   * help), in which case it fails the same way at once and its line is restarted up to maxAttempts times.
   */
  private restartPlan(name: string): { kind: ExecutionKind; fates: Fate[] } | undefined {
    const root = RESTART_NAME.exec(name)?.groups?.root;
    const original = root === undefined ? undefined : this.fatesByName.get(root);
    if (!original) return undefined;
    const kind: ExecutionKind =
      original.kind.type !== 'fails' ? { type: 'fails', error: 'Retryable.Timeout', times: 0, holdSeconds: 0 } : { ...original.kind, holdSeconds: 0, times: original.kind.times === 'always' ? 'always' : 0 };
    const plan = { kind, fates: [] };
    this.fatesByName.set(name, plan);
    return plan;
  }

  /** Executions the pipeline or the CLI started (restarts) join the run's facts once they exist. */
  private discoverRestarts(): void {
    const store = (this.stack.sfn as unknown as { ctx: { store: { executions: Map<string, { arn: string; name: string; startDateMs: number }> } } }).ctx.store;
    for (const execution of store.executions.values()) {
      if (this.facts.executions.has(execution.arn) || restartsBefore(execution.name) === 0) continue;
      const root = RESTART_NAME.exec(execution.name)!.groups!.root;
      const n = restartsBefore(execution.name);
      const originalName = n === 1 ? root : `${root}-restart-${n - 1}`;
      const original = [...this.facts.executions.values()].find((e) => e.name === originalName && execution.arn.startsWith(e.arn.slice(0, e.arn.length - e.name.length)));
      if (!original) continue;
      const plan = this.fatesByName.get(execution.name) ?? this.restartPlan(execution.name)!;
      this.facts.executions.set(execution.arn, { arn: execution.arn, name: execution.name, machine: original.machine, spec: { ...original.spec, kind: plan.kind, fates: [] }, startedAtMs: execution.startDateMs, beforeDeploy: false, restartOf: original.arn });
    }
  }

  private route(event: BusEvent): void {
    const detail = event.detail as { executionArn: string; name: string; redriveCount: number };
    const generation = detail.redriveCount ?? 0;
    const key = eventKey(detail.executionArn, generation);
    this.eventBodies.set(key, JSON.stringify(event));
    const facts = this.facts.events.get(key) ?? { emitted: 0, delivered: [], dropped: 0, pending: 0 };
    this.facts.events.set(key, facts);
    facts.emitted++;
    if (!this.deployed) {
      facts.dropped++;
      return;
    }
    const fate = this.fatesByName.get(detail.name)?.fates[generation] ?? [0];
    if (fate.length === 0) facts.dropped++;
    const send = () => this.deliver(key);
    for (const delayMs of fate) {
      if (delayMs === 0) {
        send();
        continue;
      }
      facts.pending++;
      this.clock.setTimer(this.clock.nowMs() + delayMs, () => {
        facts.pending--;
        send();
      });
    }
  }

  /** One copy of a failure generation's status event reaches the intake queue now. */
  private deliver(key: string): void {
    this.stack.intakeQueue.send({ body: this.eventBodies.get(key)! });
    this.facts.events.get(key)!.delivered.push(this.clock.nowMs());
  }

  /**
   * EventBridge delivers once more, late, the status event of the last failure of execution #pick (a
   * restart or a restarted original included). Says what it did.
   */
  async lateEvent(pick: number): Promise<string> {
    const arns = [...this.facts.executions.keys()];
    const arn = arns[pick % arns.length];
    const record = this.stack.sfn.execution(arn)!;
    const key = eventKey(arn, record.redriveCount);
    const name = this.facts.executions.get(arn)!.name;
    if (!this.deployed || !this.eventBodies.has(key)) return `${name}: no status event for generation ${record.redriveCount}`;
    this.deliver(key);
    await this.settle();
    return `${name} generation ${record.redriveCount} again`;
  }

  private newName(spec: StartSpec): { name: string; machine: MachineKey } {
    const n = this.nextName++;
    const machine: MachineKey =
      spec.kind.type === 'timesOut' ? 'timesOut' : spec.kind.type === 'unwatched' ? 'unwatched' : spec.nameStyle === 'plain' || !FLAGS.exoticMachines ? 'flow' : spec.nameStyle;
    const name = spec.nameStyle === 'dotted' ? `order.${n}.v2` : spec.nameStyle === 'accented' ? `commande-été-${n}` : `order-${n}`;
    return { name, machine };
  }

  async startExecution(spec: StartSpec): Promise<ExecutionFacts> {
    const { name, machine } = this.newName(spec);
    this.fatesByName.set(name, { kind: spec.kind, fates: spec.fates });
    const holdSeconds = spec.kind.type === 'fails' ? spec.kind.holdSeconds : spec.kind.type === 'aborted' ? 3600 : 0;
    const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${MACHINES[machine].name}`;
    const startedAtMs = this.clock.nowMs();
    const out = await this.stack.clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ holdSeconds }) }));
    const arn = out.executionArn!;
    const facts: ExecutionFacts = { arn, name, machine, spec, startedAtMs, beforeDeploy: !this.deployed };
    this.facts.executions.set(arn, facts);
    if (spec.kind.type === 'aborted') {
      await this.stack.sfn.waitForIdle();
      await this.consoleSfn.send(new StopExecutionCommand({ executionArn: arn, cause: 'stopped by an operator' }));
    }
    await this.settle();
    return facts;
  }

  armCrash(point: CrashPoint, times: number): void {
    this.armed.set(point, (this.armed.get(point) ?? 0) + times);
  }

  private fire(point: CrashPoint): void {
    const left = this.armed.get(point) ?? 0;
    if (left <= 0) return;
    this.armed.set(point, left - 1);
    this.facts.crashesFired[point]++;
    throw new Error(`injected crash: the worker died ${CRASH_POINT_TEXT[point]}`);
  }

  /**
   * Crash injection around the SDK clients of the worker and the sweep (each calls as its own role); the
   * operator CLI and the console have their own clients, so only the worker dies. A crash throws out of
   * the engine: the record fails and SQS delivers the message again after the visibility timeout (or
   * parks it in the DLQ).
   */
  private installCrashHooks(): void {
    for (const clients of Object.values(this.stack.lambdaClients)) this.installCrashHooksOn(clients);
  }

  private installCrashHooksOn(clients: AwsClients): void {
    if (process.env.MODEL_DEBUG) {
      wrapSend(clients.dynamo, async (command, send) => {
        if (!(command instanceof UpdateCommand)) return send(command);
        const label = `${String(command.input.Key?.executionArn).split(':').pop()} ${command.input.UpdateExpression?.slice(0, 60)} ${JSON.stringify(command.input.ExpressionAttributeValues?.[':phase'] ?? '')} ${JSON.stringify(command.input.ExpressionAttributeValues?.[':newAttempts'] ?? '')}`;
        try {
          const out = await send(command);
          console.log(`UPDATE ok ${label}`);
          return out;
        } catch (error) {
          console.log(`UPDATE ${(error as Error).name} ${label}`);
          throw error;
        }
      });
    }
    wrapSend(clients.dynamo, async (command, send) => {
      if (command instanceof UpdateCommand) {
        const phase = command.input.ExpressionAttributeValues?.[':phase'];
        const claim = phase === 'WAITING' || phase === 'REDRIVING' || phase === 'RESTARTING';
        if (claim) this.fire('beforeClaim');
        if (phase === 'REDRIVEN') this.fire('beforeRecord');
        const result = await send(command);
        if (claim) this.fire('afterClaim');
        return result;
      }
      return send(command);
    });
    wrapSend(clients.sfn, async (command, send) => {
      const result = await send(command);
      if (command instanceof RedriveExecutionCommand) this.fire('afterRedrive');
      if (command instanceof StartExecutionCommand) this.fire('afterStart');
      return result;
    });
    wrapSend(clients.sns, async (command, send) => {
      if (command instanceof PublishCommand) {
        const kind = command.input.MessageAttributes?.kind?.StringValue;
        if (kind && WORKER_ALERT_KINDS.has(kind)) this.fire('beforeAlert');
      }
      return send(command);
    });
  }

  /** Waits until nothing can run without the clock moving. */
  async settle(): Promise<void> {
    if (this.workerUp) await this.stack.settle();
    else await this.stack.sfn.waitForIdle();
    this.discoverRestarts();
  }

  /**
   * Moves the clock to `targetMs` one timer at a time, letting the stack settle after each, so the
   * pipeline keeps up with time (a backoff due in an hour runs in that hour). Without a target: until no
   * timer is left.
   */
  async runUntil(targetMs?: number): Promise<void> {
    const { clock } = this;
    for (let jumps = 0; ; jumps++) {
      if (jumps > 20_000) throw new Error('the stack was still busy after 20,000 clock jumps');
      await this.settle();
      const next = clock.nextDueMs();
      if (next === undefined || (targetMs !== undefined && next > targetMs)) break;
      await clock.advance(Math.max(0, next - clock.nowMs()));
    }
    if (targetMs !== undefined && targetMs > clock.nowMs()) {
      await clock.advance(targetMs - clock.nowMs());
      await this.settle();
    }
  }

  async advance(ms: number): Promise<void> {
    await this.runUntil(this.clock.nowMs() + ms);
  }

  /** The worker is down (its event source disabled) while `ms` pass; messages wait in the queue. */
  async outage(ms: number): Promise<void> {
    await this.stack.worker.stop();
    this.workerUp = false;
    try {
      await this.runUntil(this.clock.nowMs() + ms);
    } finally {
      this.stack.worker.start();
      this.workerUp = true;
    }
    await this.settle();
  }

  async sweep(final = false): Promise<SweepFacts> {
    const atMs = this.clock.nowMs();
    const failedAt = new Map<string, number>();
    for (const arn of this.facts.executions.keys()) {
      const record = this.stack.sfn.execution(arn)!;
      if (record.status === 'FAILED' || record.status === 'TIMED_OUT' || record.status === 'ABORTED') failedAt.set(arn, record.redriveCount);
    }
    const ledgerBefore = new Map<string, { generation?: number; phase?: string }>();
    for (const [arn, item] of await this.ledgerItems()) ledgerBefore.set(arn, { generation: item.generation as number | undefined, phase: item.phase as string | undefined });
    const base = { atMs, failedAt, ledgerBefore, final };
    let facts: SweepFacts;
    try {
      const report = await this.stack.runSweep();
      const problems = report.problems.map((p) => `${p.subject}: ${p.message}`);
      facts = { ...base, missed: report.missed, beforeWatching: report.beforeWatching, windowClosing: report.windowClosing, problems };
    } catch (error) {
      facts = { ...base, missed: [], beforeWatching: [], windowClosing: [], problems: [], error: `${(error as Error).name}: ${(error as Error).message}` };
    }
    if (this.facts.sweeps.length === 0) this.facts.watchingSinceMs = atMs - this.config.sweep.rateMinutes * 60_000;
    this.facts.sweeps.push(facts);
    await this.settle();
    return facts;
  }

  /** The CLI in-process with the run's config file, against this stack; with `alongsideMs` the clock moves on (timer by timer) meanwhile. */
  private async cli(args: string[], alongsideMs = 0): Promise<{ atMs: number; code: number; stdout: string; stderr: string }> {
    const { stack } = this;
    const flags = [
      '--region', LOCAL_REGION,
      '--endpoint-url', stack.sfn.endpoint,
      '--dynamodb-endpoint-url', stack.dynamo.endpoint,
      '--sqs-endpoint-url', stack.aws.url,
      '--sns-endpoint-url', stack.aws.url,
      '--table', stack.ledgerTableName,
      '--config', this.configFile,
      '--alert-topic-arn', stack.alertTopicArn,
      '--output', 'json',
    ];
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      isTTY: false,
      env: {},
      clock: this.clock,
      cwd: this.configDir,
      confirm: async () => false,
      onInterrupt: () => () => undefined,
    };
    const atMs = this.clock.nowMs();
    const running = runCli([...args, ...flags], io);
    if (alongsideMs > 0) await this.runUntil(atMs + alongsideMs);
    const code = await running;
    return { atMs, code, stdout, stderr };
  }

  /**
   * `sfn-autoredrive redrive` (or `restart --target T`) over every `orders*` failure, while the worker
   * keeps running; with `alongsideMs` the clock moves on (timer by timer) while the CLI works.
   */
  async operator(options: { includeRedriven: boolean; alongsideMs: number; restartTarget?: string }): Promise<OperatorFacts> {
    const command = options.restartTarget === undefined ? 'redrive' : 'restart';
    const args = [
      command,
      ...(options.restartTarget === undefined ? [] : ['--target', options.restartTarget]),
      '--name-prefix', 'orders',
      '--reason', `model operator ${command}`,
      '--yes',
      '--rate', '1000',
      '--concurrency', '4',
      // The CLI selects executions redriven before too, unless told otherwise.
      ...(options.includeRedriven ? [] : ['--not-redriven-only']),
    ];
    const run = await this.cli(args, options.alongsideMs);
    await this.settle();
    const facts: OperatorFacts = { command, restartTarget: options.restartTarget, includeRedriven: options.includeRedriven, ...run };
    this.facts.operatorRuns.push(facts);
    return facts;
  }

  /**
   * People decide an approval: each click a Slack button (through the approval endpoint's checks to the
   * intake queue) or a CLI `approve`/`reject`, all at once or one after the other. `pick` names the
   * execution (among pending approvals, all executions, or one never started); `generationShift` -1 clicks a button of an older generation.
   */
  async approve(options: { target: 'pending' | 'any' | 'unknown'; pick: number; verdict: ApprovalMessage['verdict']; clicks: Array<{ via: 'slack' | 'cli'; by: number }>; concurrent: boolean; generationShift: number }): Promise<string> {
    const items = await this.ledgerItems();
    // People click what they were asked about: a pending approval if there is one (`target: any` picks among all executions).
    const pending = [...this.facts.executions.keys()].filter((a) => items.get(a)?.phase === 'APPROVAL_PENDING');
    const arns = options.target === 'pending' && pending.length > 0 ? pending : [...this.facts.executions.keys()];
    const arn = options.target === 'unknown' || arns.length === 0 ? `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${MACHINES.flow.name}:never-started` : arns[options.pick % arns.length];
    const item = items.get(arn);
    const current = (item?.generation as number | undefined) ?? this.stack.sfn.execution(arn)?.redriveCount ?? 0;
    const generation = Math.max(0, current + options.generationShift);
    const one = async (click: { via: 'slack' | 'cli'; by: number }): Promise<string> => {
      const by = APPROVERS[click.by % APPROVERS.length];
      const atMs = this.clock.nowMs();
      const answer = click.via === 'slack' ? await this.slackClick(arn, generation, options.verdict, by) : (await this.cli([options.verdict === 'APPROVED' ? 'approve' : 'reject', arn, '--generation', String(generation), '--reason', `model approval by ${by}`])).code;
      this.facts.approvals.push({ arn, generation, verdict: options.verdict, via: click.via, by, atMs, answer });
      return `${click.via} ${by} ${answer}`;
    };
    const answers: string[] = [];
    if (options.concurrent) answers.push(...(await Promise.all(options.clicks.map(one))));
    else {
      for (const click of options.clicks) {
        answers.push(await one(click));
        await this.settle();
      }
    }
    await this.settle();
    return `${this.facts.executions.get(arn)?.name ?? 'never-started'} g${generation}: ${answers.join(', ')}`;
  }

  /** A signed Redrive / Skip click through the approval endpoint's checks; the HTTP status it answered. */
  private async slackClick(arn: string, generation: number, verdict: ApprovalMessage['verdict'], by: string): Promise<number> {
    const actionId = verdict === 'APPROVED' ? APPROVAL_ACTIONS.approve : APPROVAL_ACTIONS.reject;
    const payload = { type: 'block_actions', user: { id: by, username: by.toLowerCase() }, actions: [{ action_id: actionId, value: approvalButtonValue(arn, generation) }], response_url: SLACK_RESPONSE_URL };
    const rawBody = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const timestamp = String(Math.floor(this.clock.nowMs() / 1000));
    const queue = this.stack.intakeQueue;
    const answer = await receiveInteraction(
      { headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(SLACK_SIGNING_SECRET, timestamp, rawBody) }, rawBody },
      {
        config: { ...this.config, approvals: { ...this.config.approvals, allowedSlackUserIds: [...APPROVERS] } },
        clock: this.clock,
        ledger: this.stack.ledger,
        queue: { sendApproval: async (message) => void queue.send({ body: JSON.stringify(message) }) },
        signingSecret: async () => SLACK_SIGNING_SECRET,
        responseUrlPrefix: 'https://hooks.slack.com/',
        logger: SILENT,
      },
    );
    return answer.statusCode;
  }

  /** Someone redrives in the console: no client token, no ledger. Returns what AWS answered. */
  async consoleRedrive(pick: number): Promise<string> {
    const arns = [...this.facts.executions.keys()];
    const arn = arns[pick % arns.length];
    const record = this.stack.sfn.execution(arn)!;
    const generation = record.redriveCount;
    const atMs = this.clock.nowMs();
    try {
      await this.consoleSfn.send(new RedriveExecutionCommand({ executionArn: arn }));
      this.facts.consoleRedrives.push({ arn, generation, atMs });
      await this.settle();
      return `redrove ${this.facts.executions.get(arn)!.name} generation ${generation}`;
    } catch (error) {
      return `${this.facts.executions.get(arn)!.name}: ${(error as Error).name}`;
    }
  }

  /** Quiescence: every timer run, then one more sweep (the schedule never stops), then quiet again. */
  async finish(): Promise<void> {
    if (!this.deployed) await this.deploy({ starts: [], ageMs: 0 });
    await this.runUntil();
    await this.sweep(true);
    await this.runUntil();
  }

  async ledgerItems(): Promise<Map<string, Record<string, unknown>>> {
    const items = new Map<string, Record<string, unknown>>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.stack.clients.dynamo.send(new ScanCommand({ TableName: this.stack.ledgerTableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) items.set(String(item.executionArn), item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async stop(): Promise<void> {
    this.consoleSfn.destroy();
    rmSync(this.configDir, { recursive: true, force: true });
    await this.stack.stop();
  }
}

type Send = (command: unknown) => Promise<unknown>;

function wrapSend(client: object, around: (command: unknown, send: Send) => Promise<unknown>): void {
  const target = client as { send: Send };
  const original = target.send.bind(target);
  target.send = (command) => around(command, original);
}

export function parsedConfig(model: ModelConfig): AutoRedriveConfig {
  return parseConfig(configInput(model));
}

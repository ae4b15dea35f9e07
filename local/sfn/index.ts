/**
 * The local Step Functions emulator: an AWS JSON 1.0 endpoint for @aws-sdk/client-sfn and the AWS CLI,
 * running ASL on the stack clock, with RedriveExecution, status-change events, throttling and faults.
 * seedExecution / stats / setFaults / waitForIdle / execution are in-process test hooks, not AWS APIs.
 */
import type { StackClock } from '../clock';
import { CallbackRegistry } from './callbacks';
import type { EmulatorContext } from './context';
import { ExecutionRunner } from './execution-runner';
import { FaultInjector, type FaultConfig } from './faults';
import { Gateway, type ApiStats } from './gateway';
import { MapRuns } from './map-runs';
import { MockResponses, type MockConfig } from './mock-config';
import { PageTokens } from './page-tokens';
import { seededRandom } from './rng';
import { seedExecution, type SeedExecutionOptions } from './seeding';
import { SfnApiError } from './errors';
import { ProtocolServer } from './server';
import { deniedMessage, INVALID_TOKEN_MESSAGE, type IamAuthorizer } from '../iam/authorizer';
import { stepFunctionsChecks } from '../iam/request-checks';
import { StatusNotifier, type StatusChangeEvent } from './status-events';
import { EmulatorStore, type ExecutionRecord } from './store';
import { TaskInvoker, type TaskHandler } from './task-invoker';
import { Throttler } from './throttling';

export type { FaultConfig, ForcedError } from './faults';
export type { MockConfig } from './mock-config';
export type { SeedExecutionOptions } from './seeding';
export type { StatusChangeDetail, StatusChangeEvent } from './status-events';
export type { ExecutionRecord, ExecutionStatus, StateMachineRecord } from './store';
export type { TaskHandler, TaskHandlerContext } from './task-invoker';
export type { ApiStats } from './gateway';

export interface SfnEmulatorOptions {
  clock: StackClock;
  /** @default '123456789012' */
  account?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** Token buckets per API with AWS default quotas; `region` picks the table (default: `region`). */
  throttling?: { enabled: boolean; region?: string };
  /** Step Functions Local mock config: the object, or a path to MockConfigFile.json. */
  mockConfig?: MockConfig | string;
  /** Local Task implementations keyed by state name, resource ARN or Lambda FunctionName. */
  taskHandlers?: Record<string, TaskHandler>;
  onStatusChange?: (event: StatusChangeEvent) => void;
  /** Seed of the RNG behind fault injection, Retry jitter and States.MathRandom. @default 1 */
  seed?: number;
  /** Open-execution quota behind ExecutionLimitExceeded. @default 1_000_000 */
  maxOpenExecutions?: number;
  /** Evaluates every call against the caller's IAM policy. @default every call is allowed */
  authorizer?: IamAuthorizer;
}

export interface EmulatorStats {
  apis: Record<string, ApiStats>;
  executions: { total: number; open: number };
  statusEvents: { emitted: number; dropped: number };
}

export class SfnEmulator {
  private readonly ctx: EmulatorContext;
  private readonly faults: FaultInjector;
  private readonly gateway: Gateway;
  private readonly server: ProtocolServer;
  private endpointUrl?: string;

  constructor(options: SfnEmulatorOptions) {
    const seed = options.seed ?? 1;
    const clock = options.clock;
    const account = options.account ?? '123456789012';
    const region = options.region ?? 'us-east-1';
    const store = new EmulatorStore();
    this.faults = new FaultInjector(seed);
    const notifier = new StatusNotifier(clock, account, region, this.faults, options.onStatusChange);
    const mocks = MockResponses.load(options.mockConfig);
    const callbacks = new CallbackRegistry();
    const invoker = new TaskInvoker(mocks, options.taskHandlers ?? {}, clock, callbacks);
    const runner = new ExecutionRunner(clock, seededRandom(seed + 1), store, invoker, notifier, callbacks);
    this.ctx = {
      clock,
      partition: 'aws',
      account,
      region,
      store,
      runner,
      notifier,
      mocks,
      callbacks,
      pageTokens: new PageTokens(clock),
      maxOpenExecutions: options.maxOpenExecutions ?? 1_000_000,
      // Map Runs need the finished context (store, runner, notifier), so they join it right after.
      mapRuns: undefined as unknown as MapRuns,
    };
    this.ctx.mapRuns = runner.mapRuns = new MapRuns(this.ctx);
    const throttler = options.throttling?.enabled ? new Throttler(clock, options.throttling.region ?? region) : undefined;
    this.gateway = new Gateway(this.ctx, this.faults, throttler);
    const authorizer = options.authorizer;
    this.server = new ProtocolServer(this.gateway.handle, authorizer && ((header, operation, input) => authorizeCall(authorizer, header, operation, input)));
  }

  /** Listens on 127.0.0.1; port 0 picks a free port. Returns the endpoint URL. */
  async start(port = 0): Promise<string> {
    this.endpointUrl = await this.server.listen(port);
    return this.endpointUrl;
  }

  async stop(): Promise<void> {
    await this.server.close();
  }

  get endpoint(): string {
    if (!this.endpointUrl) throw new Error('SfnEmulator is not started');
    return this.endpointUrl;
  }

  /** Test hook: changes fault injection at runtime (merged into the current settings). */
  setFaults(faults: Partial<FaultConfig>): void {
    this.faults.set(faults);
  }

  /** Test hook: per-API call counts and execution totals. */
  stats(): EmulatorStats {
    return {
      apis: Object.fromEntries([...this.gateway.stats].map(([api, stats]) => [api, { ...stats }])),
      executions: { total: this.ctx.store.executions.size, open: this.ctx.store.openExecutions },
      statusEvents: { emitted: this.ctx.notifier.emitted, dropped: this.ctx.notifier.dropped },
    };
  }

  /** Test hook: creates an execution directly (no interpreter run, no status event). Returns its ARN. */
  seedExecution(options: SeedExecutionOptions): string {
    return seedExecution(this.ctx, options).arn;
  }

  /** Test hook: the live record of an execution, for assertions. */
  execution(executionArn: string): ExecutionRecord | undefined {
    return this.ctx.store.executions.get(executionArn);
  }

  /** Test hook: how many times a mocked state was invoked in an execution (across retries and redrives). */
  mockInvocations(executionArn: string, stateName: string): number {
    return this.ctx.store.executions.get(executionArn)?.mockInvocations.get(stateName) ?? 0;
  }

  /**
   * Test hook: resolves once nothing is runnable and every status event was delivered. On a virtual
   * clock, executions waiting on the clock (Wait, retry intervals) count as idle until it is advanced;
   * on a real clock they are waited for.
   */
  async waitForIdle(): Promise<void> {
    const runner = this.ctx.runner;
    // The first look is immediate; after that poll every 2 ms instead of spinning on setImmediate, which
    // would burn a CPU while a task handler or a real-clock wait keeps an execution busy.
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      const sleepersBlock = !this.ctx.clock.virtual && runner.sleeping > 0;
      if (runner.busy === 0 && this.ctx.notifier.pending === 0 && !sleepersBlock) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

/** Step Functions answers both with HTTP 400, like any client error of its JSON protocol. */
async function authorizeCall(authorizer: IamAuthorizer, header: string | undefined, operation: string, input: Record<string, unknown>): Promise<void> {
  const result = await authorizer.authorize(header, stepFunctionsChecks(operation, input));
  if (result.allowed) return;
  throw result.unknownKey ? new SfnApiError('UnrecognizedClientException', INVALID_TOKEN_MESSAGE) : new SfnApiError('AccessDeniedException', deniedMessage(result));
}

/**
 * What a model run is made of, and the fast-check generators for it: a config variant, failures that
 * happen before the pipeline is deployed, and the commands (see commands.ts) with their parameters.
 * Everything here is plain data with a readable text form, so a shrunk counterexample reads as a story.
 */
import fc from 'fast-check';
import { DEFAULT_NEVER_RETRY, type AutoRedriveConfigInput, type WatchableStatus } from '../../core/config';

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** AWS's 14-day redrive window, restated here so the model does not borrow the code under test's constant. */
export const WINDOW_MS = 14 * DAY_MS;

/** Model switches, from the environment. */
export const FLAGS = {
  /**
   * Names with dots and non-ASCII letters, as AWS allows: execution names (`order.3.v2`,
   * `commande-été-3`) and state machine names (`orders.v2`, `orders-été`). MODEL_EXOTIC_NAMES=executions
   * keeps state machine names plain (what passed before AWS's full name rule landed in core/names.ts);
   * MODEL_EXOTIC_NAMES=0 keeps every name plain.
   */
  exoticNames: process.env.MODEL_EXOTIC_NAMES !== '0',
  exoticMachines: process.env.MODEL_EXOTIC_NAMES !== '0' && process.env.MODEL_EXOTIC_NAMES !== 'executions',
  /** Someone redrives in the console (no client token) behind the pipeline's back. */
  consoleRedrive: process.env.MODEL_CONSOLE_REDRIVE !== '0',
};

/**
 * Errors the Task throws. `Retryable.*` is the only-retry pattern of the onlyRetry config variant;
 * `Payment.*` goes to a person (an `approve` rule), `Orders.SchemaMismatch` is fixed forward (a `restart` rule).
 */
export const ERRORS = ['Retryable.Timeout', 'Gateway.Down', 'States.Permissions', 'Payment.Declined', 'Orders.SchemaMismatch'] as const;
export type ErrorName = (typeof ERRORS)[number];
export const ONLY_RETRY = ['Retryable.*'];
export const APPROVE_PATTERN = 'Payment.*';
export const RESTART_ERROR = 'Orders.SchemaMismatch';
/** What the error policy's rules choose for an error (the never-list wins over both rules). */
export function policyActionFor(error: string | undefined): 'approve' | 'restart' | undefined {
  if (error === undefined || DEFAULT_NEVER_RETRY.includes(error)) return undefined;
  if (error.startsWith('Payment.')) return 'approve';
  return error === RESTART_ERROR ? 'restart' : undefined;
}

/** Where restarts run: the state machine's latest revision, its version 1, its alias `prod` (version 1), or a version that does not exist. */
export const RESTART_TARGETS = ['latest', 'version:1', 'alias:prod', 'version:9'] as const;
export type RestartTargetText = (typeof RESTART_TARGETS)[number];
function restartTargetInput(target: RestartTargetText): 'latest' | { version: number } | { alias: string } {
  if (target === 'latest') return 'latest';
  return target.startsWith('alias:') ? { alias: target.slice('alias:'.length) } : { version: Number(target.slice('version:'.length)) };
}
/** Slack users allowed to click Redrive / Skip. */
export const APPROVERS = ['U0ALICE', 'U0BOB'] as const;

export interface ModelConfig {
  dryRun: boolean;
  onlyRetry: boolean;
  watchAborted: boolean;
  maxAttempts: number;
  maxReceiveCount: number;
  initialDelaySeconds: number;
  multiplier: number;
  maxDelaySeconds: number;
  windowClosingHours: number;
  notifyOnNonRetryableSkip: boolean;
  restartTarget: RestartTargetText;
}

export function configInput(model: ModelConfig): AutoRedriveConfigInput {
  const statuses: WatchableStatus[] = model.watchAborted ? ['FAILED', 'TIMED_OUT', 'ABORTED'] : ['FAILED', 'TIMED_OUT'];
  return {
    watch: { stateMachineNamePrefixes: ['orders'] },
    statuses,
    errorPolicy: {
      neverRetry: DEFAULT_NEVER_RETRY,
      onlyRetry: model.onlyRetry ? ONLY_RETRY : [],
      rules: [
        { match: [APPROVE_PATTERN], action: 'approve', note: 'a person checks the customer first' },
        { match: [RESTART_ERROR], action: 'restart', target: restartTargetInput(model.restartTarget), note: 'fixed forward' },
      ],
    },
    maxAttempts: model.maxAttempts,
    // No jitter: the worker's Math.random would make a seed replay differently.
    backoff: { initialDelaySeconds: model.initialDelaySeconds, multiplier: model.multiplier, maxDelaySeconds: model.maxDelaySeconds, jitter: 'none' },
    dryRun: model.dryRun,
    alerts: { notifyOnNonRetryableSkip: model.notifyOnNonRetryableSkip },
    worker: { maxReceiveCount: model.maxReceiveCount, maxConcurrency: 3, batchSize: 5 },
    sweep: { windowClosingHours: model.windowClosingHours },
    // Ledger items outlive every run (the stack expires them on its clock): TTL is not under test here.
    ledger: { retentionDays: 3650 },
  };
}

export function describeConfig(model: ModelConfig): string {
  const parts = [
    model.dryRun && 'dryRun',
    model.onlyRetry && `onlyRetry ${ONLY_RETRY.join(',')}`,
    model.watchAborted && 'ABORTED watched',
    `maxAttempts ${model.maxAttempts}`,
    `maxReceiveCount ${model.maxReceiveCount}`,
    `backoff ${model.initialDelaySeconds}s×${model.multiplier}≤${model.maxDelaySeconds}s`,
    `windowClosing ${model.windowClosingHours}h`,
    model.notifyOnNonRetryableSkip && 'notifyOnNonRetryableSkip',
    `restarts on ${model.restartTarget}`,
  ];
  return parts.filter(Boolean).join(', ');
}

export const configArbitrary: fc.Arbitrary<ModelConfig> = fc
  .record({
    // About one run in eight: dryRun on every other run would hide most behaviour. Shrinks to false.
    dryRun: fc.integer({ min: 0, max: 7 }).map((n) => n === 7),
    onlyRetry: fc.boolean(),
    watchAborted: fc.boolean(),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
    maxReceiveCount: fc.integer({ min: 2, max: 5 }),
    initialDelaySeconds: fc.constantFrom(1, 30, 60, 300),
    multiplier: fc.integer({ min: 1, max: 5 }),
    maxDelaySeconds: fc.constantFrom(60, 300, 1800),
    windowClosingHours: fc.constantFrom(24, 48),
    notifyOnNonRetryableSkip: fc.boolean(),
    restartTarget: fc.oneof({ weight: 3, arbitrary: fc.constantFrom<RestartTargetText>('latest', 'version:1', 'alias:prod') }, { weight: 1, arbitrary: fc.constant<RestartTargetText>('version:9') }),
  })
  .map((c) => ({ ...c, maxDelaySeconds: Math.max(c.maxDelaySeconds, c.initialDelaySeconds) }));

/** How one execution behaves, by failure generation (its redriveCount when it runs). */
export type ExecutionKind =
  | { type: 'fails'; error: ErrorName; times: number | 'always'; holdSeconds: number }
  | { type: 'aborted' }
  | { type: 'timesOut' }
  | { type: 'unwatched'; error: ErrorName };

/**
 * What EventBridge does with the status event of one failure generation: one entry per copy delivered,
 * each the delay before it reaches the intake queue. [] drops the event, [0] delivers it once at once.
 */
export type Fate = number[];

export type NameStyle = 'plain' | 'dotted' | 'accented';

export interface StartSpec {
  kind: ExecutionKind;
  nameStyle: NameStyle;
  /** Fates by failure generation; generations past the list are delivered once at once. */
  fates: Fate[];
}

export function formatMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % DAY_MS === 0 || ms >= 2 * DAY_MS) return `${+(ms / DAY_MS).toFixed(2)}d`;
  if (ms % HOUR_MS === 0 || ms >= 2 * HOUR_MS) return `${+(ms / HOUR_MS).toFixed(2)}h`;
  if (ms % MINUTE_MS === 0 || ms >= 2 * MINUTE_MS) return `${+(ms / MINUTE_MS).toFixed(2)}m`;
  return `${+(ms / SECOND_MS).toFixed(3)}s`;
}

export function describeKind(kind: ExecutionKind): string {
  switch (kind.type) {
    case 'fails':
      return `${kind.times === 'always' ? 'always fails' : `fails ${kind.times}×`} ${kind.error}${kind.holdSeconds ? ` after ${formatMs(kind.holdSeconds * 1000)}` : ''}`;
    case 'aborted':
      return 'aborted by StopExecution';
    case 'timesOut':
      return 'always TIMED_OUT';
    case 'unwatched':
      return `unwatched machine, always fails ${kind.error}`;
  }
}

export function describeFates(fates: Fate[]): string {
  const described = fates
    .map((fate, generation) => {
      if (fate.length === 1 && fate[0] === 0) return undefined;
      if (fate.length === 0) return `g${generation} dropped`;
      return `g${generation} ${fate.length > 1 ? `×${fate.length} ` : ''}(${fate.map((d) => (d === 0 ? 'now' : `+${formatMs(d)}`)).join(', ')})`;
    })
    .filter(Boolean);
  return described.length > 0 ? `; events ${described.join(', ')}` : '';
}

const errorArbitrary = fc.constantFrom<ErrorName>(...ERRORS);

export const kindArbitrary: fc.Arbitrary<ExecutionKind> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      type: fc.constant('fails' as const),
      error: errorArbitrary,
      times: fc.oneof(fc.constant(1), fc.constant(2), fc.constant('always' as const)),
      holdSeconds: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(60, 3 * 3600, 8 * 3600) }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'aborted' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'timesOut' as const }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('unwatched' as const), error: errorArbitrary }) },
);

const delayArbitrary: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 120 }).map((s) => s * SECOND_MS) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 12 }).map((h) => h * HOUR_MS) },
  { weight: 1, arbitrary: fc.constantFrom(13.5 * DAY_MS, 14 * DAY_MS + HOUR_MS) },
);

export const fateArbitrary: fc.Arbitrary<Fate> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Fate>([0]) },
  { weight: 2, arbitrary: fc.array(delayArbitrary, { minLength: 2, maxLength: 3 }) },
  { weight: 2, arbitrary: delayArbitrary.filter((d) => d > 0).map((d) => [d]) },
  { weight: 2, arbitrary: fc.constant<Fate>([]) },
);

export const startArbitrary: fc.Arbitrary<StartSpec> = fc.record({
  kind: kindArbitrary,
  nameStyle: FLAGS.exoticNames ? fc.constantFrom<NameStyle>('plain', 'dotted', 'accented') : fc.constant<NameStyle>('plain'),
  fates: fc.array(fateArbitrary, { maxLength: 4 }),
});

/** Failures from before the pipeline was deployed: they happen, then `ageMs` passes with nothing watching. */
export interface PreDeploy {
  starts: StartSpec[];
  ageMs: number;
}

export const preDeployArbitrary: fc.Arbitrary<PreDeploy> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<PreDeploy>({ starts: [], ageMs: 0 }) },
  {
    weight: 1,
    arbitrary: fc.record({
      starts: fc.array(startArbitrary.map((s) => ({ ...s, fates: [] })), { minLength: 1, maxLength: 3 }),
      ageMs: fc.constantFrom(HOUR_MS, 2 * DAY_MS, 10 * DAY_MS),
    }),
  },
);

export function describePreDeploy(pre: PreDeploy): string {
  if (pre.starts.length === 0) return 'none';
  return `${pre.starts.map((s) => describeKind(s.kind)).join('; ')}; then ${formatMs(pre.ageMs)} pass before the deploy`;
}

/** Clock jumps: seconds, minutes, hours, 13.5 days, 15 days. */
export const jumpArbitrary: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 59 }).map((s) => s * SECOND_MS) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 59 }).map((m) => m * MINUTE_MS) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 12 }).map((h) => h * HOUR_MS) },
  { weight: 1, arbitrary: fc.constant(13.5 * DAY_MS) },
  // Into the last windowClosingHours of a failure's window, from different starting points.
  { weight: 1, arbitrary: fc.integer({ min: 13 * 24, max: 14 * 24 - 1 }).map((h) => h * HOUR_MS) },
  { weight: 1, arbitrary: fc.constant(15 * DAY_MS) },
);

export const CRASH_POINTS = ['beforeClaim', 'afterClaim', 'afterRedrive', 'beforeRecord', 'beforeAlert', 'afterStart'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export const CRASH_POINT_TEXT: Record<CrashPoint, string> = {
  beforeClaim: 'before the claim (WAITING/REDRIVING write)',
  afterClaim: 'after the claim',
  afterRedrive: 'after RedriveExecution succeeded',
  beforeRecord: 'before the ledger records the redrive',
  beforeAlert: 'before the alert is published',
  afterStart: "after a restart's StartExecution succeeded (before the ledger records RESTARTED)",
};

/** Which crash points the generator uses (MODEL_CRASH_POINTS=a,b to narrow). */
export const ENABLED_CRASH_POINTS: CrashPoint[] = (process.env.MODEL_CRASH_POINTS?.split(',') as CrashPoint[] | undefined) ?? [...CRASH_POINTS];

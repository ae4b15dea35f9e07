/**
 * Props of the AutoRedrive construct: every option of the config schema (core/config.ts), typed and
 * optional, plus the few settings that only make sense for a construct. The defaults documented here
 * are applied by `parseConfig`; the schema stays the one place that defines them.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import type { AutoRedriveConfigInput, PolicyRuleInput, WatchableStatus } from '../core/config';

export interface AutoRedriveProps {
  /**
   * Name of the CloudFormation stack. Read by the CDK app (bin/app.ts), which suffixes it with
   * `-<account>-<region>` for every entry of `targets`; the construct itself ignores it.
   * @default 'SfnAutoRedrive'
   */
  readonly stackName?: string;

  /**
   * Accounts and regions the CDK app deploys to, one stack each. Read by the CDK app only.
   * @default [] (one environment-agnostic stack)
   */
  readonly targets?: { readonly account: string; readonly region: string }[];

  /**
   * Event bus the intake rule listens on. Step Functions sends status changes to the default bus;
   * name another bus only if you forward the events there yourself.
   * @default 'default'
   */
  readonly eventBusName?: string;

  /**
   * Which state machines are watched. Name at least one ARN or prefix, or set `all` with `allReason`.
   * The IAM policy of the worker is scoped to exactly these state machines.
   * @default - none: the config is invalid until something is watched
   */
  readonly watch?: {
    /**
     * State machines watched by exact ARN.
     * @default []
     */
    readonly stateMachineArns?: string[];
    /**
     * State machines watched by name prefix, in the stack's own account and region.
     * @default []
     */
    readonly stateMachineNamePrefixes?: string[];
    /**
     * Watch every state machine in the account and region. IAM then needs `execution:*:*`, so
     * `allReason` is required and is recorded in the cdk-nag acknowledgement.
     * @default false
     */
    readonly all?: boolean;
    /**
     * Why every state machine must be watched (10+ characters). Required when `all` is true.
     * @default - none
     */
    readonly allReason?: string;
  };

  /**
   * Execution statuses that trigger a redrive. ABORTED is opt-in: people usually abort on purpose.
   * @default ['FAILED', 'TIMED_OUT']
   */
  readonly statuses?: WatchableStatus[];

  /** Which errors are redriven. */
  readonly errorPolicy?: {
    /**
     * Error names or patterns never redriven: exact name, `prefix*` glob, or `/regex/`, matched
     * against the error and the cause.
     * @default DEFAULT_NEVER_RETRY (States.Permissions, States.ResultPathMatchFailure, States.ParameterPathFailure, States.IntrinsicFailure, States.NoChoiceMatched)
     */
    readonly neverRetry?: string[];
    /**
     * If not empty, only these errors are redriven.
     * @default []
     */
    readonly onlyRetry?: string[];
    /**
     * The default rules, in order: the first whose `match` pattern matches the error or cause chooses
     * the action: `auto` (redrive with backoff), `approve` (a person decides, in Slack or the CLI),
     * `never`, or `restart` (fix-forward: a new execution on `target`, the same input). neverRetry wins
     * over every rule; an error no rule matches falls to onlyRetry, then `auto`.
     * @default []
     */
    readonly rules?: PolicyRuleInput[];
    /**
     * Rules of one state machine (`stateMachineArn`) or name prefix (`namePrefix`), tried before the
     * default rules (exact ARN first, then the longest prefix).
     * @default []
     */
    readonly stateMachines?: Array<{
      readonly stateMachineArn?: string;
      readonly namePrefix?: string;
      readonly rules: PolicyRuleInput[];
    }>;
  };

  /** Who may approve the redrives the error policy leaves to a person (`approve` rules). */
  readonly approvals?: {
    /**
     * Name of the Secrets Manager secret holding the Slack app's signing secret. When set, the
     * approval endpoint (a Lambda Function URL, output `ApprovalEndpointUrl`) is deployed: set it as
     * the Slack app's interactivity request URL.
     * @default - no approval endpoint: approve with `sfn-autoredrive approve`
     */
    readonly slackSigningSecretName?: string;
    /**
     * Slack user IDs (U…, W…) whose Redrive / Skip clicks are accepted; everyone else's are refused.
     * @default []
     */
    readonly allowedSlackUserIds?: string[];
    /**
     * Slack user group IDs (S…) whose members' clicks are accepted too. Needs `slackBotTokenSecretName`.
     * @default []
     */
    readonly allowedSlackUserGroupIds?: string[];
    /**
     * Name of the Secrets Manager secret holding a Slack bot token with the `usergroups:read` scope, used
     * to read the members of `allowedSlackUserGroupIds` (cached for a minute).
     * @default - none: only `allowedSlackUserIds` count
     */
    readonly slackBotTokenSecretName?: string;
  };

  /**
   * Redrives per execution before giving up with an alert (1-1000).
   * @default 3
   */
  readonly maxAttempts?: number;

  /** Delay between a failure and its redrive. */
  readonly backoff?: {
    /**
     * Delay before the first redrive, in seconds (0-43200).
     * @default 60
     */
    readonly initialDelaySeconds?: number;
    /**
     * Growth factor of the delay per attempt (1-100).
     * @default 5
     */
    readonly multiplier?: number;
    /**
     * Longest delay, in seconds (1-43200).
     * @default 1800
     */
    readonly maxDelaySeconds?: number;
    /**
     * `full`: a uniform delay in [0, delay] (AWS's recommended full jitter). `none`: exact delays.
     * @default 'full'
     */
    readonly jitter?: 'full' | 'none';
  };

  /**
   * Do not start a redrive this many seconds before the 14-day redrive window closes (0-604800).
   * @default 900
   */
  readonly windowSafetyMarginSeconds?: number;

  /**
   * Skip when the execution history has fewer than this many events to spare below 24,999.
   * 0 trusts AWS's redriveStatus and makes no GetExecutionHistory call (0-24000).
   * @default 0
   */
  readonly historyHeadroomEvents?: number;

  /**
   * Observe only: decide, log and record in the ledger, but never call RedriveExecution.
   * @default false
   */
  readonly dryRun?: boolean;

  /** Where alerts go. */
  readonly alerts?: {
    /**
     * Email addresses subscribed to the alert topic (each must confirm the subscription).
     * @default []
     */
    readonly emails?: string[];
    /**
     * Name of the Secrets Manager secret holding the Slack incoming-webhook URL. When set, a Slack
     * notifier is deployed; the URL itself never appears in the template, environment or logs.
     * @default - no Slack notifier
     */
    readonly slackWebhookSecretName?: string;
    /**
     * Also alert when an execution is skipped because its error is not retryable.
     * @default false
     */
    readonly notifyOnNonRetryableSkip?: boolean;
    /**
     * In one notifier batch, more alerts than this are posted to Slack as one digest (1-100).
     * @default 5
     */
    readonly slackDigestThreshold?: number;
    /**
     * Why it is right that alerts have no destination the config names: neither `emails` nor
     * `slackWebhookSecretName` (10+ characters). Without it, synth fails rather than deploy an alert
     * topic nobody reads. The construct also accepts any subscription you add to `alertTopic` yourself.
     * @default - none: synth fails when the alert topic has no subscriber
     */
    readonly acknowledgeNoDestination?: string;
  };

  /** The worker Lambda that decides and redrives. */
  readonly worker?: {
    /**
     * Maximum concurrent worker invocations: the SQS event source's MaximumConcurrency (2-1000).
     * @default 5
     */
    readonly maxConcurrency?: number;
    /**
     * SQS messages per invocation (1-10).
     * @default 10
     */
    readonly batchSize?: number;
    /**
     * Worker timeout in seconds (10-900). The intake queue's visibility timeout is six times this.
     * @default 60
     */
    readonly timeoutSeconds?: number;
    /**
     * Worker memory in MB (128-10240).
     * @default 256
     */
    readonly memoryMb?: number;
    /**
     * Receives before an intake message moves to the intake dead-letter queue (1-1000).
     * @default 5
     */
    readonly maxReceiveCount?: number;
  };

  /** The scheduled sweep that catches failures whose events were lost. */
  readonly sweep?: {
    /**
     * Deploy the sweep Lambda and its schedule.
     * @default true
     */
    readonly enabled?: boolean;
    /**
     * Minutes between scheduled sweeps (1-1440).
     * @default 15
     */
    readonly rateMinutes?: number;
    /**
     * Report failed, unredriven executions with less than this many hours left in their window (1-335).
     * @default 24
     */
    readonly windowClosingHours?: number;
    /**
     * How far back the sweep looks, by stop date, in hours (1-336).
     * @default 336
     */
    readonly lookbackHours?: number;
    /**
     * How long the watched workflows run at most, in hours (0-8760). ListExecutions pages by start date:
     * a never-redriven execution whose event was lost is found if it started within lookbackHours + this.
     * @default 24
     */
    readonly longestRunHours?: number;
    /**
     * Also redrive failures that stopped before the sweep began watching their state machine. Off: they
     * are recorded as SKIPPED BEFORE_WATCHING and alerted once (NOT_BACKFILLED) with the CLI command.
     * @default false
     */
    readonly backfill?: boolean;
  };

  /** The DynamoDB ledger of decisions. */
  readonly ledger?: {
    /**
     * Days a ledger item is kept after its last update, through DynamoDB TTL (1-3650).
     * @default 30
     */
    readonly retentionDays?: number;
  };

  /**
   * Log level of the Lambdas (POWERTOOLS_LOG_LEVEL).
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

  /**
   * What happens to the ledger table when the stack is deleted or the table replaced. Not part of the
   * config file: the ledger is the audit trail of every redrive, so it outlives the stack by default.
   * @default RemovalPolicy.RETAIN
   */
  readonly ledgerRemovalPolicy?: RemovalPolicy;
}

/** The keys of a config-input object that `P` does not declare, at every level of nesting. */
type MissingKeys<I, P> = {
  [K in keyof I]-?: K extends keyof P
    ? NonNullable<I[K]> extends readonly unknown[]
      ? never
      : NonNullable<I[K]> extends object
        ? MissingKeys<NonNullable<I[K]>, NonNullable<P[K]>>
        : never
    : K;
}[keyof I];

type Assert<T extends true> = T;

/**
 * Compile-time checks, no runtime cost: the props are assignable to the schema's input type, and
 * every option of the schema (at every level) is a prop. Adding a config option without a prop
 * fails `tsc`.
 */
export type AutoRedrivePropsMatchConfig = [
  Assert<AutoRedriveProps extends AutoRedriveConfigInput ? true : false>,
  Assert<[MissingKeys<AutoRedriveConfigInput, AutoRedriveProps>] extends [never] ? true : false>,
];

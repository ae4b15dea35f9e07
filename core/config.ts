/**
 * The one configuration schema. The CDK app, the construct props, the Lambdas (via the
 * AUTOREDRIVE_CONFIG environment variable), the CLI and the local stack all parse with it.
 * Every default lives here and nowhere else.
 */
import * as z from 'zod';
import { isStateMachineArn } from './arn';
import { isValidNamePrefix, NAME_RULE } from './names';
import { issueLines, problemReport } from './schema-problems';

export const WATCHABLE_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type WatchableStatus = (typeof WATCHABLE_STATUSES)[number];

/** Errors that fail the same way on every rerun, so a redrive only burns an attempt. */
export const DEFAULT_NEVER_RETRY = [
  'States.Permissions',
  'States.ResultPathMatchFailure',
  'States.ParameterPathFailure',
  'States.IntrinsicFailure',
  'States.NoChoiceMatched',
];

const accountTarget = z.strictObject({
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1'),
});

/** What a policy rule does with a matching failure. */
export const POLICY_ACTIONS = ['auto', 'approve', 'never', 'restart'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** A pattern that compiles (compilePattern's syntax: exact name, `prefix*` glob or `/regex/flags`). */
const policyPattern = z.string().min(1).refine((pattern) => {
  const literal = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (!literal) return true;
  try {
    new RegExp(literal[1], literal[2]);
    return true;
  } catch {
    return false;
  }
}, 'is not a valid /regex/flags pattern');

const ruleMatch = {
  /** Error names or patterns, as in neverRetry, matched against the error and the cause. */
  match: z.array(policyPattern).min(1),
  /** Why this rule exists, shown by `explain`. */
  note: z.string().max(200).optional(),
};

/** Which version a fix-forward restart starts: the alias's, a published version, or the latest definition. */
const restartTarget = z.union([
  z.literal('latest'),
  // CreateStateMachineAlias's rule: 1-80 of [A-Za-z0-9_.-], at least one of them not a digit.
  z.strictObject({ alias: z.string().regex(/^(?=.*[a-zA-Z_.-])[a-zA-Z0-9_.-]{1,80}$/, 'must be a state machine alias name') }),
  z.strictObject({ version: z.number().int().min(1) }),
]);

/**
 * `auto`: redrive with backoff (today's behaviour). `approve`: a person decides (Slack or the CLI).
 * `never`: not redriven. `restart`: fix-forward, a new execution on `target` with the same input (core/restart.ts).
 */
export const policyRule = z.discriminatedUnion('action', [
  z.strictObject({ ...ruleMatch, action: z.literal('auto') }),
  z.strictObject({ ...ruleMatch, action: z.literal('approve') }),
  z.strictObject({ ...ruleMatch, action: z.literal('never') }),
  z.strictObject({ ...ruleMatch, action: z.literal('restart'), target: restartTarget }),
]);
export type PolicyRule = z.output<typeof policyRule>;
export type PolicyRuleInput = z.input<typeof policyRule>;

const stateMachineRules = z
  .strictObject({
    /** The state machine these rules are for, by exact ARN… */
    stateMachineArn: z.string().refine(isStateMachineArn, 'must be a state machine ARN').optional(),
    /** …or every state machine whose name starts with this. */
    namePrefix: z.string().refine(isValidNamePrefix, `must be a state machine name prefix: ${NAME_RULE}`).optional(),
    rules: z.array(policyRule).min(1).max(100),
  })
  .refine((entry) => (entry.stateMachineArn === undefined) !== (entry.namePrefix === undefined), 'give exactly one of stateMachineArn and namePrefix');

export const configSchema = z
  .strictObject({
    /** Name of the CloudFormation stack (suffixed `-<account>-<region>` for every entry of `targets`). */
    stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/).default('SfnAutoRedrive'),
    /** Where to deploy. Empty: one environment-agnostic stack. */
    targets: z.array(accountTarget).default([]),
    /** Event bus the rule listens on. Step Functions sends to the default bus. */
    eventBusName: z.string().min(1).default('default'),
    watch: z
      .strictObject({
        /** State machines watched by exact ARN. */
        stateMachineArns: z
          .array(z.string().refine(isStateMachineArn, 'must be a state machine ARN'))
          .default([]),
        /** State machines watched by name prefix, in the stack's own account and region (1-80 characters a name may hold). */
        stateMachineNamePrefixes: z
          .array(z.string().refine(isValidNamePrefix, `must be a state machine name prefix: ${NAME_RULE}`))
          .default([]),
        /** Watch every state machine in the account and region. Needs `allReason`, since IAM then uses a wildcard. */
        all: z.boolean().default(false),
        allReason: z.string().min(10).optional(),
      })
      .default({ stateMachineArns: [], stateMachineNamePrefixes: [], all: false }),
    /** Execution statuses that trigger a redrive. ABORTED is opt-in: people usually abort on purpose. */
    statuses: z.array(z.enum(WATCHABLE_STATUSES)).min(1).default(['FAILED', 'TIMED_OUT']),
    errorPolicy: z
      .strictObject({
        /** Error names or patterns never redriven. Exact name, `prefix*` glob, or `/regex/`. Matched against error and cause. Wins over every rule. */
        neverRetry: z.array(z.string().min(1)).default(DEFAULT_NEVER_RETRY),
        /** If not empty, an error no rule matches is redriven only if it matches one of these. */
        onlyRetry: z.array(z.string().min(1)).default([]),
        /** The default rules, in order: the first whose pattern matches the error or cause chooses the action. */
        rules: z.array(policyRule).max(100).default([]),
        /** Rules of one state machine (exact ARN) or a name prefix, tried before the default rules. */
        stateMachines: z.array(stateMachineRules).max(100).default([]),
      })
      .default({ neverRetry: DEFAULT_NEVER_RETRY, onlyRetry: [], rules: [], stateMachines: [] }),
    approvals: z
      .strictObject({
        /**
         * Secrets Manager secret (name) holding the Slack app's signing secret. Set: the stack deploys the
         * approval endpoint (a Lambda Function URL) for the Redrive / Skip buttons of approval alerts.
         */
        slackSigningSecretName: z.string().min(1).optional(),
        /** Slack user IDs (U…, W…) who may click Redrive or Skip. */
        allowedSlackUserIds: z.array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user ID such as U024BE7LH')).default([]),
        /** Slack user group IDs (S…) whose members may click too; read with `usergroups.users.list`, which needs `slackBotTokenSecretName`. */
        allowedSlackUserGroupIds: z.array(z.string().regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group ID such as S0614TZR7')).default([]),
        /** Secrets Manager secret (name) holding a bot token with the `usergroups:read` scope. Only for `allowedSlackUserGroupIds`. */
        slackBotTokenSecretName: z.string().min(1).optional(),
      })
      .default({ allowedSlackUserIds: [], allowedSlackUserGroupIds: [] }),
    /** Redrives per execution before giving up with an alert. */
    maxAttempts: z.number().int().min(1).max(1000).default(3),
    backoff: z
      .strictObject({
        /** Delay before the first redrive. */
        initialDelaySeconds: z.number().int().min(0).max(43_200).default(60),
        /** Growth factor per attempt. */
        multiplier: z.number().min(1).max(100).default(5),
        /** Longest delay. */
        maxDelaySeconds: z.number().int().min(1).max(43_200).default(1800),
        /** `full`: uniform in [0, delay] (AWS's recommended full jitter). `none`: exact delays. */
        jitter: z.enum(['full', 'none']).default('full'),
      })
      .default({ initialDelaySeconds: 60, multiplier: 5, maxDelaySeconds: 1800, jitter: 'full' }),
    /** Do not start a redrive this close to the end of the 14-day window. */
    windowSafetyMarginSeconds: z.number().int().min(0).max(86_400 * 7).default(900),
    /** Skip when the history has fewer than this many events to spare below 24,999. 0: trust AWS's redriveStatus and make no history call. */
    historyHeadroomEvents: z.number().int().min(0).max(24_000).default(0),
    /** Observe only: decide, log and ledger, but never call RedriveExecution. */
    dryRun: z.boolean().default(false),
    alerts: z
      .strictObject({
        /** Email addresses subscribed to the alert topic. */
        emails: z.array(z.string().email()).default([]),
        /** Secrets Manager secret (name) holding the Slack incoming-webhook URL. Unset: no Slack notifier. */
        slackWebhookSecretName: z.string().min(1).optional(),
        /** Also alert on SKIPPED_NON_RETRYABLE. */
        notifyOnNonRetryableSkip: z.boolean().default(false),
        /** In one notifier batch, more alerts than this are posted as one digest. */
        slackDigestThreshold: z.number().int().min(1).max(100).default(5),
        /** Why deploying with neither `emails` nor `slackWebhookSecretName` is right (10+ characters); without it, synth refuses. Deploy time only. */
        acknowledgeNoDestination: z.string().min(10, 'state why alerts may go nowhere (10+ characters)').optional(),
      })
      .default({ emails: [], notifyOnNonRetryableSkip: false, slackDigestThreshold: 5 }),
    worker: z
      .strictObject({
        /** Maximum concurrent worker invocations (SQS event source MaximumConcurrency, 2-1000). */
        maxConcurrency: z.number().int().min(2).max(1000).default(5),
        /** SQS messages per invocation. */
        batchSize: z.number().int().min(1).max(10).default(10),
        timeoutSeconds: z.number().int().min(10).max(900).default(60),
        memoryMb: z.number().int().min(128).max(10_240).default(256),
        /** Receives before a message moves to the intake DLQ. */
        maxReceiveCount: z.number().int().min(1).max(1000).default(5),
      })
      .default({ maxConcurrency: 5, batchSize: 10, timeoutSeconds: 60, memoryMb: 256, maxReceiveCount: 5 }),
    sweep: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Minutes between scheduled sweeps. */
        rateMinutes: z.number().int().min(1).max(1440).default(15),
        /** Report failed, unredriven executions with less than this many hours left in their window. */
        windowClosingHours: z.number().int().min(1).max(335).default(24),
        /** How far back the sweep looks, by stop date. */
        lookbackHours: z.number().int().min(1).max(336).default(336),
        /**
         * How long the watched workflows run at most. ListExecutions pages by start date, so a never-redriven
         * execution whose event was lost is found if it started within lookbackHours + this.
         */
        longestRunHours: z.number().int().min(0).max(8760).default(24),
        /**
         * Also redrive failures that stopped before the sweep began watching their state machine. Off: those
         * are recorded as SKIPPED BEFORE_WATCHING and alerted once, with the CLI command that redrives them.
         */
        backfill: z.boolean().default(false),
      })
      .default({ enabled: true, rateMinutes: 15, windowClosingHours: 24, lookbackHours: 336, longestRunHours: 24, backfill: false }),
    ledger: z
      .strictObject({
        /** Days a ledger item is kept after its last update (DynamoDB TTL). */
        retentionDays: z.number().int().min(1).max(3650).default(30),
      })
      .default({ retentionDays: 30 }),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  })
  .superRefine((cfg, ctx) => {
    const { watch } = cfg;
    if (!watch.all && watch.stateMachineArns.length === 0 && watch.stateMachineNamePrefixes.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['watch'],
        message: 'name at least one state machine ARN or name prefix, or set all: true with allReason',
      });
    }
    if (watch.all && !watch.allReason) {
      ctx.addIssue({
        code: 'custom',
        path: ['watch', 'allReason'],
        message: 'watching all state machines grants states:* on every execution; state why (10+ characters)',
      });
    }
    const { approvals } = cfg;
    if (approvals.slackSigningSecretName && approvals.allowedSlackUserIds.length === 0 && approvals.allowedSlackUserGroupIds.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvals', 'allowedSlackUserIds'],
        message: 'name the Slack users (or user groups) who may approve: with an empty allow-list every click would be refused',
      });
    }
    if (approvals.allowedSlackUserGroupIds.length > 0 && !approvals.slackBotTokenSecretName) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvals', 'slackBotTokenSecretName'],
        message: 'user groups are read with Slack\'s usergroups.users.list: name the secret holding a bot token with the usergroups:read scope',
      });
    }
    if (cfg.backoff.initialDelaySeconds > cfg.backoff.maxDelaySeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['backoff', 'initialDelaySeconds'],
        message: 'must not exceed backoff.maxDelaySeconds',
      });
    }
  });

export type AutoRedriveConfig = z.output<typeof configSchema>;
export type AutoRedriveConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  /** `problems` are `path: message` lines; `source` (a file, or the environment variable) prefixes each in the message. */
  constructor(
    readonly problems: string[],
    readonly source?: string,
  ) {
    super(problemReport('Invalid sfn-autoredrive config', problems, source));
    this.name = 'ConfigError';
  }
}

/** Validates and fills defaults. Throws one ConfigError naming every bad field (and `source`, if given). */
export function parseConfig(raw: unknown, source?: string): AutoRedriveConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new ConfigError(issueLines(configSchema, result.error), source);
}

/** Name of the environment variable that carries the resolved config into the Lambdas. */
export const CONFIG_ENV_VAR = 'AUTOREDRIVE_CONFIG';

/** The one config file users edit, read by `cdk synth` and the CLI. */
export const DEFAULT_CONFIG_FILE = 'autoredrive.config.json';

/** Parses config JSON text; `source` names where it came from in every error. */
export function parseConfigJson(text: string, source: string): AutoRedriveConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`not valid JSON (${(error as Error).message})`], source);
  }
  return parseConfig(raw, source);
}

/** Reads the config a Lambda (or any process) was given through its environment. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AutoRedriveConfig {
  const text = env[CONFIG_ENV_VAR];
  if (!text) throw new ConfigError(['environment variable is not set'], CONFIG_ENV_VAR);
  return parseConfigJson(text, CONFIG_ENV_VAR);
}

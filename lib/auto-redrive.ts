/**
 * AutoRedrive: redrives failed Step Functions executions automatically.
 *
 *   Step Functions status change ──► EventBridge rule ──► intake queue ──► worker Lambda ──► RedriveExecution
 *                                        │ (target DLQ)       │ (redrive DLQ)    │ ledger table, alert topic
 *   schedule ──► sweep Lambda (catches lost events) ─────────┘                  └──► email / Slack notifier
 *
 * One construct, every resource a public readonly property, every option validated by the one
 * config schema (core/config.ts).
 */
import * as path from 'node:path';
import { ArnFormat, Aws, CfnOutput, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, RUNTIME_ENV, SERVICE_NAME } from '../adapters/runtime-env';
import { notifierTimeoutSeconds, notifierVisibilityTimeoutSeconds, SLACK_NOTIFIER } from '../adapters/slack';
import { CONFIG_ENV_VAR, ConfigError, parseConfig, type AutoRedriveConfig } from '../core/config';
import { buildEventPattern, type PatternEnvironment } from '../core/event-pattern';
import { LEDGER_TABLE } from '../core/ledger-table';
import type { AutoRedriveProps } from './auto-redrive-props';
import { handlerCode, projectRelativeSourcesCommand } from './lambda-code';
import { acknowledgeControlTowerFindings } from './control-tower';
import { acknowledgeNagFindings } from './nag';
import { environmentOfArn, isInEnvironment, restartTargets, watchedResources, type DeployEnvironment } from './watched-resources';

/**
 * Count metrics the worker emits (engine/redrive-engine.ts MetricName) besides `Skipped`, which
 * carries a `reason` dimension and gets its own widget.
 */
export const DECISION_METRICS = ['Redriven', 'GaveUp', 'Waiting', 'DryRun', 'Parked', 'Errors', 'Throttled'] as const;

/**
 * How every Lambda is bundled: the local esbuild, no Docker. The package's pre-built bundles and the
 * cold-start bench build the same way (scripts/lambda-bundles.ts). A source map ships beside the
 * minified bundle (index.js.map) so that, with LAMBDA_NODE_OPTIONS, a stack trace names lambda/…,
 * engine/…, core/… files and lines instead of index.js:1:40213. It carries mappings and names only,
 * not the sources (a quarter of the size); docs/BENCHMARKS.md has the cost.
 */
export const LAMBDA_BUNDLING = {
  forceDockerBundling: false,
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: false,
  target: 'node24',
  format: OutputFormat.CJS,
  // The runtime provides AWS SDK v3; bundling it would add hundreds of KB per function.
  externalModules: ['@aws-sdk/*'],
  commandHooks: {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) => [projectRelativeSourcesCommand(path.join(outputDir, 'index.js.map'))],
  },
} satisfies BundlingOptions;

/** Node reads the bundles' source maps for stack traces. https://nodejs.org/api/cli.html#--enable-source-maps */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/**
 * EventBridge's own maximums (24 h, 185 retries), set explicitly: an event stays actionable for the
 * whole 14-day redrive window, so there is no reason to give up delivering it sooner. Permission or
 * missing-queue errors skip the retries and land in the rule's DLQ at once.
 */
export const RULE_TARGET_MAX_EVENT_AGE = Duration.hours(24);
export const RULE_TARGET_RETRY_ATTEMPTS = 185;

/** Intake messages older than this mean the worker is stuck. Rechecks are delayed at most 900 s. */
export const INTAKE_AGE_ALARM_SECONDS = 3600;

/** Lambda's environment is 4 KB in total; the config gets most of it, the ARNs and URLs the rest. */
const MAX_CONFIG_ENV_BYTES = 3000;

/** Deploy-time-only options, left out of the Lambdas' AUTOREDRIVE_CONFIG to save environment space. */
export function runtimeConfigJson(config: AutoRedriveConfig): string {
  const { stackName, targets, eventBusName, alerts, ...runtime } = config;
  const { emails, acknowledgeNoDestination, ...runtimeAlerts } = alerts;
  const json = JSON.stringify({ ...runtime, alerts: runtimeAlerts });
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_CONFIG_ENV_BYTES) {
    throw new ConfigError([
      `watch: the resolved config is ${bytes} bytes but must fit in ${MAX_CONFIG_ENV_BYTES} of Lambda's 4 KB environment; watch by name prefix instead of listing many ARNs`,
    ]);
  }
  return json;
}

/** What synth says when alerts would reach nobody (once per app, for the CDK app; see lib/app.ts). */
export const NO_ALERT_DESTINATION =
  'alerts: no alert destination: GAVE_UP, NOT_REDRIVABLE, WINDOW_CLOSING and alarm alerts would go to a topic nobody reads. ' +
  'Set alerts.emails or alerts.slackWebhookSecretName, or, if alerts reach people another way (say PagerDuty subscribed to the alert topic), ' +
  'say so in alerts.acknowledgeNoDestination';

/** Whether the config names somewhere for alerts to go, or says why it need not. */
export function hasAlertDestination(config: AutoRedriveConfig): boolean {
  const { emails, slackWebhookSecretName, acknowledgeNoDestination } = config.alerts;
  return emails.length > 0 || slackWebhookSecretName !== undefined || acknowledgeNoDestination !== undefined;
}

interface HandlerOptions {
  /** File under lambda/. */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
}

export class AutoRedrive extends Construct {
  /** The validated config with every default filled in. */
  public readonly config: AutoRedriveConfig;
  /** Ledger of decisions, one item per execution (key schema from core/ledger-table.ts). */
  public readonly ledgerTable: dynamodb.Table;
  /** Status-change events and the worker's delayed rechecks. */
  public readonly intakeQueue: sqs.Queue;
  /** Intake messages the worker failed on `worker.maxReceiveCount` times, or parked as malformed. */
  public readonly intakeDeadLetterQueue: sqs.Queue;
  /** Events EventBridge could not deliver to the intake queue (or to the sweep). */
  public readonly ruleDeadLetterQueue: sqs.Queue;
  /** Matches the watched state machines' status changes (pattern from core/event-pattern.ts). */
  public readonly rule: events.Rule;
  public readonly workerFunction: NodejsFunction;
  /** Customer-managed key of the alert topic; CloudWatch alarms may use it to publish. */
  public readonly alertKey: kms.Key;
  public readonly alertTopic: sns.Topic;
  /** Alerts that could not be delivered to an email or Slack subscriber; only when there is one. */
  public readonly alertDeadLetterQueue?: sqs.Queue;
  /** Buffers alerts for the Slack notifier; only with `alerts.slackWebhookSecretName`. */
  public readonly slackAlertsQueue?: sqs.Queue;
  public readonly slackNotifierFunction?: NodejsFunction;
  public readonly sweepFunction?: NodejsFunction;
  public readonly sweepSchedule?: events.Rule;
  /** Receives Slack's Redrive / Skip clicks; only with `approvals.slackSigningSecretName`. */
  public readonly approvalEndpointFunction?: NodejsFunction;
  /** The Slack app's interactivity request URL (also the stack output `ApprovalEndpointUrl`). */
  public readonly approvalEndpointUrl?: lambda.FunctionUrl;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm; each notifies the alert topic. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** One log group per function, kept a year. */
  public readonly logGroups: logs.LogGroup[] = [];

  constructor(scope: Construct, id: string, props: AutoRedriveProps = {}) {
    super(scope, id);
    const { ledgerRemovalPolicy = RemovalPolicy.RETAIN, ...options } = props;
    // Throws one ConfigError naming every bad field, so a bad prop fails synth with a readable message.
    this.config = parseConfig(options);
    const config = this.config;
    rejectArnsOutside(config.watch.stateMachineArns, Stack.of(this));
    const stackEnv: PatternEnvironment = { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID };
    const watched = watchedResources(config.watch, stackEnv);
    const configJson = runtimeConfigJson(config);

    this.ledgerTable = new dynamodb.Table(this, 'Ledger', {
      partitionKey: { name: LEDGER_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: LEDGER_TABLE.ttlAttribute,
      // AWS-managed key: key use is logged in CloudTrail and no key policy has to be kept right. The
      // ledger holds execution ARNs and decisions, not execution payloads, so a CMK adds cost, not safety.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: ledgerRemovalPolicy,
    });
    for (const index of [LEDGER_TABLE.byStateMachineIndex, LEDGER_TABLE.byWindowCloseIndex]) {
      this.ledgerTable.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.NUMBER },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    this.alertKey = new kms.Key(this, 'AlertKey', {
      description: 'Encrypts the sfn-autoredrive alert topic',
      enableKeyRotation: true,
    });
    // No principal may create a grant on the key unless it is for an AWS resource or made by an AWS
    // service (Control Tower CT.KMS.PR.3): nothing here needs grants, and a grant would outlive a policy review.
    this.alertKey.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      }),
    );
    // CloudWatch alarms publish to the encrypted topic as the CloudWatch service, not as a role.
    this.alertKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.alertTopic = new sns.Topic(this, 'AlertTopic', {
      displayName: 'sfn-autoredrive alerts',
      masterKey: this.alertKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one, so the alarms' right to publish is stated here.
    this.alertTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    const intakeQueueName = this.sourceQueueName('IntakeQueue');
    this.intakeDeadLetterQueue = this.deadLetterQueue('IntakeDeadLetterQueue', intakeQueueName);
    this.intakeQueue = this.queue('IntakeQueue', {
      queueName: intakeQueueName,
      // AWS's rule for Lambda event sources: at least six times the function timeout, so a message is
      // not handed to a second worker while the first one still retries it.
      visibilityTimeout: Duration.seconds(6 * config.worker.timeoutSeconds),
      // An event stays useful for the whole 14-day redrive window.
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.intakeDeadLetterQueue, maxReceiveCount: config.worker.maxReceiveCount },
    });
    // Written to by EventBridge (the rule's and the sweep schedule's targets), never by a queue's redrive.
    this.ruleDeadLetterQueue = this.deadLetterQueue('RuleDeadLetterQueue');

    this.rule = new events.Rule(this, 'StatusChangeRule', {
      description: 'Step Functions executions that sfn-autoredrive may redrive',
      eventBus:
        config.eventBusName === 'default'
          ? undefined
          : events.EventBus.fromEventBusName(this, 'EventBus', config.eventBusName),
      eventPattern: toRulePattern(buildEventPattern(config, stackEnv)),
    });
    this.rule.addTarget(
      new eventTargets.SqsQueue(this.intakeQueue, {
        deadLetterQueue: this.ruleDeadLetterQueue,
        maxEventAge: RULE_TARGET_MAX_EVENT_AGE,
        retryAttempts: RULE_TARGET_RETRY_ATTEMPTS,
      }),
    );

    const commonEnvironment = {
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
      [CONFIG_ENV_VAR]: configJson,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: config.logLevel,
      [RUNTIME_ENV.alertTopicArn]: this.alertTopic.topicArn,
    };

    this.workerFunction = this.handler('Worker', {
      entry: 'worker.ts',
      description: 'sfn-autoredrive worker: decides and redrives failed executions',
      timeout: Duration.seconds(config.worker.timeoutSeconds),
      memorySize: config.worker.memoryMb,
      environment: {
        ...commonEnvironment,
        [RUNTIME_ENV.ledgerTableName]: this.ledgerTable.tableName,
        [RUNTIME_ENV.intakeQueueUrl]: this.intakeQueue.queueUrl,
        [RUNTIME_ENV.intakeDlqUrl]: this.intakeDeadLetterQueue.queueUrl,
      },
    });
    this.workerFunction.addEventSource(
      new SqsEventSource(this.intakeQueue, {
        batchSize: config.worker.batchSize,
        maxConcurrency: config.worker.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    this.allow(this.workerFunction, ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:RedriveExecution', 'states:ListMapRuns'], watched.executions);
    // A parent given up on because its Distributed Map's children failed: the alert names the Map Run and those children.
    this.allow(this.workerFunction, ['states:DescribeMapRun', 'states:ListExecutions'], watched.mapRuns);
    // Fix-forward restarts start new executions on the restart rules' targets (and read the input with DescribeExecution above).
    const restartResources = restartTargets(config, stackEnv);
    if (restartResources.length > 0) this.allow(this.workerFunction, ['states:StartExecution'], restartResources);
    this.allowLedgerReadWrite(this.workerFunction);
    // The worker chains delayed "recheck" messages for backoff and parks malformed messages in the DLQ.
    this.allow(this.workerFunction, ['sqs:SendMessage'], [this.intakeQueue.queueArn, this.intakeDeadLetterQueue.queueArn]);
    this.allowPublishAlerts(this.workerFunction);

    const slackSecretName = config.alerts.slackWebhookSecretName;
    if (config.alerts.emails.length > 0 || slackSecretName !== undefined) {
      // Written to by the SNS subscriptions' redrive policies, and by the Slack alerts queue's.
      const slackQueueName = slackSecretName === undefined ? undefined : this.sourceQueueName('SlackAlertsQueue');
      const alertDeadLetterQueue = this.deadLetterQueue('AlertDeadLetterQueue', slackQueueName);
      this.alertDeadLetterQueue = alertDeadLetterQueue;
      for (const email of config.alerts.emails) {
        this.alertTopic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue: alertDeadLetterQueue }));
      }
      if (slackSecretName !== undefined) {
        const slack = this.slackNotifier(slackSecretName, slackQueueName!, alertDeadLetterQueue, commonEnvironment);
        this.slackAlertsQueue = slack.queue;
        this.slackNotifierFunction = slack.notifier;
      }
    }

    const signingSecretName = config.approvals.slackSigningSecretName;
    if (signingSecretName !== undefined) {
      const approval = this.approvalEndpoint(signingSecretName, commonEnvironment);
      this.approvalEndpointFunction = approval.fn;
      this.approvalEndpointUrl = approval.url;
    }

    if (config.sweep.enabled) {
      this.sweepFunction = this.handler('Sweep', {
        entry: 'sweep.ts',
        description: 'sfn-autoredrive sweep: finds failed executions whose events were lost',
        timeout: Duration.minutes(5),
        memorySize: 256,
        // No reserved concurrency (a quota of 10 cannot spare it): a lease in the ledger table keeps
        // sweeps from overlapping, which would only spend the ListExecutions quota twice (lambda/sweep.ts).
        environment: {
          ...commonEnvironment,
          [RUNTIME_ENV.ledgerTableName]: this.ledgerTable.tableName,
          [RUNTIME_ENV.intakeQueueUrl]: this.intakeQueue.queueUrl,
        },
      });
      this.allow(this.sweepFunction, ['states:ListExecutions'], watched.stateMachines);
      if (config.watch.all || config.watch.stateMachineNamePrefixes.length > 0) {
        // The one `*` on a states: action: ListStateMachines supports no resource-level permissions. It
        // reveals state machine names only (no executions, no data) and is how name prefixes are resolved.
        this.allow(this.sweepFunction, ['states:ListStateMachines'], ['*']);
      }
      this.allowLedgerReadWrite(this.sweepFunction);
      // The sweep finds closing windows in the sparse index, one Query per watched state machine.
      this.allow(this.sweepFunction, ['dynamodb:Query'], [`${this.ledgerTable.tableArn}/index/${LEDGER_TABLE.byWindowCloseIndex.name}`]);
      this.allow(this.sweepFunction, ['sqs:SendMessage'], [this.intakeQueue.queueArn]);
      this.allowPublishAlerts(this.sweepFunction);
      this.sweepSchedule = new events.Rule(this, 'SweepSchedule', {
        description: 'Runs the sfn-autoredrive sweep',
        schedule: events.Schedule.rate(Duration.minutes(config.sweep.rateMinutes)),
        targets: [new eventTargets.LambdaFunction(this.sweepFunction, { deadLetterQueue: this.ruleDeadLetterQueue })],
      });
    }

    this.createAlarms();
    this.dashboard = this.createDashboard();
    acknowledgeNagFindings(this);
    acknowledgeControlTowerFindings(this);
    // At synth, so that subscriptions added to alertTopic after construction count.
    this.node.addValidation({ validate: () => (this.alertsReachSomeone() ? [] : [NO_ALERT_DESTINATION]) });
  }

  /** A subscription on the alert topic anywhere in the app (emails, Slack, or the user's own), or an acknowledgement. */
  private alertsReachSomeone(): boolean {
    if (this.config.alerts.acknowledgeNoDestination !== undefined) return true;
    const topicArn = this.alertTopic.topicArn;
    return this.node.root.node.findAll().some((c) => c instanceof sns.CfnSubscription && c.topicArn === topicArn);
  }

  /** Every queue: encrypted at rest (SSE-SQS, which EventBridge and SNS can write to) and TLS only. */
  private queue(id: string, props: sqs.QueueProps): sqs.Queue {
    return new sqs.Queue(this, id, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, ...props });
  }

  /**
   * Dead-letter queues keep messages for SQS's maximum of 14 days, time enough for a human to look.
   * Their RedriveAllowPolicy names the one queue whose redrive policy may use them (byQueue), or none
   * (denyAll) for those that only EventBridge or SNS write to; that policy governs SQS source queues
   * only. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queue.html
   */
  private deadLetterQueue(id: string, sourceQueueName?: string): sqs.Queue {
    const redriveAllowPolicy: sqs.RedriveAllowPolicy = sourceQueueName
      ? { redrivePermission: sqs.RedrivePermission.BY_QUEUE, sourceQueues: [sqs.Queue.fromQueueArn(this, `${id}Source`, this.queueArn(sourceQueueName))] }
      : { redrivePermission: sqs.RedrivePermission.DENY_ALL };
    return this.queue(id, { retentionPeriod: Duration.days(14), redriveAllowPolicy });
  }

  /**
   * A fixed name for a queue with a DLQ. The DLQ's RedriveAllowPolicy must name the queue, and the
   * queue's RedrivePolicy the DLQ: with generated names that is a circular reference CloudFormation
   * refuses, so the source queue's ARN is built from this name instead. Unique per stack and path.
   */
  private sourceQueueName(id: string): string {
    return `${Names.uniqueResourceName(this, { maxLength: 80 - id.length - 1, separator: '-' })}-${id}`;
  }

  private queueArn(queueName: string): string {
    return Stack.of(this).formatArn({ service: 'sqs', resource: queueName, arnFormat: ArnFormat.NO_RESOURCE_NAME });
  }

  /**
   * A Node.js Lambda: pre-bundled in the package, else bundled by the local esbuild (no Docker; see
   * lambda-code.ts). The role is explicit so that it lacks AWSLambdaBasicExecutionRole: the function
   * may write only to its own log group.
   */
  private handler(id: string, options: HandlerOptions): NodejsFunction {
    // A year, as Control Tower requires (CT.CLOUDWATCH.PR.2): the logs answer "why was this redriven?"
    // after the ledger item has expired, and a redrive tool writes little.
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.ONE_YEAR });
    this.logGroups.push(logGroup);
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: options.description,
    });
    logGroup.grantWrite(role);
    return new NodejsFunction(this, id, {
      ...handlerCode(options.entry, LAMBDA_BUNDLING),
      description: options.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: options.memorySize,
      timeout: options.timeout,
      environment: options.environment,
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
    });
  }

  private allow(fn: lambda.IFunction, actions: string[], resources: string[]): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
  }

  private allowLedgerReadWrite(fn: lambda.IFunction): void {
    // The Lambdas read an item and change it with conditional updates; only the CLI's report queries the index.
    this.allow(fn, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [this.ledgerTable.tableArn]);
  }

  /** Publishing to a KMS-encrypted topic needs a data key from the topic's key. */
  private allowPublishAlerts(fn: lambda.IFunction): void {
    this.allow(fn, ['sns:Publish'], [this.alertTopic.topicArn]);
    this.allow(fn, ['kms:GenerateDataKey', 'kms:Decrypt'], [this.alertKey.keyArn]);
  }

  private slackNotifier(
    secretName: string,
    queueName: string,
    deadLetterQueue: sqs.Queue,
    commonEnvironment: Record<string, string>,
  ): { queue: sqs.Queue; notifier: NodejsFunction } {
    const threshold = this.config.alerts.slackDigestThreshold;
    const queue = this.queue('SlackAlertsQueue', {
      queueName,
      // Six times the timeout plus the batching window, as AWS advises for SQS event sources:
      // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
      visibilityTimeout: Duration.seconds(notifierVisibilityTimeoutSeconds(threshold)),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: SLACK_NOTIFIER.maxReceiveCount },
    });
    // Raw delivery off: the notifier reads the SNS envelope (subject, alarm or worker message).
    this.alertTopic.addSubscription(
      new subscriptions.SqsSubscription(queue, { rawMessageDelivery: false, deadLetterQueue }),
    );
    const notifier = this.handler('SlackNotifier', {
      entry: 'slack-notifier.ts',
      description: 'sfn-autoredrive Slack notifier: posts alerts to an incoming webhook',
      // Above the worst case of one batch (adapters/slack.ts), so no post is cut off by the timeout.
      timeout: Duration.seconds(notifierTimeoutSeconds(threshold)),
      memorySize: 256,
      // Claims, posted marks and the shared rate gate live in the ledger table.
      environment: { ...commonEnvironment, [RUNTIME_ENV.slackSecretId]: secretName, [RUNTIME_ENV.ledgerTableName]: this.ledgerTable.tableName },
    });
    // No reserved concurrency: the event source's MaximumConcurrency (2, the least AWS allows) bounds the
    // instances, and the rate gate they share keeps them to Slack's one post per second. A storm of
    // alerts arrives as one batch and is posted as a digest.
    notifier.addEventSource(
      new SqsEventSource(queue, {
        batchSize: SLACK_NOTIFIER.batchSize,
        maxBatchingWindow: Duration.seconds(SLACK_NOTIFIER.maxBatchingWindowSeconds),
        maxConcurrency: SLACK_NOTIFIER.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    // Claims, posted marks and the rate gate are conditional UpdateItems only.
    this.allow(notifier, ['dynamodb:UpdateItem'], [this.ledgerTable.tableArn]);
    this.allow(notifier, ['secretsmanager:GetSecretValue'], [this.secretArnPattern(secretName)]);
    return { queue, notifier };
  }

  /**
   * The approval endpoint: a Function URL without IAM auth (Slack cannot sign with SigV4), every request
   * checked against Slack's signature. It reads one ledger item and sends one message; the worker does
   * the rest, so it answers well within Slack's 3 seconds.
   */
  private approvalEndpoint(signingSecretName: string, commonEnvironment: Record<string, string>): { fn: NodejsFunction; url: lambda.FunctionUrl } {
    const fn = this.handler('ApprovalEndpoint', {
      entry: 'approval-endpoint.ts',
      description: 'sfn-autoredrive approval endpoint: checks Slack Redrive / Skip clicks and hands them to the worker',
      // Slack gives up after 3 s; a request still running at 5 s has failed anyway.
      timeout: Duration.seconds(5),
      memorySize: 256,
      environment: {
        ...commonEnvironment,
        [RUNTIME_ENV.ledgerTableName]: this.ledgerTable.tableName,
        [RUNTIME_ENV.intakeQueueUrl]: this.intakeQueue.queueUrl,
        [RUNTIME_ENV.slackSigningSecretId]: signingSecretName,
        ...(this.config.approvals.slackBotTokenSecretName && { [RUNTIME_ENV.slackBotTokenSecretId]: this.config.approvals.slackBotTokenSecretName }),
      },
    });
    this.allow(fn, ['dynamodb:GetItem'], [this.ledgerTable.tableArn]);
    this.allow(fn, ['sqs:SendMessage'], [this.intakeQueue.queueArn]);
    const botToken = this.config.approvals.slackBotTokenSecretName;
    this.allow(fn, ['secretsmanager:GetSecretValue'], [signingSecretName, ...(botToken ? [botToken] : [])].map((name) => this.secretArnPattern(name)));
    const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    new CfnOutput(this, 'ApprovalEndpointUrl', {
      description: 'Set as the Slack app\'s Interactivity Request URL (Redrive / Skip buttons)',
      value: url.url,
    });
    return { fn, url };
  }

  /** Secrets Manager appends six random characters to a secret's name in its ARN. */
  private secretArnPattern(secretName: string): string {
    return `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${secretName}-??????`;
  }

  private createAlarms(): void {
    const action = new cloudwatchActions.SnsAction(this.alertTopic);
    const add = (id: string, props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods'>) => {
      const alarm = new cloudwatch.Alarm(this, id, {
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...props,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    };
    const deadLetterQueues: [string, sqs.Queue | undefined][] = [
      ['IntakeDeadLetterQueue', this.intakeDeadLetterQueue],
      ['RuleDeadLetterQueue', this.ruleDeadLetterQueue],
      ['AlertDeadLetterQueue', this.alertDeadLetterQueue],
    ];
    for (const [name, queue] of deadLetterQueues) {
      if (!queue) continue;
      add(`${name}NotEmpty`, {
        alarmDescription: `sfn-autoredrive: messages in ${name}; inspect and redrive them`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }
    add('IntakeBacklog', {
      alarmDescription: `sfn-autoredrive: intake messages older than ${INTAKE_AGE_ALARM_SECONDS} s; the worker is not keeping up or failing`,
      metric: this.intakeQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: INTAKE_AGE_ALARM_SECONDS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const functions: [string, NodejsFunction | undefined][] = [
      ['Worker', this.workerFunction],
      ['Sweep', this.sweepFunction],
      ['SlackNotifier', this.slackNotifierFunction],
      ['ApprovalEndpoint', this.approvalEndpointFunction],
    ];
    for (const [name, fn] of functions) {
      if (!fn) continue;
      add(`${name}Errors`, {
        alarmDescription: `sfn-autoredrive: the ${name} Lambda failed (an unhandled error, not a per-message failure)`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
    if (this.slackNotifierFunction) {
      // A throttled alert batch goes back to the queue and counts a receive: after maxReceiveCount it
      // would be dead-lettered without reaching Slack. With no reserved concurrency this means the
      // account's concurrency is exhausted.
      add('SlackNotifierThrottles', {
        alarmDescription: 'sfn-autoredrive: the SlackNotifier Lambda was throttled; alerts are delayed and may reach the alert DLQ',
        metric: this.slackNotifierFunction.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
  }

  private createDashboard(): cloudwatch.Dashboard {
    const period = Duration.minutes(5);
    // SEARCH finds the metrics whatever other dimensions the handlers add and whichever reasons occur.
    const decision = (name: string) =>
      new cloudwatch.MathExpression({
        expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service} MetricName="${name}"', 'Sum', ${period.toSeconds()}))`,
        usingMetrics: {},
        label: name,
        period,
      });
    const skippedByReason = new cloudwatch.MathExpression({
      expression: `SEARCH('{${METRICS_NAMESPACE},reason,service} MetricName="Skipped"', 'Sum', ${period.toSeconds()})`,
      usingMetrics: {},
      label: 'Skipped',
      period,
    });
    const deadLetterQueues = [this.intakeDeadLetterQueue, this.ruleDeadLetterQueue, this.alertDeadLetterQueue].filter(
      (q): q is sqs.Queue => q !== undefined,
    );
    const worker = this.workerFunction;
    return new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'Decisions', left: DECISION_METRICS.map(decision), width: 12 }),
          new cloudwatch.GraphWidget({ title: 'Skipped by reason', left: [skippedByReason], width: 12 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Queue depth',
            left: [this.intakeQueue, ...deadLetterQueues].map((q) =>
              q.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
            ),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Intake: age of oldest message (s)',
            left: [this.intakeQueue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' })],
            leftAnnotations: [{ value: INTAKE_AGE_ALARM_SECONDS, label: 'alarm' }],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Worker errors', left: [worker.metricErrors({ period })], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Worker duration (ms)',
            left: [worker.metricDuration({ period, statistic: 'p99' }), worker.metricDuration({ period, statistic: 'Average' })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Worker concurrency',
            left: [worker.metric('ConcurrentExecutions', { period, statistic: 'Maximum' })],
            width: 8,
          }),
        ],
      ],
    });
  }
}

/**
 * In a stack with a concrete account or region, an exact ARN elsewhere would get an IAM grant that can
 * never be used and a rule entry that never matches: a mistake, so synth fails naming it. (The CDK app
 * gives each target's stack only its own ARNs; see configForTarget in lib/app.ts.)
 */
function rejectArnsOutside(arns: string[], stack: Stack): void {
  const env: DeployEnvironment = {
    account: Token.isUnresolved(stack.account) ? undefined : stack.account,
    region: Token.isUnresolved(stack.region) ? undefined : stack.region,
  };
  const problems = arns.flatMap((arn, i) =>
    isInEnvironment(arn, env)
      ? []
      : [`watch.stateMachineArns.${i}: ${arn} is in ${environmentOfArn(arn)}, but this stack deploys to ${env.account ?? '(any account)'}/${env.region ?? '(any region)'}`],
  );
  if (problems.length > 0) throw new ConfigError(problems);
}

/** core/event-pattern.ts speaks EventBridge JSON; the L2 Rule wants camelCase keys and renders them back. */
function toRulePattern(pattern: ReturnType<typeof buildEventPattern>): events.EventPattern {
  return { source: pattern.source, detailType: pattern['detail-type'], detail: pattern.detail };
}

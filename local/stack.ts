/**
 * The embedded local stack: the production worker, notifier and sweep code, wired exactly as the CDK
 * construct wires them, on local stand-ins for every AWS service they call. Only endpoints differ.
 *
 *   Step Functions emulator ──status events──▶ event bus (the deployed rule pattern) ──▶ intake queue
 *   intake queue ──▶ worker (LambdaRunner, max concurrency, partial batch) ──▶ DynamoDB Local ledger
 *                                   └──▶ RedriveExecution on the emulator, rechecks back to the intake queue
 *   alerts ──▶ SNS topic ──▶ alerts queue ──▶ Slack notifier ──▶ local Slack receiver (Secrets Manager holds its URL)
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createClients, type AwsClients } from '../adapters/clients';
import { IntakeQueue } from '../adapters/intake-queue';
import { Ledger } from '../adapters/ledger';
import { RUNTIME_ENV, SERVICE_NAME } from '../adapters/runtime-env';
import { notifierTimeoutSeconds, notifierVisibilityTimeoutSeconds, SLACK_NOTIFIER } from '../adapters/slack';
import { alertFromNotification, type Alert } from '../core/alerts';
import { CONFIG_ENV_VAR, parseConfig, type AutoRedriveConfig, type AutoRedriveConfigInput } from '../core/config';
import { buildEventPattern } from '../core/event-pattern';
import { createApprovalEndpointHandler } from '../lambda/approval-endpoint';
import { createNotifierHandler } from '../lambda/slack-notifier';
import type { SweepReport } from '../engine/sweep';
import { createSweepHandler } from '../lambda/sweep';
import { createWorkerHandler } from '../lambda/worker';
import { RealClock, VirtualClock, type StackClock } from './clock';
import { createLedgerTable, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { AuthorizingDynamoDbProxy, behindProxy } from './iam/dynamodb-proxy';
import { ADMIN_CREDENTIALS, LAMBDA_CREDENTIALS, LAMBDA_FUNCTION_NAMES, OPERATOR_CREDENTIALS, type LocalCredentials } from './iam/principals';
import { createStackAuthorizer, requireEventSourcePermissions } from './iam/stack-authorizer';
import type { RolePolicies } from './iam/synthesized-policies';
import { deleteExpiredLedgerItems, LEDGER_EXPIRY_CHECK_EVERY_MS } from './ledger-expiry';
import { LocalAwsEndpoints } from './fabric/aws-endpoints';
import { lambdaFunctionArn, LOCAL_ACCOUNT, LOCAL_REGION, sqsQueueArn } from './fabric/aws-names';
import { LocalEventBus } from './fabric/event-bus';
import { LambdaRunner, type SqsBatchHandler } from './fabric/lambda-runner';
import type { LocalQueue } from './fabric/queue';
import { functionUrlEvent } from './fabric/function-url';
import { LocalSlackReceiver } from './fabric/slack-receiver';
import { SfnEmulator, type MockConfig, type TaskHandler } from './sfn';

export interface LocalStackOptions {
  /** The sfn-autoredrive config, as in autoredrive.config.json. */
  config: AutoRedriveConfigInput;
  /** @default a RealClock */
  clock?: StackClock;
  /** Turn on the emulator's AWS-default throttling buckets. @default false */
  throttling?: boolean;
  mockConfig?: MockConfig | string;
  taskHandlers?: Record<string, TaskHandler>;
  /** Deploy the Slack notifier against a local webhook receiver. @default true */
  slack?: boolean;
  /** Powertools log level of the worker and notifier. @default 'SILENT' */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Called with every alert as it is published to the topic. */
  onAlert?: (alert: Alert) => void;
  /** Fixed ports, for `serve`. @default free ports */
  ports?: { stepFunctions?: number; aws?: number; dynamodb?: number; slack?: number };
  /** Keep DynamoDB data on disk here, so it survives a DynamoDB restart. */
  dynamoPersistDir?: string;
  /**
   * Use this running DynamoDB Local instead of starting one (its JVM is slow to start), with this ledger
   * table (created if missing). The stack does not stop it. @default a DynamoDB Local of the stack's own
   */
  sharedDynamo?: { dynamo: DynamoDbLocal; ledgerTableName: string };
  /** Seconds the Slack notifier gathers alerts into one batch. @default 5 */
  slackBatchingWindowSeconds?: number;
  /**
   * Every endpoint evaluates each call against its caller's IAM policy: each Lambda's synthesized role
   * policy, the operator policy of docs/operator-policy.json. `adjustPolicies` edits the synthesized
   * policies first (a test removing a grant). @default { enforce: true }
   */
  iam?: { enforce?: boolean; adjustPolicies?: (policies: RolePolicies) => RolePolicies };
  /** Called with each error a Lambda's handler throws, as its log would show it (the batch fails either way). */
  onLambdaError?: (functionName: string, error: unknown) => void;
}

export const LOCAL_NAMES = {
  ledgerTable: 'sfn-autoredrive-ledger',
  intakeQueue: 'sfn-autoredrive-intake',
  intakeDlq: 'sfn-autoredrive-intake-dlq',
  alertTopic: 'sfn-autoredrive-alerts',
  alertsQueue: 'sfn-autoredrive-slack-alerts',
  alertsDlq: 'sfn-autoredrive-alerts-dlq',
  slackSecret: 'sfn-autoredrive/slack-webhook',
  rule: 'sfn-autoredrive-intake-rule',
  ruleDlq: 'sfn-autoredrive-rule-dlq',
} as const;

export class LocalStack {
  readonly alerts: Alert[] = [];
  readonly intakeQueue: LocalQueue;
  readonly intakeDlq: LocalQueue;
  readonly alertTopicArn: string;
  readonly ledger: Ledger;
  /** The local account's administrator: what tests and the demo create state machines and start executions with. */
  readonly clients: AwsClients;
  /** What the worker and the sweep call AWS with, each as its own role (tests wrap them to inject faults). */
  readonly lambdaClients: Record<'worker' | 'sweep', AwsClients>;
  /** The Lambda environment the construct would set, pointing at this stack. */
  readonly env: Record<string, string>;
  readonly worker: LambdaRunner;
  readonly notifier?: LambdaRunner;
  readonly ledgerTableName: string;
  /** Ledger items deleted because their TTL passed on the stack clock. */
  ledgerItemsExpired = 0;
  private readonly sweep: ReturnType<typeof createSweepHandler>;
  private readonly ownsDynamo: boolean;
  private readonly dynamoProxy?: AuthorizingDynamoDbProxy;
  /** Notifier invocations running, and how many of them wait on the clock (between posts). */
  private notifierRunning = 0;
  private notifierSleeping = 0;
  private nextExpiryCheckMs: number;
  private expiring?: Promise<number>;
  private expiryTimer?: NodeJS.Timeout;

  private constructor(
    readonly config: AutoRedriveConfig,
    readonly clock: StackClock,
    readonly sfn: SfnEmulator,
    readonly aws: LocalAwsEndpoints,
    readonly dynamo: DynamoDbLocal,
    readonly bus: LocalEventBus,
    readonly slack: LocalSlackReceiver | undefined,
    options: LocalStackOptions,
    dynamoProxy: AuthorizingDynamoDbProxy | undefined,
  ) {
    this.dynamoProxy = dynamoProxy;
    const { worker: workerConfig } = config;
    this.ledgerTableName = options.sharedDynamo?.ledgerTableName ?? LOCAL_NAMES.ledgerTable;
    this.ownsDynamo = options.sharedDynamo === undefined;
    this.intakeDlq = aws.sqs.createQueue(LOCAL_NAMES.intakeDlq, { messageRetentionSeconds: 1_209_600 });
    this.intakeQueue = aws.sqs.createQueue(LOCAL_NAMES.intakeQueue, {
      visibilityTimeoutSeconds: workerConfig.timeoutSeconds * 6,
      // As deployed: 14 days, so a backoff recheck outlives a long worker outage.
      messageRetentionSeconds: 1_209_600,
      deadLetter: { queue: this.intakeDlq, maxReceiveCount: workerConfig.maxReceiveCount },
    });
    this.alertTopicArn = aws.sns.createTopic(LOCAL_NAMES.alertTopic);
    aws.sns.subscribeCallback(this.alertTopicArn, (notification) => {
      const alert = alertFromNotification(JSON.stringify(notification), clock.nowMs());
      this.alerts.push(alert);
      options.onAlert?.(alert);
    });
    bus.addRule({ name: LOCAL_NAMES.rule, pattern: buildEventPattern(config, { partition: 'aws', region: LOCAL_REGION, account: LOCAL_ACCOUNT }), target: this.intakeQueue });

    // Each caller its own credentials, so the endpoints hold each to its own policy.
    const clientsAs = (credentials: LocalCredentials) =>
      createClients({ region: LOCAL_REGION, credentials, endpoints: { sfn: sfn.endpoint, dynamodb: dynamo.endpoint, sqs: aws.url, sns: aws.url } });
    this.clients = clientsAs(ADMIN_CREDENTIALS);
    this.lambdaClients = { worker: clientsAs(LAMBDA_CREDENTIALS.worker), sweep: clientsAs(LAMBDA_CREDENTIALS.sweep) };
    this.env = {
      [CONFIG_ENV_VAR]: JSON.stringify(config),
      [RUNTIME_ENV.ledgerTableName]: this.ledgerTableName,
      [RUNTIME_ENV.intakeQueueUrl]: aws.sqs.queueUrl(LOCAL_NAMES.intakeQueue),
      [RUNTIME_ENV.intakeDlqUrl]: aws.sqs.queueUrl(LOCAL_NAMES.intakeDlq),
      [RUNTIME_ENV.alertTopicArn]: this.alertTopicArn,
      [RUNTIME_ENV.slackSecretId]: LOCAL_NAMES.slackSecret,
      ...(slack && { [RUNTIME_ENV.slackResponseUrlPrefix]: slack.responseUrlPrefix }),
    };
    this.ledger = new Ledger(this.clients.dynamo, this.ledgerTableName, config.ledger.retentionDays);
    this.nextExpiryCheckMs = clock.nowMs() + LEDGER_EXPIRY_CHECK_EVERY_MS;
    // A clock that moves by itself (`serve`) gets its expiry checks from real time; a hand-driven one from settle().
    if (!(clock instanceof VirtualClock) || clock.speed > 0) {
      this.expiryTimer = setInterval(() => void this.expireLedgerItemsWhenDue().catch(() => undefined), 60_000);
      this.expiryTimer.unref();
    }
    const logger = new Logger({ serviceName: SERVICE_NAME, logLevel: options.logLevel ?? 'SILENT' });
    this.sweep = createSweepHandler({ clock, clients: this.lambdaClients.sweep, env: this.env, logger });
    this.worker = new LambdaRunner({
      queue: this.intakeQueue,
      functionName: LAMBDA_FUNCTION_NAMES.worker,
      handler: createWorkerHandler({ clock, clients: this.lambdaClients.worker, env: this.env, logger }),
      batchSize: workerConfig.batchSize,
      maxConcurrency: workerConfig.maxConcurrency,
      timeoutSeconds: workerConfig.timeoutSeconds,
      onHandlerError: (error) => options.onLambdaError?.(LAMBDA_FUNCTION_NAMES.worker, error),
    });
    if (slack) {
      aws.secrets.put(LOCAL_NAMES.slackSecret, slack.url);
      const alertsDlq = aws.sqs.createQueue(LOCAL_NAMES.alertsDlq);
      const threshold = config.alerts.slackDigestThreshold;
      const alertsQueue = aws.sqs.createQueue(LOCAL_NAMES.alertsQueue, {
        visibilityTimeoutSeconds: notifierVisibilityTimeoutSeconds(threshold),
        deadLetter: { queue: alertsDlq, maxReceiveCount: SLACK_NOTIFIER.maxReceiveCount },
      });
      aws.sns.subscribeQueue(this.alertTopicArn, alertsQueue);
      const notifierCredentials = LAMBDA_CREDENTIALS.notifier;
      const secretsClient = new SecretsManagerClient({ ...aws.clientConfig(), credentials: notifierCredentials });
      this.notifier = new LambdaRunner({
        queue: alertsQueue,
        functionName: LAMBDA_FUNCTION_NAMES.notifier,
        handler: this.countNotifierInvocations(
          createNotifierHandler({
            clock,
            sleep: (ms) => this.notifierSleep(ms),
            env: this.env,
            secrets: new SecretsProvider({ awsSdkV3Client: secretsClient }),
            dynamo: clientsAs(notifierCredentials).dynamo,
            logger,
          }),
        ),
        batchSize: SLACK_NOTIFIER.batchSize,
        maximumBatchingWindowSeconds: options.slackBatchingWindowSeconds ?? 5,
        maxConcurrency: SLACK_NOTIFIER.maxConcurrency,
        timeoutSeconds: notifierTimeoutSeconds(threshold),
        onHandlerError: (error) => options.onLambdaError?.(LAMBDA_FUNCTION_NAMES.notifier, error),
      });
      const signingSecretName = config.approvals.slackSigningSecretName;
      if (signingSecretName) {
        // The receiver's buttons call the approval endpoint's handler, signed as Slack signs.
        const signingSecret = randomUUID().replaceAll('-', '');
        aws.secrets.put(signingSecretName, signingSecret);
        // The endpoint calls as its own role, like the other Lambdas.
        const approvalCredentials = LAMBDA_CREDENTIALS.approval;
        const endpoint = createApprovalEndpointHandler({
          clock,
          clients: clientsAs(approvalCredentials),
          env: { ...this.env, [RUNTIME_ENV.slackSigningSecretId]: signingSecretName },
          secrets: new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ ...aws.clientConfig(), credentials: approvalCredentials }) }),
          logger,
        });
        slack.configureInteractivity({ signingSecret, deliver: async (request) => endpoint(functionUrlEvent(request, clock.nowMs())) });
      }
    }
  }

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const config = parseConfig(options.config);
    const clock = options.clock ?? new RealClock();
    const ledgerTableName = options.sharedDynamo?.ledgerTableName ?? LOCAL_NAMES.ledgerTable;
    const authorizer =
      options.iam?.enforce === false
        ? undefined
        : createStackAuthorizer({ config, names: { ...LOCAL_NAMES, ledgerTable: ledgerTableName }, slack: options.slack !== false, adjustPolicies: options.iam?.adjustPolicies });
    // With the proxy in front, a fixed DynamoDB port is the proxy's: it is what callers connect to.
    const dynamoPort = authorizer ? undefined : options.ports?.dynamodb;
    const jvm = options.sharedDynamo?.dynamo ?? (await startDynamoDbLocal({ port: dynamoPort, persistDir: options.dynamoPersistDir }));
    const started: Array<{ stop(): Promise<void> }> = options.sharedDynamo ? [] : [jvm];
    try {
      const tableClient = jvm.createClient();
      await createLedgerTable(tableClient, ledgerTableName).catch((error: Error) => {
        // A persistent DynamoDB directory keeps the table from an earlier run.
        if (error.name !== 'ResourceInUseException') throw error;
      }).finally(() => tableClient.destroy());
      const dynamoProxy = authorizer && (await AuthorizingDynamoDbProxy.start(jvm.endpoint, authorizer, options.ports?.dynamodb));
      if (dynamoProxy) started.push(dynamoProxy);
      const dynamo = dynamoProxy ? behindProxy(jvm, dynamoProxy) : jvm;
      const aws = await LocalAwsEndpoints.start({ clock, port: options.ports?.aws, authorizer });
      started.push(aws);
      const slack = options.slack === false ? undefined : await LocalSlackReceiver.start({ clock, port: options.ports?.slack });
      if (slack) started.push(slack);
      const bus = new LocalEventBus(clock);
      const sfn = new SfnEmulator({
        clock,
        account: LOCAL_ACCOUNT,
        region: LOCAL_REGION,
        throttling: { enabled: options.throttling ?? false },
        mockConfig: options.mockConfig,
        taskHandlers: options.taskHandlers,
        authorizer,
        onStatusChange: (event) => void bus.putEvent({ ...event, detail: { ...event.detail } }),
      });
      await sfn.start(options.ports?.stepFunctions ?? 0);
      started.push(sfn);
      const stack = new LocalStack(config, clock, sfn, aws, dynamo, bus, slack, options, dynamoProxy);
      if (authorizer) {
        await requireEventSourcePermissions(authorizer, LAMBDA_CREDENTIALS.worker, stack.intakeQueue.arn);
        if (stack.notifier) await requireEventSourcePermissions(authorizer, LAMBDA_CREDENTIALS.notifier, sqsQueueArn(LOCAL_NAMES.alertsQueue));
      }
      stack.worker.start();
      stack.notifier?.start();
      return stack;
    } catch (error) {
      await Promise.allSettled(started.map((part) => part.stop()));
      throw error;
    }
  }

  /**
   * The environment that points the AWS SDK (and the AWS CLI, and the bundled Lambdas) at this stack:
   * region, dummy credentials, AWS_ENDPOINT_URL_<SERVICE>, and the variables the construct sets.
   */
  sdkEnvironment(): Record<string, string> {
    return {
      AWS_REGION: LOCAL_REGION,
      // The AWS CLI v1 reads only this one.
      AWS_DEFAULT_REGION: LOCAL_REGION,
      // The operator: what the CLI needs, as docs/operator-policy.json grants it.
      AWS_ACCESS_KEY_ID: OPERATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: OPERATOR_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SFN: this.sfn.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: this.dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: this.aws.url,
      AWS_ENDPOINT_URL_SNS: this.aws.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: this.aws.url,
      ...this.env,
    };
  }

  /** An intake queue client as the worker uses it (for tests that inject messages). */
  intake(): IntakeQueue {
    return new IntakeQueue(this.clients.sqs, this.env[RUNTIME_ENV.intakeQueueUrl], this.env[RUNTIME_ENV.intakeDlqUrl]);
  }

  /** Runs the sweep Lambda's code once, as its schedule would. */
  async runSweep(): Promise<SweepReport> {
    const context = { invokedFunctionArn: lambdaFunctionArn(LAMBDA_FUNCTION_NAMES.sweep), awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 300_000 };
    const outcome = await this.sweep({}, context as never);
    // Local sweeps run one after another, so the lease is always free.
    if ('skipped' in outcome) throw new Error(`the local sweep found the sweep lease held by ${outcome.heldBy}`);
    return outcome;
  }

  /**
   * Resolves when no execution runs, no event waits for delivery and the worker has nothing visible to do.
   * On a VirtualClock, executions asleep in a Wait state or retry interval, and event deliveries delayed by
   * a fault, are idle until the clock moves: they are timers for runUntilQuiet to jump to.
   */
  async settle(): Promise<void> {
    await this.expireLedgerItemsWhenDue();
    for (;;) {
      await this.sfn.waitForIdle();
      await this.worker.idle();
      if (this.clock.virtual) await this.notifierPaused();
      const waitingOnClockOnly = this.clock.virtual || (this.bus.pendingDeliveries() === 0 && this.sfn.stats().executions.open === 0);
      if (this.intakeQueue.depth().visible === 0 && waitingOnClockOnly) return;
    }
  }

  /**
   * With a VirtualClock: settle, then jump to the next timer (a backoff, a Wait state, a Slack pause),
   * until nothing is left to run. `onStep` sees each jump, for progress displays.
   */
  async runUntilQuiet(onStep?: (nowMs: number) => void, maxSteps = 100_000): Promise<void> {
    if (!(this.clock instanceof VirtualClock)) throw new Error('runUntilQuiet needs the stack to run on a VirtualClock');
    const clock = this.clock;
    for (let step = 0; step < maxSteps; step++) {
      await this.settle();
      const nextDueMs = clock.nextDueMs();
      if (nextDueMs === undefined) {
        await this.notifierIdleOrPaused();
        if (clock.nextDueMs() === undefined && this.intakeQueue.depth().visible === 0) return;
        continue;
      }
      await clock.advance(Math.max(0, nextDueMs - clock.nowMs()));
      onStep?.(clock.nowMs());
    }
    throw new Error(`the local stack was still busy after ${maxSteps} clock jumps`);
  }

  /**
   * Resolves when the Slack notifier is idle, or, on a VirtualClock, when it pauses between posts on the
   * clock (a timer to jump to: waiting for idle then would never end).
   */
  async notifierIdleOrPaused(): Promise<void> {
    if (!this.notifier) return;
    const clock = this.clock;
    if (!(clock instanceof VirtualClock)) return void (await this.notifier.idle());
    let idle = false;
    void this.notifier.idle().then(() => (idle = true));
    while (!idle && !(clock.nextDueMs() !== undefined && this.notifierSleeping >= this.notifierRunning)) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /**
   * On a VirtualClock: resolves once every running notifier invocation waits on the clock. Until then it
   * is talking to DynamoDB or Slack, and moving the clock would eat its deadline and the visibility of
   * its batch (timers that are due only in the far future, such as those, must wait).
   */
  private async notifierPaused(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.notifierSleeping >= this.notifierRunning) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private countNotifierInvocations(handler: SqsBatchHandler): SqsBatchHandler {
    return async (event, context) => {
      this.notifierRunning++;
      try {
        return await handler(event, context);
      } finally {
        this.notifierRunning--;
      }
    };
  }

  private async notifierSleep(ms: number): Promise<void> {
    this.notifierSleeping++;
    try {
      await this.clock.sleepUntil(this.clock.nowMs() + ms);
    } finally {
      this.notifierSleeping--;
    }
  }

  /**
   * Deletes the ledger items whose TTL passed on the stack clock, as DynamoDB TTL does on AWS (the local
   * table has DynamoDB TTL off: DynamoDB Local would expire items by the real clock). settle() calls this
   * once per hour of stack time; returns how many items this pass deleted.
   */
  expireLedgerItems(): Promise<number> {
    this.expiring ??= (async () => {
      try {
        const nowMs = this.clock.nowMs();
        this.nextExpiryCheckMs = nowMs + LEDGER_EXPIRY_CHECK_EVERY_MS;
        const deleted = await deleteExpiredLedgerItems(this.clients.dynamo, this.ledgerTableName, nowMs);
        this.ledgerItemsExpired += deleted;
        return deleted;
      } finally {
        this.expiring = undefined;
      }
    })();
    return this.expiring;
  }

  private async expireLedgerItemsWhenDue(): Promise<void> {
    if (this.clock.nowMs() >= this.nextExpiryCheckMs) await this.expireLedgerItems();
  }

  async stop(): Promise<void> {
    clearInterval(this.expiryTimer);
    await this.worker.stop();
    await this.notifier?.stop();
    await Promise.allSettled([this.sfn.stop(), this.aws.stop(), this.slack?.stop(), this.dynamoProxy?.stop(), this.ownsDynamo ? this.dynamo.stop() : undefined]);
  }
}

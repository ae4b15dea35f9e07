import type { HomeEnvironment } from '../core/decide';

/**
 * Names of the environment variables the CDK construct sets on the Lambdas and the handlers read.
 * The resolved config itself travels in CONFIG_ENV_VAR (core/config.ts).
 */
export const RUNTIME_ENV = {
  ledgerTableName: 'LEDGER_TABLE_NAME',
  intakeQueueUrl: 'INTAKE_QUEUE_URL',
  intakeDlqUrl: 'INTAKE_DLQ_URL',
  alertTopicArn: 'ALERT_TOPIC_ARN',
  slackSecretId: 'SLACK_WEBHOOK_SECRET_ID',
  slackSigningSecretId: 'SLACK_SIGNING_SECRET_ID',
  slackBotTokenSecretId: 'SLACK_BOT_TOKEN_SECRET_ID',
  /** Where a Slack response_url may point; the local stack sets its Slack receiver here. */
  slackResponseUrlPrefix: 'SLACK_RESPONSE_URL_PREFIX',
} as const;

/**
 * Where Slack's response_urls live (https://hooks.slack.com/actions/…):
 * https://docs.slack.dev/interactivity/handling-user-interaction. Not the whole host: incoming webhooks of
 * any workspace live there too (`/services/…`), and an alert must never be sent to someone else's.
 */
export const SLACK_RESPONSE_URL_PREFIX = 'https://hooks.slack.com/actions/';

/** Powertools service name of the Lambdas (POWERTOOLS_SERVICE_NAME, and the metrics' `service` dimension). */
export const SERVICE_NAME = 'sfn-autoredrive';
/** CloudWatch namespace of the EMF metrics (POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'SfnAutoRedrive';

export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set; the worker cannot start`);
  return value;
}

/** Partition, region and account of the function, read from its own ARN. */
export function homeFromContext(context: { invokedFunctionArn?: string }): HomeEnvironment | undefined {
  const match = /^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):(\d{12}):/.exec(context.invokedFunctionArn ?? '');
  return match ? { partition: match[1], region: match[2], account: match[3] } : undefined;
}


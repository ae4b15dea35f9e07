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
} as const;

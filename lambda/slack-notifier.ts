/**
 * Slack notifier Lambda: reads alerts from the alerts queue (subscribed to the SNS topic) and posts them
 * to Slack. More alerts in one batch than the digest threshold become one digest message, so a storm
 * does not flood the channel. Reserved concurrency 1 keeps all posts in one place for the 1/s limit.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { RUNTIME_ENV } from '../adapters/runtime-env';
import { SlackPoster } from '../adapters/slack';
import { alertFromNotification, slackDigest, slackMessageForAlert, type SlackMessage } from '../core/alerts';
import { systemClock, type Clock } from '../core/clock';
import { configFromEnv } from '../core/config';

export interface NotifierDeps {
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  env: NodeJS.ProcessEnv;
  secrets: SecretsProvider;
  logger?: Logger;
  fetchImpl?: typeof fetch;
}

/** The webhook URL is cached for five minutes, so a rotated secret is picked up without a deploy. */
const SECRET_MAX_AGE_SECONDS = 300;

export function createNotifierHandler(deps: NotifierDeps): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const config = configFromEnv(deps.env);
  const secretId = deps.env[RUNTIME_ENV.slackSecretId];
  if (!secretId) throw new Error(`Environment variable ${RUNTIME_ENV.slackSecretId} is not set; the notifier cannot start`);
  const logger = deps.logger ?? new Logger({ serviceName: 'sfn-autoredrive-slack', logLevel: config.logLevel });
  const poster = new SlackPoster({ sleep: deps.sleep, nowMs: () => deps.clock.nowMs(), fetchImpl: deps.fetchImpl });

  return async (event) => {
    const alerts = event.Records.map((record) => ({ messageId: record.messageId, alert: alertFromNotification(record.body, deps.clock.nowMs()) }));
    const webhookUrl = await deps.secrets.get(secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
    if (typeof webhookUrl !== 'string' || !/^https?:\/\//.test(webhookUrl)) {
      logger.error('The Slack secret does not hold a webhook URL', { secretId });
      return { batchItemFailures: alerts.map((a) => ({ itemIdentifier: a.messageId })) };
    }
    const batches: Array<{ message: SlackMessage; messageIds: string[] }> =
      alerts.length > config.alerts.slackDigestThreshold
        ? [{ message: slackDigest(alerts.map((a) => a.alert)), messageIds: alerts.map((a) => a.messageId) }]
        : alerts.map((a) => ({ message: slackMessageForAlert(a.alert), messageIds: [a.messageId] }));
    const failed: string[] = [];
    for (const batch of batches) {
      try {
        await poster.post(webhookUrl, batch.message);
        logger.info('Posted to Slack', { alerts: batch.messageIds.length, digest: batches.length === 1 && batch.messageIds.length > 1 });
      } catch (error) {
        logger.error('Slack post failed; the alerts will be retried', { error: (error as Error).message, alerts: batch.messageIds.length });
        failed.push(...batch.messageIds);
      }
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

let lambdaHandler: ReturnType<typeof createNotifierHandler> | undefined;

export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  lambdaHandler ??= createNotifierHandler({
    clock: systemClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    env: process.env,
    secrets: new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) }),
  });
  return lambdaHandler(event, context);
};

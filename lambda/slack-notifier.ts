/**
 * Slack notifier Lambda: reads alerts from the alerts queue (subscribed to the SNS topic) and posts them
 * to Slack. More alerts in one batch than the digest threshold become one digest message, so a storm
 * does not flood the channel. Up to two instances run at once (the event source's MaximumConcurrency,
 * the least SQS allows); they share one rate gate in the ledger table, so together they post at Slack's
 * one message per second.
 *
 * Each alert is posted once. SQS delivers at least once, and a batch comes back after a failed or
 * timed-out invocation, so an alert is claimed in the ledger table (a conditional write) before it is
 * posted and marked posted after:
 * - at-most-once (mark, then post) would lose an alert whenever the post fails after the mark or the
 *   invocation dies mid-post; at-least-once (post, then mark) posts again whenever the mark is not
 *   written. A claim is neither: while it is held, another copy of the alert is not posted but handed
 *   back to the queue; once marked posted, every copy is acknowledged without a post.
 * - The claim expires a minute after the invocation's own deadline. Only an invocation that dies
 *   between Slack's answer and the mark (milliseconds) leaves a claim that expires unmarked, and then
 *   the alert is posted again: a rare duplicate rather than a lost alert.
 * - The timeout (lib/auto-redrive.ts, notifierWorstCaseSeconds) covers the worst case of a batch, and
 *   no post starts that could not finish before the deadline: alerts left over are handed back.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createClients } from '../adapters/clients';
import { Coordination, SharedRateGate, type LeaseOutcome } from '../adapters/coordination';
import { requireEnv, RUNTIME_ENV, SLACK_RESPONSE_URL_PREFIX } from '../adapters/runtime-env';
import { SLACK_POSTING, SlackPostError, SlackPoster } from '../adapters/slack';
import { alertFromNotification, type Alert } from '../core/alerts';
import { systemClock, type Clock } from '../core/clock';
import { configFromEnv } from '../core/config';
import { LEDGER_TABLE } from '../core/ledger-table';
import { slackDigest, slackMessageForAlert, type SlackMessage } from '../core/slack-message';

export interface NotifierDeps {
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  env: NodeJS.ProcessEnv;
  secrets: SecretsProvider;
  /** The ledger table's client: claims, posted marks and the shared rate gate live there. */
  dynamo: DynamoDBDocumentClient;
  logger?: Logger;
  fetchImpl?: typeof fetch;
}

/** The webhook URL is cached for five minutes, so a rotated secret is picked up without a deploy. */
const SECRET_MAX_AGE_SECONDS = 300;
/** Posted marks outlive SQS's longest retention (14 days), so any redelivered copy finds its mark. */
const POSTED_MARK_DAYS = 15;
/** A claim outlives its invocation's deadline by this much, for clock differences between instances. */
const CLAIM_MARGIN_MS = 60_000;
/** Left at the deadline for the last marks and the response. */
const DEADLINE_RESERVE_MS = 2000;
/** Lambda's longest timeout: the claim's life when the caller gives no deadline. */
const MAX_INVOCATION_MS = 900_000;
/** Claims written at once. */
const CLAIM_PARALLELISM = 10;

interface Received {
  messageId: string;
  /** The SNS notification's MessageId: the same in every copy SNS or SQS delivers. */
  alertId: string;
  alert: Alert;
}

/** SNS MessageId of a notification; the SQS message id for anything else. */
function alertIdOf(record: SQSRecord): string {
  try {
    const envelope = JSON.parse(record.body) as { Type?: unknown; MessageId?: unknown };
    if (envelope?.Type === 'Notification' && typeof envelope.MessageId === 'string' && envelope.MessageId) return `sns:${envelope.MessageId}`;
  } catch {
    // Not JSON: alertFromNotification turns it into a pipeline error alert.
  }
  return `sqs:${record.messageId}`;
}

async function inGroups<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return results;
}

export function createNotifierHandler(deps: NotifierDeps): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const config = configFromEnv(deps.env);
  const secretId = deps.env[RUNTIME_ENV.slackSecretId];
  if (!secretId) throw new Error(`Environment variable ${RUNTIME_ENV.slackSecretId} is not set; the notifier cannot start`);
  const logger = deps.logger ?? new Logger({ serviceName: 'sfn-autoredrive-slack', logLevel: config.logLevel });
  const nowMs = () => deps.clock.nowMs();
  const coordination = new Coordination(deps.dynamo, requireEnv(deps.env, RUNTIME_ENV.ledgerTableName));
  const gate = new SharedRateGate(coordination, {
    nowMs,
    sleep: deps.sleep,
    // A sender that dies mid-request frees the gate by itself after its request's timeout.
    busyMs: SLACK_POSTING.requestTimeoutMs + SLACK_POSTING.minIntervalMs,
    pollMs: SLACK_POSTING.gatePollMs,
  });
  const poster = new SlackPoster({ nowMs, gate, fetchImpl: deps.fetchImpl });
  const responseUrlPrefix = deps.env[RUNTIME_ENV.slackResponseUrlPrefix] ?? SLACK_RESPONSE_URL_PREFIX;
  const claimKey = (alertId: string) => `${LEDGER_TABLE.coordinationKeys.slackAlertPrefix}${alertId}`;

  return async (event, context) => {
    const startMs = nowMs();
    const remainingMs = context?.getRemainingTimeInMillis?.();
    const deadlineMs = remainingMs === undefined ? Number.POSITIVE_INFINITY : startMs + remainingMs - DEADLINE_RESERVE_MS;
    const claimUntilMs = (remainingMs === undefined ? startMs + MAX_INVOCATION_MS : deadlineMs) + CLAIM_MARGIN_MS;
    const holder = context?.awsRequestId ?? randomUUID();
    const failed: string[] = [];
    const received: Received[] = event.Records.map((record) => ({ messageId: record.messageId, alertId: alertIdOf(record), alert: alertFromNotification(record.body, startMs) }));
    // Oldest first: within a post, and from post to post, alerts read in the order they were raised.
    received.sort((a, b) => a.alert.atMs - b.alert.atMs);

    const webhookUrl = await deps.secrets.get(secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
    if (typeof webhookUrl !== 'string' || !/^https?:\/\//.test(webhookUrl)) {
      logger.error('The Slack secret does not hold a webhook URL', { secretId });
      return { batchItemFailures: received.map((r) => ({ itemIdentifier: r.messageId })) };
    }

    const claims = await inGroups(received, CLAIM_PARALLELISM, async (r): Promise<LeaseOutcome | Error> =>
      coordination.takeLease(claimKey(r.alertId), holder, startMs, claimUntilMs, startMs + POSTED_MARK_DAYS * 86_400_000).catch((error: Error) => error),
    );
    const claimed: Received[] = [];
    for (const [i, r] of received.entries()) {
      const claim = claims[i];
      if (claim instanceof Error) {
        logger.warn('Could not claim the alert; it will be retried', { alertId: r.alertId, error: claim.message });
        failed.push(r.messageId);
      } else if (claim.taken) {
        claimed.push(r);
      } else if (claim.done || claim.holder === holder) {
        // Posted already, or a second copy of an alert in this very batch: acknowledged, not posted.
        logger.info('Alert already posted; this copy is not posted again', { alertId: r.alertId });
      } else {
        logger.info('Alert is being posted by another invocation; this copy is retried later', { alertId: r.alertId, heldUntilMs: claim.heldUntilMs });
        failed.push(r.messageId);
      }
    }

    // An approval request keeps its buttons and a decision replaces the clicked message: neither is
    // folded into a digest.
    const own = claimed.filter((r) => postedAlone(r.alert));
    const digestible = claimed.filter((r) => !postedAlone(r.alert));
    const digest = digestible.length > config.alerts.slackDigestThreshold;
    const render = { interactive: config.approvals.slackSigningSecretName !== undefined };
    const posts: Array<{ message: SlackMessage; alerts: Received[] }> = [
      ...own.map((r) => ({ message: slackMessageForAlert(r.alert, render), alerts: [r] })),
      ...(digest
        ? [{ message: slackDigest(digestible.map((r) => r.alert)), alerts: digestible }]
        : digestible.map((r) => ({ message: slackMessageForAlert(r.alert, render), alerts: [r] }))),
    ];
    let stopped: string | undefined;
    const handBack = async (post: { alerts: Received[] }) => {
      await Promise.all(post.alerts.map((r) => coordination.releaseLease(claimKey(r.alertId), holder).catch(() => undefined)));
      failed.push(...post.alerts.map((r) => r.messageId));
    };
    for (const post of posts) {
      if (stopped !== undefined) {
        await handBack(post);
        continue;
      }
      try {
        await postOne(poster, { webhookUrl, responseUrlPrefix }, post, deadlineMs);
      } catch (error) {
        logger.error('Slack post failed; the alerts will be retried', { error: (error as Error).message, alerts: post.alerts.length });
        // A payload Slack refuses (400) concerns this message only; anything else concerns them all.
        if (!(error instanceof SlackPostError && error.status === 400)) stopped = (error as Error).message;
        await handBack(post);
        continue;
      }
      logger.info('Posted to Slack', { alerts: post.alerts.length, digest });
      // Posted: the messages are acknowledged even if a mark fails (its claim then just runs out).
      await Promise.all(
        post.alerts.map((r) =>
          coordination.completeLease(claimKey(r.alertId), nowMs()).catch((error: Error) => logger.warn('Could not mark the alert posted', { alertId: r.alertId, error: error.message })),
        ),
      );
    }
    if (stopped !== undefined) logger.warn('Stopped posting; the remaining alerts go back to the queue', { reason: stopped, handedBack: failed.length });
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

function postedAlone(alert: Alert): boolean {
  return alert.kind === 'APPROVAL_NEEDED' || alert.responseUrl !== undefined;
}

/**
 * A decision made by a click replaces the clicked message through its response_url; one that Slack no
 * longer accepts (used five times, or older than 30 minutes) is posted as a new message instead.
 */
async function postOne(poster: SlackPoster, urls: { webhookUrl: string; responseUrlPrefix: string }, post: { message: SlackMessage; alerts: Received[] }, deadlineMs: number): Promise<void> {
  const { webhookUrl } = urls;
  const responseUrl = post.alerts.length === 1 ? post.alerts[0].alert.responseUrl : undefined;
  if (responseUrl === undefined || !responseUrl.startsWith(urls.responseUrlPrefix)) return poster.post(webhookUrl, post.message, deadlineMs);
  try {
    await poster.post(responseUrl, { ...post.message, replace_original: true }, deadlineMs);
  } catch (error) {
    const refused = error instanceof SlackPostError && error.status !== undefined && error.status >= 400 && error.status < 500 && error.status !== 429;
    if (!refused) throw error;
    await poster.post(webhookUrl, post.message, deadlineMs);
  }
}

let lambdaHandler: ReturnType<typeof createNotifierHandler> | undefined;

export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  lambdaHandler ??= createNotifierHandler({
    clock: systemClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    env: process.env,
    secrets: new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) }),
    dynamo: createClients().dynamo,
  });
  return lambdaHandler(event, context);
};

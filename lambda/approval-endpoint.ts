/**
 * Approval endpoint Lambda (a Function URL, the Slack app's interactivity request URL): a thin adapter
 * from the HTTP request to engine/approval-intake.ts. No IAM auth (Slack cannot sign with SigV4): every
 * request must carry Slack's signature, made with the signing secret kept in Secrets Manager.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { createClients, type AwsClients } from '../adapters/clients';
import { IntakeQueue } from '../adapters/intake-queue';
import { SlackUserGroups } from '../adapters/slack-user-groups';
import { Ledger } from '../adapters/ledger';
import { requireEnv, RUNTIME_ENV, SERVICE_NAME, SLACK_RESPONSE_URL_PREFIX } from '../adapters/runtime-env';
import { systemClock, type Clock } from '../core/clock';
import { configFromEnv } from '../core/config';
import { receiveInteraction } from '../engine/approval-intake';

export interface ApprovalEndpointDeps {
  clock: Clock;
  clients: AwsClients;
  env: NodeJS.ProcessEnv;
  secrets: SecretsProvider;
  logger?: Logger;
  fetchImpl?: typeof fetch;
}

/** The signing secret is cached for five minutes, so a rotated secret is picked up without a deploy. */
const SECRET_MAX_AGE_SECONDS = 300;

/** What the handler answers: always a status and a JSON (or empty) body. */
export interface ApprovalEndpointAnswer {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
}

export function createApprovalEndpointHandler(deps: ApprovalEndpointDeps): (event: LambdaFunctionURLEvent) => Promise<ApprovalEndpointAnswer> {
  const config = configFromEnv(deps.env);
  const logger = deps.logger ?? new Logger({ serviceName: SERVICE_NAME, logLevel: config.logLevel });
  const secretId = requireEnv(deps.env, RUNTIME_ENV.slackSigningSecretId);
  const ledger = new Ledger(deps.clients.dynamo, requireEnv(deps.env, RUNTIME_ENV.ledgerTableName), config.ledger.retentionDays);
  // The endpoint only sends; it has no dead-letter queue to park in.
  const queue = new IntakeQueue(deps.clients.sqs, requireEnv(deps.env, RUNTIME_ENV.intakeQueueUrl), '');
  const secretValue = async (id: string, what: string) => {
    const value = await deps.secrets.get(id, { maxAge: SECRET_MAX_AGE_SECONDS });
    if (typeof value !== 'string' || value.length === 0) throw new Error(`The secret ${id} does not hold a ${what}`);
    return value;
  };
  const signingSecret = () => secretValue(secretId, 'Slack signing secret');
  const { allowedSlackUserGroupIds: groupIds } = config.approvals;
  const groups =
    groupIds.length > 0
      ? new SlackUserGroups({ groupIds, token: () => secretValue(requireEnv(deps.env, RUNTIME_ENV.slackBotTokenSecretId), 'Slack bot token'), nowMs: () => deps.clock.nowMs(), fetchImpl: deps.fetchImpl })
      : undefined;
  const responseUrlPrefix = deps.env[RUNTIME_ENV.slackResponseUrlPrefix] ?? SLACK_RESPONSE_URL_PREFIX;
  return async (event) => {
    if (event.requestContext?.http?.method !== 'POST') return { statusCode: 405, body: JSON.stringify({ message: 'only POST' }), headers: { 'content-type': 'application/json' } };
    const rawBody = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    const result = await receiveInteraction({ headers: event.headers ?? {}, rawBody }, { config, clock: deps.clock, ledger, queue, signingSecret, responseUrlPrefix, userGroupMembers: groups && (() => groups.members()), logger });
    return { ...result, headers: { 'content-type': 'application/json' } };
  };
}

let lambdaHandler: ReturnType<typeof createApprovalEndpointHandler> | undefined;

export const handler = (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
  lambdaHandler ??= createApprovalEndpointHandler({
    clock: systemClock,
    clients: createClients(),
    env: process.env,
    secrets: new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) }),
  });
  return lambdaHandler(event);
};

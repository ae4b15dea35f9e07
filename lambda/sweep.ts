/**
 * Sweep Lambda, on a schedule: finds failures whose status events never arrived and enqueues them for
 * the worker, and sends WINDOW_CLOSING alerts. A thin adapter over engine/sweep.ts.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { SnsAlertPublisher } from '../adapters/alert-publisher';
import { createClients, type AwsClients } from '../adapters/clients';
import { IntakeQueue } from '../adapters/intake-queue';
import { Ledger } from '../adapters/ledger';
import { homeFromContext, requireEnv, RUNTIME_ENV, SERVICE_NAME } from '../adapters/runtime-env';
import { systemClock, type Clock } from '../core/clock';
import { configFromEnv } from '../core/config';
import { sweep, type SweepReport } from '../engine/sweep';

export interface SweepHandlerDeps {
  clock: Clock;
  clients: AwsClients;
  env: NodeJS.ProcessEnv;
  logger?: Logger;
}

export function createSweepHandler(deps: SweepHandlerDeps): (event: unknown, context: Context) => Promise<SweepReport> {
  const config = configFromEnv(deps.env);
  const logger = deps.logger ?? new Logger({ serviceName: SERVICE_NAME, logLevel: config.logLevel });
  const ledger = new Ledger(deps.clients.dynamo, requireEnv(deps.env, RUNTIME_ENV.ledgerTableName), config.ledger.retentionDays);
  // The sweep only enqueues; the worker parks malformed messages, so no DLQ URL is needed here.
  const queue = new IntakeQueue(deps.clients.sqs, requireEnv(deps.env, RUNTIME_ENV.intakeQueueUrl), '');
  const alerts = new SnsAlertPublisher(deps.clients.sns, requireEnv(deps.env, RUNTIME_ENV.alertTopicArn));

  return async (_event, context) => {
    const home = homeFromContext(context);
    if (!home) throw new Error(`Cannot tell the account and region from the function ARN ${context.invokedFunctionArn}`);
    return sweep({ config, clock: deps.clock, sfn: deps.clients.sfn, ledger, alerts, logger, home, handOver: { queue } });
  };
}

let lambdaHandler: ReturnType<typeof createSweepHandler> | undefined;

export const handler = (event: unknown, context: Context): Promise<SweepReport> => {
  lambdaHandler ??= createSweepHandler({ clock: systemClock, clients: createClients(), env: process.env });
  return lambdaHandler(event, context);
};

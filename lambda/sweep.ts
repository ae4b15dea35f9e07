/**
 * Sweep Lambda, on a schedule: finds failures whose status events never arrived and enqueues them for
 * the worker, and sends WINDOW_CLOSING alerts. A thin adapter over engine/sweep.ts.
 *
 * One sweep at a time: overlapping sweeps would only spend the ListExecutions quota twice. Reserved
 * concurrency of 1 would do it but fails to deploy in accounts whose concurrency quota is 10 (AWS
 * keeps 10 unreserved), so a sweep takes a lease in the ledger table first (one conditional write) and
 * gives it back when done. The lease runs to the invocation's own deadline plus a minute, so a sweep
 * killed by its timeout frees it by itself; no config value is needed. A sweep that finds the lease
 * taken logs that and exits.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { SnsAlertPublisher } from '../adapters/alert-publisher';
import { createClients, type AwsClients } from '../adapters/clients';
import { Coordination } from '../adapters/coordination';
import { IntakeQueue } from '../adapters/intake-queue';
import { Ledger } from '../adapters/ledger';
import { homeFromContext, requireEnv, RUNTIME_ENV, SERVICE_NAME } from '../adapters/runtime-env';
import { systemClock, type Clock } from '../core/clock';
import { configFromEnv } from '../core/config';
import { LEDGER_TABLE } from '../core/ledger-table';
import { sweep, type SweepReport } from '../engine/sweep';

export interface SweepHandlerDeps {
  clock: Clock;
  clients: AwsClients;
  env: NodeJS.ProcessEnv;
  logger?: Logger;
}

/** What a sweep that found another one running returns. */
export interface SweepSkipped {
  skipped: 'ANOTHER_SWEEP_RUNNING';
  heldBy?: string;
  heldUntilMs?: number;
}

/** The lease outlives its sweep's deadline by this much, for clock differences between instances. */
const LEASE_MARGIN_MS = 60_000;
/** Lambda's longest timeout: the lease's length when the context gives no deadline. */
const MAX_INVOCATION_MS = 900_000;

export function createSweepHandler(deps: SweepHandlerDeps): (event: unknown, context: Context) => Promise<SweepReport | SweepSkipped> {
  const config = configFromEnv(deps.env);
  const logger = deps.logger ?? new Logger({ serviceName: SERVICE_NAME, logLevel: config.logLevel });
  const tableName = requireEnv(deps.env, RUNTIME_ENV.ledgerTableName);
  const ledger = new Ledger(deps.clients.dynamo, tableName, config.ledger.retentionDays);
  const coordination = new Coordination(deps.clients.dynamo, tableName);
  const leaseKey = LEDGER_TABLE.coordinationKeys.sweepLease;
  // The sweep only enqueues; the worker parks malformed messages, so no DLQ URL is needed here.
  const queue = new IntakeQueue(deps.clients.sqs, requireEnv(deps.env, RUNTIME_ENV.intakeQueueUrl), '');
  const alerts = new SnsAlertPublisher(deps.clients.sns, requireEnv(deps.env, RUNTIME_ENV.alertTopicArn));

  return async (_event, context) => {
    const home = homeFromContext(context);
    if (!home) throw new Error(`Cannot tell the account and region from the function ARN ${context.invokedFunctionArn}`);
    const nowMs = deps.clock.nowMs();
    const untilMs = nowMs + (context.getRemainingTimeInMillis?.() ?? MAX_INVOCATION_MS) + LEASE_MARGIN_MS;
    const holder = context.awsRequestId || randomUUID();
    const lease = await coordination.takeLease(leaseKey, holder, nowMs, untilMs, untilMs + 86_400_000);
    if (!lease.taken) {
      logger.info('Another sweep is running; this one exits', { heldBy: lease.holder, heldUntil: lease.heldUntilMs && new Date(lease.heldUntilMs).toISOString() });
      return { skipped: 'ANOTHER_SWEEP_RUNNING', heldBy: lease.holder, heldUntilMs: lease.heldUntilMs };
    }
    try {
      return await sweep({ config, clock: deps.clock, sfn: deps.clients.sfn, ledger, alerts, logger, home, handOver: { queue } });
    } finally {
      await coordination.releaseLease(leaseKey, holder).catch((error: Error) => logger.warn('Could not release the sweep lease; it expires by itself', { error: error.message }));
    }
  };
}

let lambdaHandler: ReturnType<typeof createSweepHandler> | undefined;

export const handler = (event: unknown, context: Context): Promise<SweepReport | SweepSkipped> => {
  lambdaHandler ??= createSweepHandler({ clock: systemClock, clients: createClients(), env: process.env });
  return lambdaHandler(event, context);
};

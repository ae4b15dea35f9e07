/**
 * Worker Lambda: a thin adapter from an SQS batch to the redrive engine. Powertools batch reports
 * partial failures, so only the records that hit retryable trouble (throttling after SDK retries, 5xx,
 * a DynamoDB outage) come back; everything else is acknowledged after it reached its final place.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SnsAlertPublisher, type AlertSink } from '../adapters/alert-publisher';
import { createClients, type AwsClients } from '../adapters/clients';
import { IntakeQueue } from '../adapters/intake-queue';
import { Ledger } from '../adapters/ledger';
import { homeFromContext, METRICS_NAMESPACE, requireEnv, RUNTIME_ENV, SERVICE_NAME } from '../adapters/runtime-env';
import { isThrottling } from '../adapters/sfn';
import { buildPipelineErrorAlert } from '../core/alerts';
import { systemClock, type Clock } from '../core/clock';
import { configFromEnv, type AutoRedriveConfig } from '../core/config';
import { RedriveEngine, type EngineMetrics, type MetricName } from '../engine/redrive-engine';


export interface WorkerDeps {
  clock: Clock;
  clients: AwsClients;
  env: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Publishes CloudWatch EMF metrics. Omit to keep counts in memory only (local runs). */
  metrics?: Metrics;
  alerts?: AlertSink;
  random?: () => number;
}

/** Counts decisions during one invocation and emits them once at the end, one EMF line per reason. */
class InvocationMetrics implements EngineMetrics {
  private readonly counts = new Map<string, number>();
  count(metric: MetricName, reason?: string): void {
    const key = reason ? `${metric}|${reason}` : metric;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  flush(metrics: Metrics | undefined): void {
    if (!metrics) return;
    for (const [key, value] of this.counts) {
      const [name, reason] = key.split('|');
      if (reason) {
        const single = metrics.singleMetric();
        single.addDimension('reason', reason);
        single.addMetric(name, MetricUnit.Count, value);
      } else {
        metrics.addMetric(name, MetricUnit.Count, value);
      }
    }
    metrics.publishStoredMetrics();
  }
}

export function createWorkerHandler(deps: WorkerDeps): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const config: AutoRedriveConfig = configFromEnv(deps.env);
  const logger = deps.logger ?? new Logger({ serviceName: SERVICE_NAME, logLevel: config.logLevel });
  const ledger = new Ledger(deps.clients.dynamo, requireEnv(deps.env, RUNTIME_ENV.ledgerTableName), config.ledger.retentionDays);
  const queue = new IntakeQueue(deps.clients.sqs, requireEnv(deps.env, RUNTIME_ENV.intakeQueueUrl), requireEnv(deps.env, RUNTIME_ENV.intakeDlqUrl));
  const alerts = deps.alerts ?? new SnsAlertPublisher(deps.clients.sns, requireEnv(deps.env, RUNTIME_ENV.alertTopicArn));
  return async (event, context) => {
    // One processor per invocation: it holds the batch's state, and the local stack runs several
    // invocations of this handler at once in one process (Lambda never does).
    const processor = new BatchProcessor(EventType.SQS);
    const counts = new InvocationMetrics();
    const engine = new RedriveEngine({
      config,
      clock: deps.clock,
      sfn: deps.clients.sfn,
      ledger,
      queue,
      alerts,
      logger,
      metrics: counts,
      home: homeFromContext(context),
      actor: 'worker',
      random: deps.random,
    });
    const recordHandler = async (record: SQSRecord) => {
      try {
        return await engine.handleMessage(record.body, record.messageId);
      } catch (error) {
        counts.count(isThrottling(error) ? 'Throttled' : 'Errors');
        const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
        const lastTry = receiveCount >= config.worker.maxReceiveCount;
        logger.error('Record failed; SQS will deliver it again', { messageId: record.messageId, receiveCount, lastTry, error: error as Error });
        if (lastTry) await alertBeforeDeadLetter(alerts, record, error, deps.clock, logger);
        throw error;
      }
    };
    try {
      return await processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    } finally {
      counts.flush(deps.metrics);
    }
  };
}

/** The message is about to move to the DLQ: say so once, with what failed. */
async function alertBeforeDeadLetter(alerts: AlertSink, record: SQSRecord, error: unknown, clock: Clock, logger: Logger): Promise<void> {
  const executionArn = /"executionArn"\s*:\s*"([^"]{1,256})"/.exec(record.body)?.[1];
  const detail = `Message ${record.messageId} failed on its last delivery and moves to the dead-letter queue: ${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
  try {
    await alerts.publish(buildPipelineErrorAlert(detail, clock.nowMs(), executionArn));
  } catch (alertError) {
    logger.error('Could not publish the pipeline-error alert', { error: alertError as Error });
  }
}

let lambdaHandler: ReturnType<typeof createWorkerHandler> | undefined;

/** The Lambda entry point: real clock, SDK clients from the environment. */
export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  lambdaHandler ??= createWorkerHandler({
    clock: systemClock,
    clients: createClients(),
    env: process.env,
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
  });
  return lambdaHandler(event, context);
};

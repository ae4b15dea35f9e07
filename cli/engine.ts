/** The worker's engine and alert sink, built for the operator's process. */
import { SnsAlertPublisher, type AlertSink } from '../adapters/alert-publisher';
import type { IntakeQueue } from '../adapters/intake-queue';
import type { Ledger } from '../adapters/ledger';
import { RUNTIME_ENV } from '../adapters/runtime-env';
import type { Alert } from '../core/alerts';
import type { AutoRedriveConfig } from '../core/config';
import type { PolicyOverrides } from '../core/decide';
import { RedriveEngine, type EngineLogger } from '../engine/redrive-engine';
import type { AwsContext } from './context';

/** Where alerts go: the stack's topic when known, otherwise counted and reported in the summary. */
export class OperatorAlerts implements AlertSink {
  readonly unsent: Alert[] = [];
  private readonly topic?: SnsAlertPublisher;

  constructor(ctx: AwsContext, topicArn: string | undefined) {
    const arn = topicArn ?? ctx.io.env[RUNTIME_ENV.alertTopicArn];
    if (arn) this.topic = new SnsAlertPublisher(ctx.clients.sns, arn);
  }

  get publishing(): boolean {
    return this.topic !== undefined;
  }

  async publish(alert: Alert): Promise<void> {
    if (this.topic) await this.topic.publish(alert);
    else this.unsent.push(alert);
  }
}

/** Decisions as JSON lines on stderr with --verbose; silent otherwise. */
export function operatorLogger(ctx: AwsContext, verbose: boolean): EngineLogger {
  const write = (level: string) => (message: string, ...extra: Array<Record<string, unknown>>) => {
    if (verbose) ctx.io.stderr(`${JSON.stringify(Object.assign({ level, message }, ...extra))}\n`);
  };
  return { debug: write('DEBUG'), info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

export function operatorEngine(
  ctx: AwsContext,
  deps: { config: AutoRedriveConfig; ledger: Ledger; actor: string; alerts: AlertSink; verbose: boolean; queue?: IntakeQueue; overrides?: PolicyOverrides },
): RedriveEngine {
  return new RedriveEngine({
    config: deps.config,
    clock: ctx.clock,
    sfn: ctx.clients.sfn,
    ledger: deps.ledger,
    alerts: deps.alerts,
    queue: deps.queue,
    logger: operatorLogger(ctx, deps.verbose),
    metrics: { count: () => undefined },
    actor: deps.actor,
    overrides: deps.overrides,
  });
}

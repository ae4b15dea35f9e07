/**
 * The intake queue as the worker uses it: chained delayed rechecks (the backoff timer) and parking of
 * messages nobody can act on in the dead-letter queue.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { RECHECK_KIND, type ApprovalMessage, type RecheckMessage, type RerunWatchMessage, type StatusChangeEvent } from '../core/messages';

/** SQS message timers go up to 15 minutes; longer backoffs are chained. */
export const MAX_SQS_DELAY_SECONDS = 900;

export class IntakeQueue {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    readonly deadLetterQueueUrl: string,
  ) {}

  /** Sends a recheck that arrives at `dueAtMs`, or after 15 minutes if that is sooner (it is then re-sent). */
  async sendRecheck(executionArn: string, generation: number, dueAtMs: number, nowMs: number): Promise<void> {
    const message: RecheckMessage = { kind: RECHECK_KIND, executionArn, generation, dueAtMs };
    await this.sendDue(message, nowMs);
  }

  /** Sends the next look at an approved redrive's rerun, due at `message.dueAtMs` (chained like a recheck). */
  async sendRerunWatch(message: RerunWatchMessage, nowMs: number): Promise<void> {
    await this.sendDue(message, nowMs);
  }

  private async sendDue(message: { dueAtMs: number }, nowMs: number): Promise<void> {
    const delaySeconds = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil((message.dueAtMs - nowMs) / 1000)));
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds }));
  }

  /** Enqueues a status-change event (the sweep's hand-over for an event that never arrived). */
  async sendEvent(event: StatusChangeEvent): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(event) }));
  }

  /** Hands a person's decision to the worker, which carries it out under the same claim as any redrive. */
  async sendApproval(message: ApprovalMessage): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message) }));
  }

  /** Moves a message we cannot act on to the DLQ at once, with the reason, instead of retrying it. */
  async park(body: string, problem: string, sourceMessageId: string): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.deadLetterQueueUrl,
        MessageBody: body,
        MessageAttributes: {
          error: { DataType: 'String', StringValue: problem.slice(0, 1000) },
          sourceMessageId: { DataType: 'String', StringValue: sourceMessageId },
        },
      }),
    );
  }
}

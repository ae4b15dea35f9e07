/**
 * Publishes alerts to the SNS topic: JSON for machines (the Slack notifier's queue) and plain text for
 * email subscribers, in one message via MessageStructure=json.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { alertEmailText, alertSubject, type Alert } from '../core/alerts';

export interface AlertSink {
  publish(alert: Alert): Promise<void>;
}

export class SnsAlertPublisher implements AlertSink {
  constructor(
    private readonly sns: SNSClient,
    readonly topicArn: string,
  ) {}

  async publish(alert: Alert): Promise<void> {
    const json = JSON.stringify(alert);
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: alertSubject(alert),
        MessageStructure: 'json',
        Message: JSON.stringify({ default: json, sqs: json, lambda: json, email: alertEmailText(alert) }),
        MessageAttributes: { kind: { DataType: 'String', StringValue: alert.kind } },
      }),
    );
  }
}

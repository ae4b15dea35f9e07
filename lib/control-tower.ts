/**
 * Acknowledgements for the AWS Control Tower proactive controls (the cfn-guard rules that
 * `@cdklabs/cdk-validator-cfnguard` runs on synth) that AutoRedrive does not meet by design, each on
 * its own resource with its reason. What was worth fixing is fixed in the construct instead: log
 * groups keep a year (CT.CLOUDWATCH.PR.2) and the alert key refuses grants to anything but AWS
 * services (CT.KMS.PR.3). https://docs.aws.amazon.com/controltower/latest/userguide/proactive-controls.html
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { AutoRedrive } from './auto-redrive';

/** The plugin's name prefixes each rule name in an acknowledgement id. */
const GUARD_PLUGIN = 'cdk-validator-cfnguard';

function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${GUARD_PLUGIN}::${rule}`, reason });
}

const AWS_APIS_ONLY =
  'calls only AWS APIs (Step Functions, DynamoDB, SQS, SNS), over TLS and authorized by its role; a VPC would add a NAT gateway or four interface endpoints per account and change nothing it can reach.';

export function acknowledgeControlTowerFindings(autoRedrive: AutoRedrive): void {
  // CT.LAMBDA.PR.3: Lambda functions in a customer-managed VPC.
  acknowledge(autoRedrive.workerFunction, 'lambda_inside_vpc_check', `Outside a VPC: the worker ${AWS_APIS_ONLY}`);
  if (autoRedrive.sweepFunction) {
    acknowledge(autoRedrive.sweepFunction, 'lambda_inside_vpc_check', `Outside a VPC: the sweep ${AWS_APIS_ONLY}`);
  }
  if (autoRedrive.slackNotifierFunction) {
    acknowledge(
      autoRedrive.slackNotifierFunction,
      'lambda_inside_vpc_check',
      'Outside a VPC: the Slack notifier posts to hooks.slack.com on the internet; in a VPC it would need a NAT gateway, which is cost and one more failure point between an alert and on-call.',
    );
  }
  if (autoRedrive.approvalEndpointFunction) {
    acknowledge(
      autoRedrive.approvalEndpointFunction,
      'lambda_inside_vpc_check',
      'Outside a VPC: the approval endpoint is a Function URL that Slack calls from the internet, and it calls only AWS APIs (DynamoDB GetItem, SQS SendMessage, Secrets Manager) over TLS, authorized by its role; a VPC would add interface endpoints and change nothing it can reach.',
    );
    // CT.LAMBDA.PR.4 and the public-access check: Slack cannot sign requests with SigV4, so the URL is
    // public by necessity and protected by Slack's request signature instead (core/slack-interaction.ts).
    const slackSigned =
      'Slack calls this URL from the internet and cannot sign with SigV4, so it takes AuthType NONE; every request must carry Slack\'s v0 HMAC-SHA256 signature made with the signing secret in Secrets Manager, be under 5 minutes old and come from an allow-listed Slack user, or it is refused with a 4xx and changes nothing.';
    acknowledge(autoRedrive.approvalEndpointUrl!, 'lambda_function_url_auth_check', slackSigned);
    for (const permission of ['invoke-function-url', 'invoke-function']) {
      const child = autoRedrive.approvalEndpointFunction.node.tryFindChild(permission);
      if (child) acknowledge(child, 'lambda_function_public_access_prohibited_check', slackSigned);
    }
  }
  // CT.CLOUDWATCH.PR.3: log groups encrypted with a customer managed KMS key.
  for (const logGroup of autoRedrive.logGroups) {
    acknowledge(
      logGroup,
      'cloudwatch_log_group_encrypted_check',
      'CloudWatch Logs encrypts this log group at rest with its own keys. It holds decision logs (execution ARNs, error names and causes) and never the Slack webhook or other secrets, so a customer managed key would add a key policy for the logs service and a monthly key charge, not protection.',
    );
  }
  // CT.SQS.PR.1: every queue has a DLQ, or a RedriveAllowPolicy that makes it one.
  acknowledge(
    autoRedrive.ruleDeadLetterQueue,
    'sqs_dlq_check',
    'This queue is itself the dead-letter queue of the EventBridge targets (DeadLetterConfig), which the rule does not recognise; its RedriveAllowPolicy is denyAll so that no SQS queue redrives into it, and a DLQ of a DLQ would only move the same messages again. Alarmed.',
  );
  // With Slack, the Slack alerts queue redrives into the alert DLQ (byQueue), which the rule accepts.
  if (autoRedrive.alertDeadLetterQueue && !autoRedrive.slackAlertsQueue) {
    acknowledge(
      autoRedrive.alertDeadLetterQueue,
      'sqs_dlq_check',
      'This queue is itself the dead-letter queue of the alert topic\'s SNS subscriptions (their RedrivePolicy), which the rule does not recognise; with email alerts only, no SQS queue redrives into it (RedriveAllowPolicy denyAll). Alarmed.',
    );
  }
}

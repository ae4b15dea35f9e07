/**
 * IAM for one local stack: the authorizer its endpoints share, built from the construct's synthesized
 * role policies and the operator policy, and the check Lambda makes before it maps a queue to a function.
 */
import type { AutoRedriveConfig } from '../../core/config';
import { LOCAL_ACCOUNT, LOCAL_REGION, snsTopicArn, sqsQueueArn } from '../fabric/aws-names';
import { IamAuthorizer } from './authorizer';
import { localPrincipals, operatorPolicy, type LocalCredentials } from './principals';
import { rolePoliciesFor } from './role-policies';
import type { LocalResourceNames, RolePolicies } from './synthesized-policies';

/** The alert topic's KMS key: the local topic is not encrypted, but the operator policy names a key. */
const LOCAL_ALERT_KEY_ARN = `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/sfn-autoredrive-alert-key`;

export interface StackIamOptions {
  config: AutoRedriveConfig;
  names: LocalResourceNames & { slackSecret: string };
  /** The stack deploys the Slack notifier (with its secret under `names.slackSecret`). */
  slack: boolean;
  /** Edits the synthesized policies (a fresh copy) before they are enforced. */
  adjustPolicies?: (policies: RolePolicies) => RolePolicies;
}

/**
 * The policies as `cdk synth` renders them for this stack's config, with the Slack secret the local
 * stack deploys (and an acknowledgement when alerts go nowhere, which synth would refuse otherwise).
 */
export function createStackAuthorizer({ config, names, slack, adjustPolicies }: StackIamOptions): IamAuthorizer {
  const synthConfig: AutoRedriveConfig = {
    ...config,
    alerts: {
      ...config.alerts,
      slackWebhookSecretName: slack ? names.slackSecret : undefined,
      acknowledgeNoDestination: config.alerts.acknowledgeNoDestination ?? (slack ? undefined : 'the local stack runs without Slack'),
    },
  };
  const synthesized = rolePoliciesFor(synthConfig, names);
  const policies = adjustPolicies?.(synthesized) ?? synthesized;
  const operator = operatorPolicy({
    LedgerTableArn: `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${names.ledgerTable}`,
    IntakeQueueArn: sqsQueueArn(names.intakeQueue),
    AlertTopicArn: snsTopicArn(names.alertTopic),
    AlertKeyArn: LOCAL_ALERT_KEY_ARN,
  });
  return IamAuthorizer.load(localPrincipals(policies, operator));
}

/** What Lambda requires of a function's role to create its SQS event source mapping. */
const EVENT_SOURCE_ACTIONS = ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'];

/**
 * The local runners read their queues in process, as the Lambda service does, so no call is evaluated
 * there; but on AWS the deploy fails when the role may not read the queue, and so does the start here.
 */
export async function requireEventSourcePermissions(authorizer: IamAuthorizer, credentials: LocalCredentials, queueArn: string): Promise<void> {
  for (const action of EVENT_SOURCE_ACTIONS) {
    const result = await authorizer.authorizeKey(credentials.accessKeyId, [{ action: `sqs:${action}`, resource: queueArn }]);
    if (!result.allowed) throw new Error(`Invalid request provided: The provided execution role does not have permissions to call ${action} on SQS`);
  }
}

/**
 * Who calls the local endpoints, each with credentials of its own: the four Lambdas as their roles
 * (the synthesized policies), the operator running the CLI (the policy docs/operating.md lists, read
 * from the same file), and the stack's own set-up client, an administrator of the local account.
 */
import operatorPolicyTemplate from '../../docs/operator-policy.json';
import { DUMMY_CREDENTIALS } from '../dynamodb-local';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../fabric/aws-names';
import type { LocalPrincipal } from './authorizer';
import type { LambdaRole, PolicyDocument, RolePolicies } from './synthesized-policies';

export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Function names, as in the ARNs the local Lambdas see. */
export const LAMBDA_FUNCTION_NAMES: Record<LambdaRole, string> = {
  worker: 'sfn-autoredrive-worker',
  sweep: 'sfn-autoredrive-sweep',
  notifier: 'sfn-autoredrive-slack-notifier',
  approval: 'sfn-autoredrive-approval-endpoint',
};

export const LAMBDA_CREDENTIALS: Record<LambdaRole, LocalCredentials> = {
  worker: { accessKeyId: 'LOCALWORKER', secretAccessKey: 'local' },
  sweep: { accessKeyId: 'LOCALSWEEP', secretAccessKey: 'local' },
  notifier: { accessKeyId: 'LOCALNOTIFIER', secretAccessKey: 'local' },
  approval: { accessKeyId: 'LOCALAPPROVAL', secretAccessKey: 'local' },
};

/** What the CLI uses against a local endpoint when given no credentials, and what `serve` exports. */
export const OPERATOR_CREDENTIALS: LocalCredentials = DUMMY_CREDENTIALS;
const OPERATOR_ROLE = 'sfn-autoredrive-operator';

/** Creates state machines and starts executions (tests, the demo's timeline, `serve` users setting up). */
export const ADMIN_CREDENTIALS: LocalCredentials = { accessKeyId: 'LOCALADMIN', secretAccessKey: 'local' };

/** The values docs/operator-policy.json leaves to fill in, for the local stack. */
export interface OperatorPolicyValues {
  LedgerTableArn: string;
  IntakeQueueArn: string;
  AlertTopicArn: string;
  AlertKeyArn: string;
}

export function operatorPolicy(values: OperatorPolicyValues): PolicyDocument {
  const all: Record<string, string> = { Partition: 'aws', Region: LOCAL_REGION, Account: LOCAL_ACCOUNT, ...values };
  const filled = JSON.stringify(operatorPolicyTemplate).replace(/\$\{(\w+)\}/g, (placeholder, name: string) => {
    if (all[name] === undefined) throw new Error(`docs/operator-policy.json: no local value for ${placeholder}`);
    return all[name];
  });
  return JSON.parse(filled) as PolicyDocument;
}

const assumedRole = (role: string, session: string) => `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${role}/${session}`;

/** Access key → principal. A Lambda the construct does not deploy (no sweep, no Slack) has no key. */
export function localPrincipals(rolePolicies: RolePolicies, operator: PolicyDocument): Map<string, LocalPrincipal> {
  const principals = new Map<string, LocalPrincipal>([
    [ADMIN_CREDENTIALS.accessKeyId, { arn: `arn:aws:iam::${LOCAL_ACCOUNT}:root` }],
    [OPERATOR_CREDENTIALS.accessKeyId, { arn: assumedRole(OPERATOR_ROLE, 'local'), policy: operator }],
  ]);
  for (const [role, policy] of Object.entries(rolePolicies) as [LambdaRole, PolicyDocument][]) {
    const functionName = LAMBDA_FUNCTION_NAMES[role];
    principals.set(LAMBDA_CREDENTIALS[role].accessKeyId, { arn: assumedRole(`${functionName}-role`, functionName), policy });
  }
  return principals;
}

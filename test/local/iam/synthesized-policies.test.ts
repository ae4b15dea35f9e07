/**
 * The policies the local stack enforces are the construct's, synthesized with the stack's config:
 * every intrinsic resolved to a local ARN, and a config that narrows the construct's grants narrows them here.
 */
import { parseConfig, type AutoRedriveConfigInput } from '../../../core/config';
import { iamRelevantConfig } from '../../../local/iam/role-policies';
import { resolveIntrinsics, synthesizeRolePolicies, type PolicyStatement } from '../../../local/iam/synthesized-policies';

const NAMES = { ledgerTable: 'ledger', intakeQueue: 'intake', intakeDlq: 'intake-dlq', alertTopic: 'alerts', alertsQueue: 'slack', alertsDlq: 'alerts-dlq', ruleDlq: 'rule-dlq' };
const synthesize = (input: AutoRedriveConfigInput) =>
  synthesizeRolePolicies(parseConfig({ alerts: { slackWebhookSecretName: 'team/slack' }, ...input }), NAMES);
const grantOf = (statements: PolicyStatement[], action: string) => statements.filter((s) => ([] as string[]).concat(s.Action).includes(action)).flatMap((s) => ([] as string[]).concat(s.Resource));

describe('synthesized role policies', () => {
  it('are the three roles\' policies with every resource a local ARN', () => {
    const policies = synthesize({ watch: { stateMachineNamePrefixes: ['orders-'] } });
    expect(Object.keys(policies).sort()).toEqual(['notifier', 'sweep', 'worker']);
    const worker = policies.worker!.Statement;
    expect(grantOf(worker, 'states:RedriveExecution')).toEqual(['arn:aws:states:us-east-1:123456789012:execution:orders-*:*']);
    expect(grantOf(worker, 'dynamodb:UpdateItem')).toEqual(['arn:aws:dynamodb:us-east-1:123456789012:table/ledger']);
    expect(grantOf(worker, 'sqs:SendMessage').sort()).toEqual(['arn:aws:sqs:us-east-1:123456789012:intake', 'arn:aws:sqs:us-east-1:123456789012:intake-dlq']);
    expect(grantOf(policies.sweep!.Statement, 'dynamodb:Query')).toEqual(['arn:aws:dynamodb:us-east-1:123456789012:table/ledger/index/byWindowClose']);
    expect(grantOf(policies.notifier!.Statement, 'secretsmanager:GetSecretValue')).toEqual(['arn:aws:secretsmanager:us-east-1:123456789012:secret:team/slack-??????']);
    for (const policy of Object.values(policies)) {
      for (const resource of policy!.Statement.flatMap((s) => ([] as unknown[]).concat(s.Resource))) {
        expect(resource).toMatch(/^(\*|arn:aws:[a-z-]+:us-east-1:123456789012:.+)$/);
      }
    }
  });

  it('follow the config: exact ARNs instead of prefixes, no sweep, no Slack', () => {
    const arn = 'arn:aws:states:us-east-1:123456789012:stateMachine:billing';
    const policies = synthesize({ watch: { stateMachineArns: [arn] }, sweep: { enabled: false }, alerts: { acknowledgeNoDestination: 'alerts are read elsewhere' } });
    expect(Object.keys(policies)).toEqual(['worker']);
    expect(grantOf(policies.worker!.Statement, 'states:RedriveExecution')).toEqual(['arn:aws:states:us-east-1:123456789012:execution:billing:*']);
  });

  it('depend on no config field but those iamRelevantConfig keeps, so the cache may key on those', () => {
    const everyOtherFieldChanged = parseConfig({
      watch: { stateMachineNamePrefixes: ['orders-'] },
      alerts: { slackWebhookSecretName: 'team/slack', notifyOnNonRetryableSkip: true, slackDigestThreshold: 9 },
      statuses: ['FAILED', 'TIMED_OUT', 'ABORTED'],
      errorPolicy: { neverRetry: ['X'], onlyRetry: ['Y'] },
      maxAttempts: 7,
      backoff: { initialDelaySeconds: 5, multiplier: 2, maxDelaySeconds: 50, jitter: 'none' },
      windowSafetyMarginSeconds: 60,
      historyHeadroomEvents: 100,
      dryRun: true,
      worker: { maxConcurrency: 9, batchSize: 3, timeoutSeconds: 120, memoryMb: 512, maxReceiveCount: 2 },
      sweep: { rateMinutes: 5, windowClosingHours: 48, lookbackHours: 24, longestRunHours: 2, backfill: true },
      ledger: { retentionDays: 90 },
      logLevel: 'DEBUG',
    });
    expect(synthesizeRolePolicies(everyOtherFieldChanged, NAMES)).toEqual(synthesizeRolePolicies(iamRelevantConfig(everyOtherFieldChanged), NAMES));
  });

  it('refuse an intrinsic or a resource they cannot resolve, rather than guess', () => {
    const values = new Map([['Table', { arn: 'arn:aws:dynamodb:us-east-1:123456789012:table/t', ref: 't' }]]);
    expect(resolveIntrinsics({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Table', 'Arn'] }, '/index/*']] }, values)).toBe('arn:aws:dynamodb:us-east-1:123456789012:table/t/index/*');
    expect(() => resolveIntrinsics({ 'Fn::Sub': 'arn:${AWS::Partition}:x' }, values)).toThrow('cannot resolve Fn::Sub');
    expect(() => resolveIntrinsics({ Ref: 'Unknown' }, values)).toThrow('no stand-in for Unknown');
  });
});

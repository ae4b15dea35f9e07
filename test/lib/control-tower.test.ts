import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Stack, Validations, type App } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AutoRedrive } from '../../lib/auto-redrive';
import type { AutoRedriveProps } from '../../lib/auto-redrive-props';
import { addPolicyChecks } from '../../lib/app';
import { arnOf, cleanUpApps, testApp, withAlertsAcknowledged } from './synth';

afterAll(cleanUpApps);

interface ReportedViolation {
  ruleName: string;
  violatingConstructs: { constructPath: string }[];
}
interface PluginReport {
  pluginName: string;
  violations: ReportedViolation[];
  suppressedViolations?: (ReportedViolation & { acknowledgedId: string; reason?: string })[];
}

/** Synthesizes with the Control Tower guard rules as the only plugin; returns its report (empty: no findings at all). */
function guardReport(app: App): PluginReport | undefined {
  Validations.of(app).addPlugins(new CfnGuardValidator());
  let directory: string;
  try {
    directory = app.synth().directory;
  } catch {
    directory = app.outdir;
  }
  const report = JSON.parse(readFileSync(join(directory, 'validation-report.json'), 'utf8')) as { pluginReports: PluginReport[] };
  return report.pluginReports.find((r) => r.pluginName === 'cdk-validator-cfnguard');
}

const findingsOf = (report: PluginReport | undefined) =>
  (report?.violations ?? []).flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} @ ${c.constructPath}`)).sort();

function appWith(props: AutoRedriveProps): { app: App; stack: Stack } {
  const app = testApp();
  const stack = new Stack(app, 'Guard');
  new AutoRedrive(stack, 'AutoRedrive', withAlertsAcknowledged(props));
  return { app, stack };
}

describe('AWS Control Tower proactive controls (cfn-guard)', () => {
  it.each<[string, AutoRedriveProps]>([
    ['name prefix, defaults', { watch: { stateMachineNamePrefixes: ['orders-'] } }],
    [
      'ARNs and prefixes, email and Slack alerts',
      {
        watch: { stateMachineArns: [arnOf('billing')], stateMachineNamePrefixes: ['orders-'] },
        alerts: { emails: ['ops@example.com'], slackWebhookSecretName: 'team/slack' },
      },
    ],
    ['email alerts only', { watch: { stateMachineNamePrefixes: ['orders-'] }, alerts: { emails: ['ops@example.com'] } }],
    [
      'approve rules with the Slack approval endpoint',
      {
        watch: { stateMachineNamePrefixes: ['orders-'] },
        errorPolicy: { rules: [{ match: ['CardDeclined'], action: 'approve' }] },
        alerts: { slackWebhookSecretName: 'team/slack' },
        approvals: { slackSigningSecretName: 'team/slack-signing', allowedSlackUserIds: ['U024BE7LH'] },
      },
    ],
    ['no sweep', { watch: { all: true, allReason: 'platform account, every machine is ours' }, sweep: { enabled: false } }],
  ])('report zero unacknowledged findings for %s', (_name, props) => {
    expect(findingsOf(guardReport(appWith(props).app))).toEqual([]);
  });

  it('acknowledge exactly the by-design findings, each on its own resource with a reason naming it', () => {
    const { app } = appWith({ watch: { stateMachineNamePrefixes: ['orders-'] }, alerts: { emails: ['ops@example.com'], slackWebhookSecretName: 'team/slack' } });
    const suppressed = guardReport(app)?.suppressedViolations ?? [];
    const acknowledged = suppressed.flatMap((v) => v.violatingConstructs.map((c) => `${v.acknowledgedId} @ ${c.constructPath}`)).sort();
    expect(acknowledged).toEqual([
      'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check @ Guard/AutoRedrive/SlackNotifierLogs/Resource',
      'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check @ Guard/AutoRedrive/SweepLogs/Resource',
      'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check @ Guard/AutoRedrive/WorkerLogs/Resource',
      'cdk-validator-cfnguard::lambda_inside_vpc_check @ Guard/AutoRedrive/SlackNotifier/Resource',
      'cdk-validator-cfnguard::lambda_inside_vpc_check @ Guard/AutoRedrive/Sweep/Resource',
      'cdk-validator-cfnguard::lambda_inside_vpc_check @ Guard/AutoRedrive/Worker/Resource',
      'cdk-validator-cfnguard::sqs_dlq_check @ Guard/AutoRedrive/RuleDeadLetterQueue/Resource',
    ]);
    const reasonFor = (id: string, path: string) =>
      suppressed.find((v) => v.acknowledgedId === `cdk-validator-cfnguard::${id}` && v.violatingConstructs.some((c) => c.constructPath === path))?.reason;
    expect(reasonFor('lambda_inside_vpc_check', 'Guard/AutoRedrive/SlackNotifier/Resource')).toMatch(/hooks\.slack\.com/);
    expect(reasonFor('lambda_inside_vpc_check', 'Guard/AutoRedrive/Worker/Resource')).toMatch(/^Outside a VPC: the worker/);
    expect(reasonFor('lambda_inside_vpc_check', 'Guard/AutoRedrive/Sweep/Resource')).toMatch(/^Outside a VPC: the sweep/);
    expect(reasonFor('sqs_dlq_check', 'Guard/AutoRedrive/RuleDeadLetterQueue/Resource')).toMatch(/dead-letter queue of the EventBridge targets/);
  });

  it('still report resources the acknowledgements do not cover', () => {
    const { app, stack } = appWith({ watch: { stateMachineNamePrefixes: ['orders-'] } });
    new sqs.Queue(stack, 'Plain');
    new logs.LogGroup(stack, 'ShortLogs', { retention: logs.RetentionDays.ONE_WEEK });
    new lambda.Function(stack, 'Other', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => 1;'),
      timeout: Duration.seconds(3),
    });
    expect(findingsOf(guardReport(app))).toEqual(
      expect.arrayContaining([
        'sqs_dlq_check @ Guard/Plain/Resource',
        'cloudwatch_log_group_retention_period_check @ Guard/ShortLogs/Resource',
        'lambda_inside_vpc_check @ Guard/Other/Resource',
      ]),
    );
  });

  it('are fixed where worth it: the alert key refuses grants to anything but AWS services', () => {
    const { stack } = appWith({ watch: { stateMachineNamePrefixes: ['orders-'] } });
    const [key] = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'));
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    });
  });

  it('run with cdk-nag on every `cdk synth` of the app', () => {
    const app = testApp();
    addPolicyChecks(app);
    const { stack } = { stack: new Stack(app, 'Unchecked') };
    new sqs.Queue(stack, 'Plain');
    expect(() => app.synth()).toThrow(/CT\.SQS\.PR\.1.*\n.*Unchecked\/Plain/);
  });
});

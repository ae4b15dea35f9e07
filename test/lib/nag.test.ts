import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations, type App } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { AutoRedrive } from '../../lib/auto-redrive';
import type { AutoRedriveProps } from '../../lib/auto-redrive-props';
import { addPolicyChecks } from '../../lib/app';
import type { IConstruct } from 'constructs';
import { arnOf, cleanUpApps, testApp, withAlertsAcknowledged } from './synth';

afterAll(cleanUpApps);

/** Every unacknowledged finding of both packs, as `ruleName @ construct path`. */
function findings(app: App): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`)),
  );
}

function appWith(props: AutoRedriveProps): { app: App; stack: Stack; construct: AutoRedrive } {
  const app = testApp();
  const stack = new Stack(app, 'Nag');
  return { app, stack, construct: new AutoRedrive(stack, 'AutoRedrive', withAlertsAcknowledged(props)) };
}

describe('cdk-nag AwsSolutions and Serverless packs', () => {
  it.each<[string, AutoRedriveProps]>([
    ['name prefix, defaults', { watch: { stateMachineNamePrefixes: ['orders-'] } }],
    [
      'ARNs and prefixes, email and Slack alerts',
      {
        watch: { stateMachineArns: [arnOf('billing'), arnOf('etl')], stateMachineNamePrefixes: ['orders-'] },
        alerts: { emails: ['ops@example.com'], slackWebhookSecretName: 'team/slack' },
      },
    ],
    [
      'restart rules on prefixes and an ARN',
      {
        watch: { stateMachineArns: [arnOf('billing')], stateMachineNamePrefixes: ['orders-'] },
        errorPolicy: { rules: [{ match: ['SchemaMismatch'], action: 'restart', target: 'latest' }, { match: ['Bug*'], action: 'restart', target: { alias: 'prod' } }] },
      },
    ],
    ['watch.all with a reason, no sweep', { watch: { all: true, allReason: 'platform account, every machine is ours' }, sweep: { enabled: false } }],
    ['watch.all with a reason and the sweep', { watch: { all: true, allReason: 'platform account, every machine is ours' } }],
    [
      'approve rules with the Slack approval endpoint',
      {
        watch: { stateMachineNamePrefixes: ['orders-'] },
        errorPolicy: { rules: [{ match: ['CardDeclined'], action: 'approve' }] },
        alerts: { slackWebhookSecretName: 'team/slack' },
        approvals: { slackSigningSecretName: 'team/slack-signing', allowedSlackUserIds: ['U024BE7LH'] },
      },
    ],
  ])('report zero unacknowledged findings for %s', (_name, props) => {
    expect(findings(appWith(props).app)).toEqual([]);
  });

  it('still report what the acknowledgements do not cover', () => {
    const { app, stack, construct } = appWith({ watch: { stateMachineNamePrefixes: ['orders-'] } });
    new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    construct.workerFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StopExecution'], resources: ['arn:aws:states:*:*:execution:*:*'] }));
    const found = findings(app);
    expect(found).toEqual(
      expect.arrayContaining([
        'AwsSolutions-SQS4 @ Nag/Plain/Resource',
        'AwsSolutions-SQS3 @ Nag/Plain/Resource',
        'AwsSolutions-IAM5[Resource::arn:aws:states:*:*:execution:*:*] @ Nag/AutoRedrive/WorkerRole/DefaultPolicy/Resource',
      ]),
    );
  });

  it('run as CDK validation plugins on synth, with an empty report', () => {
    const { app } = appWith({ watch: { stateMachineNamePrefixes: ['orders-'] }, alerts: { emails: ['ops@example.com'] } });
    addPolicyChecks(app);
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.title).toBe('Validation Report');
    // Reports with acknowledged findings only are listed, as successes with no violations.
    const pluginReports = report.pluginReports as { pluginName: string; conclusion: string; violations: unknown[] }[];
    expect(pluginReports.map((r) => [r.pluginName, r.conclusion, r.violations])).toEqual(
      pluginReports.map((r) => [r.pluginName, 'success', []]),
    );
  });

  it('fail synth through the plugins when a finding is not acknowledged', () => {
    const { app, stack } = appWith({ watch: { stateMachineNamePrefixes: ['orders-'] } });
    new sqs.Queue(stack, 'Plain', { enforceSSL: false });
    addPolicyChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});

describe('acknowledgements', () => {
  it('carry the operator\'s allReason on the wildcard execution grant', () => {
    const allReason = 'platform account, every machine is ours';
    const { construct } = appWith({ watch: { all: true, allReason } });
    const acknowledged = Object.assign(
      {},
      ...construct.workerFunction.role!.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .map((entry) => entry.data as Record<string, string>),
    );
    const wildcard = Object.entries(acknowledged).find(([id]) =>
      id.endsWith('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:*:*]'),
    );
    expect(wildcard?.[1]).toContain(allReason);
  });

  it('each describe the resource they are on', () => {
    const { construct } = appWith({
      watch: { stateMachineNamePrefixes: ['orders-'] },
      alerts: { emails: ['ops@example.com'], slackWebhookSecretName: 'team/slack' },
    });
    const reasonsOn = (scope: IConstruct) =>
      Object.entries(
        Object.assign(
          {},
          ...scope.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((entry) => entry.data as Record<string, string>),
        ) as Record<string, string>,
      );
    const wildcard = (scope: IConstruct) => reasonsOn(scope).filter(([id]) => id.includes('IAM5[Resource::arn'));
    // The worker's wildcards are on executions and on Map Runs; the sweep's on state machines, which it lists.
    expect(wildcard(construct.workerFunction.role!).map(([id, reason]) => [id.includes(':execution:'), reason.includes('every execution'), id.includes(':mapRun:'), reason.includes('every Map Run')])).toEqual([
      [true, true, false, false],
      [false, false, true, true],
    ]);
    expect(wildcard(construct.sweepFunction!.role!).map(([id, reason]) => [id.includes(':stateMachine:'), reason.includes('ListExecutions'), reason.includes('every execution')])).toEqual([[true, true, false]]);
    // Each Lambda's DLQ acknowledgement names the way it is invoked; each DLQ's names what feeds it.
    const dlqReason = (scope: IConstruct) => reasonsOn(scope).find(([id]) => id.endsWith('Serverless-LambdaDLQ'))![1];
    expect(dlqReason(construct.workerFunction)).toContain('intake queue');
    expect(dlqReason(construct.slackNotifierFunction!)).toContain('Slack alerts queue');
    expect(dlqReason(construct.sweepFunction!)).toContain('schedule');
    const redriveReason = (scope: IConstruct) => reasonsOn(scope).find(([id]) => id.endsWith('Serverless-SQSRedrivePolicy'))![1];
    expect(redriveReason(construct.intakeDeadLetterQueue)).toContain('of the intake queue');
    expect(redriveReason(construct.ruleDeadLetterQueue)).toContain('EventBridge targets');
    expect(redriveReason(construct.alertDeadLetterQueue!)).toContain('alert topic');
  });
});


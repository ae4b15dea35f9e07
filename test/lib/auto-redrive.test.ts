import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigError, configFromEnv, CONFIG_ENV_VAR, parseConfig } from '../../core/config';
import { buildEventPattern } from '../../core/event-pattern';
import type { AutoRedriveProps } from '../../lib/auto-redrive-props';
import { AutoRedrive, RULE_TARGET_MAX_EVENT_AGE, RULE_TARGET_RETRY_ATTEMPTS } from '../../lib/auto-redrive';
import { notifierWorstCaseSeconds } from '../../adapters/slack';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IConstruct } from 'constructs';
import { ACCOUNT, arnOf, cleanUpApps, policyStatements, REGION, synth, testApp, withAlertsAcknowledged, type Synthesized } from './synth';

afterAll(cleanUpApps);

const PREFIX_ONLY = { watch: { stateMachineNamePrefixes: ['orders-'] } };
const stackEnv = { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID };
const resolve = (stack: Stack, value: unknown) => JSON.parse(JSON.stringify(stack.resolve(value)));

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The synthesized Properties of one construct's CloudFormation resource. */
function propertiesOf({ stack, template }: Synthesized, construct: IConstruct): Record<string, any> {
  return template.toJSON().Resources[logicalId(stack, construct)].Properties;
}

describe('EventBridge rule', () => {
  it.each<[string, AutoRedriveProps]>([
    ['exact ARNs and prefixes', { watch: { stateMachineArns: [arnOf('billing')], stateMachineNamePrefixes: ['orders-', 'etl_'] } }],
    ['watch.all with ABORTED opted in', { watch: { all: true, allReason: 'platform team owns every machine here' }, statuses: ['FAILED', 'ABORTED'] }],
  ])('uses exactly buildEventPattern for %s', (_name, props) => {
    const synthesized = synth(props);
    const expected = resolve(synthesized.stack, buildEventPattern(parseConfig(props), stackEnv));
    expect(propertiesOf(synthesized, synthesized.construct.rule).EventPattern).toEqual(expected);
  });

  it('filters on the watched statuses, and on ARNs unless watch.all', () => {
    const arns = synth({ watch: { stateMachineArns: [arnOf('billing')] }, statuses: ['FAILED', 'TIMED_OUT', 'ABORTED'] });
    const pattern = propertiesOf(arns, arns.construct.rule).EventPattern;
    expect(pattern.detail.status).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
    expect(pattern.detail.stateMachineArn).toEqual([arnOf('billing')]);

    const all = synth({ watch: { all: true, allReason: 'platform team owns every machine here' } });
    expect(propertiesOf(all, all.construct.rule).EventPattern.detail).toEqual({ status: ['FAILED', 'TIMED_OUT'] });
  });

  it('listens on the default bus unless eventBusName is set', () => {
    const standard = synth(PREFIX_ONLY);
    expect(propertiesOf(standard, standard.construct.rule).EventBusName).toBeUndefined();
    const custom = synth({ ...PREFIX_ONLY, eventBusName: 'forwarded' });
    expect(propertiesOf(custom, custom.construct.rule).EventBusName).toBe('forwarded');
  });

  it('targets the intake queue with a DLQ and an explicit retry policy', () => {
    const synthesized = synth(PREFIX_ONLY);
    const { stack, construct } = synthesized;
    const [target] = propertiesOf(synthesized, construct.rule).Targets;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack, construct.intakeQueue), 'Arn'] });
    expect(target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack, construct.ruleDeadLetterQueue), 'Arn'] });
    expect(target.RetryPolicy).toEqual({
      MaximumEventAgeInSeconds: RULE_TARGET_MAX_EVENT_AGE.toSeconds(),
      MaximumRetryAttempts: RULE_TARGET_RETRY_ATTEMPTS,
    });
    expect(RULE_TARGET_MAX_EVENT_AGE.toSeconds()).toBe(86_400);
    expect(RULE_TARGET_RETRY_ATTEMPTS).toBe(185);
  });
});

describe('queues', () => {
  it('intake queue: redrive to its DLQ after maxReceiveCount, visibility six times the worker timeout', () => {
    const { stack, construct, template } = synth({ ...PREFIX_ONLY, worker: { maxReceiveCount: 7, timeoutSeconds: 120 } });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 720,
      RedrivePolicy: {
        maxReceiveCount: 7,
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, construct.intakeDeadLetterQueue), 'Arn'] },
      },
    });
  });

  it('every queue is SSE-encrypted and denies non-TLS access; every queue has a DLQ or is one', () => {
    const { stack, construct, template } = synth({
      ...PREFIX_ONLY,
      alerts: { emails: ['ops@example.com'], slackWebhookSecretName: 'slack/webhook' },
    });
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(5);
    const deadLetterQueueIds = [construct.intakeDeadLetterQueue, construct.ruleDeadLetterQueue, construct.alertDeadLetterQueue!].map(
      (q) => logicalId(stack, q),
    );
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      if (!deadLetterQueueIds.includes(id)) expect(queue.Properties.RedrivePolicy).toBeDefined();
    }
    const tlsDenied = Object.values(template.findResources('AWS::SQS::QueuePolicy')).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.filter(
        (s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      ).map((s: any) => s.Resource),
    );
    for (const id of Object.keys(queues)) expect(tlsDenied).toContainEqual({ 'Fn::GetAtt': [id, 'Arn'] });
  });
});

describe('dead-letter queues', () => {
  const queueArn = (stack: Stack, name: string) => resolve(stack, `arn:${Aws.PARTITION}:sqs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${name}`);

  it('allow redrive only from their own source queue, or from none', () => {
    const synthesized = synth({ ...PREFIX_ONLY, alerts: { emails: ['ops@example.com'], slackWebhookSecretName: 'slack/webhook' } });
    const { stack, construct } = synthesized;
    const props = (queue: IConstruct) => propertiesOf(synthesized, queue);
    for (const [dlq, source] of [
      [construct.intakeDeadLetterQueue, construct.intakeQueue],
      [construct.alertDeadLetterQueue!, construct.slackAlertsQueue!],
    ] as const) {
      // The source queue's redrive policy names this DLQ, and this DLQ's allow policy names the source queue.
      expect(props(source).RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [logicalId(stack, dlq), 'Arn'] });
      expect(props(dlq).RedriveAllowPolicy).toEqual({ redrivePermission: 'byQueue', sourceQueueArns: [queueArn(stack, props(source).QueueName)] });
    }
    // EventBridge targets write to the rule DLQ; no queue redrives into it.
    expect(props(construct.ruleDeadLetterQueue).RedriveAllowPolicy).toEqual({ redrivePermission: 'denyAll' });
    expect(new Set([props(construct.intakeQueue).QueueName, props(construct.slackAlertsQueue!).QueueName]).size).toBe(2);
  });

  it('the alert DLQ allows none when only email subscriptions use it', () => {
    const synthesized = synth({ ...PREFIX_ONLY, alerts: { emails: ['ops@example.com'] } });
    expect(propertiesOf(synthesized, synthesized.construct.alertDeadLetterQueue!).RedriveAllowPolicy).toEqual({ redrivePermission: 'denyAll' });
  });

  it('source queue names fit SQS (80 characters) and differ between two constructs in one stack', () => {
    const app = testApp();
    const stack = new Stack(app, 'A'.repeat(120));
    const one = new AutoRedrive(stack, 'One', PREFIX_ONLY);
    const two = new AutoRedrive(stack, 'Two', PREFIX_ONLY);
    const names = [one, two].map((c) => stack.resolve((c.intakeQueue.node.defaultChild as CfnElement & { queueName: string }).queueName) as string);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(names[0]).not.toBe(names[1]);
  });
});

describe('worker Lambda', () => {
  const props = { ...PREFIX_ONLY, worker: { maxConcurrency: 7, batchSize: 4, timeoutSeconds: 90, memoryMb: 512 } };

  it('reads the intake queue with the configured concurrency, batch size and partial batch responses', () => {
    const { stack, construct, template } = synth(props);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack, construct.workerFunction) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, construct.intakeQueue), 'Arn'] },
      BatchSize: 4,
      ScalingConfig: { MaximumConcurrency: 7 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('runs on Node.js 24 on ARM with X-Ray, the configured memory and timeout, and its own log group', () => {
    const synthesized = synth(props);
    const { template } = synthesized;
    expect(propertiesOf(synthesized, synthesized.construct.workerFunction)).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 512,
      Timeout: 90,
      LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/^AutoRedriveWorkerLogs/) } },
    });
    // Control Tower's CT.CLOUDWATCH.PR.2 asks for at least 365 days.
    expect(Object.values(template.findResources('AWS::Logs::LogGroup')).map((g) => g.Properties.RetentionInDays)).toEqual([365, 365]);
    // No AWS managed policy: logging rights come from an inline grant on the function's own log group.
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('gets the resolved config and resource names through its environment', () => {
    const synthesized = synth(props);
    const { stack, construct } = synthesized;
    const env = propertiesOf(synthesized, construct.workerFunction).Environment.Variables;
    expect(Object.keys(env).sort()).toEqual(
      [
        CONFIG_ENV_VAR,
        'NODE_OPTIONS',
        'ALERT_TOPIC_ARN',
        'INTAKE_DLQ_URL',
        'INTAKE_QUEUE_URL',
        'LEDGER_TABLE_NAME',
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
      ].sort(),
    );
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('SfnAutoRedrive');
    expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(env.LEDGER_TABLE_NAME).toEqual({ Ref: logicalId(stack, construct.ledgerTable) });
    const runtimeConfig = configFromEnv({ [CONFIG_ENV_VAR]: env[CONFIG_ENV_VAR] });
    expect(runtimeConfig.watch).toEqual(construct.config.watch);
    expect(runtimeConfig.worker).toEqual(construct.config.worker);
    expect(env[CONFIG_ENV_VAR]).not.toContain('stackName');
  });

  it('refuses a config too large for the Lambda environment, naming the field', () => {
    const arns = Array.from({ length: 60 }, (_, i) => arnOf(`a-rather-long-state-machine-name-number-${i}`));
    expect(() => synth({ watch: { stateMachineArns: arns } })).toThrow(/watch: the resolved config is \d+ bytes/);
  });
});

describe('IAM', () => {
  const statesStatements = (template: Template) =>
    policyStatements(template).filter((s) => s.Action.some((a) => a.startsWith('states:')));
  const flat = (stack: Stack, value: unknown) => JSON.stringify(stack.resolve(value));

  it('scopes Step Functions actions to the watched ARNs and prefixes, never to "*"', () => {
    const { stack, template } = synth({ watch: { stateMachineArns: [arnOf('billing')], stateMachineNamePrefixes: ['orders-'] } });
    const statements = statesStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    // Only the sweep's ListStateMachines (which cannot be scoped) may name "*"; nothing touching executions does.
    for (const s of statements.filter((st) => !st.Action.includes('states:ListStateMachines'))) expect(s.Resource).not.toContain('*');
    // (@aws-cdk/aws-iam:minimizePolicies merges statements on one resource: X-Ray's `*` joins it.)
    for (const s of statements.filter((st) => st.Action.includes('states:ListStateMachines'))) {
      expect(s.Action.filter((a) => a.startsWith('states:'))).toEqual(['states:ListStateMachines']);
    }

    const redrive = statements.find((s) => s.Action.includes('states:RedriveExecution'))!;
    expect(redrive.Action.sort()).toEqual(['states:DescribeExecution', 'states:GetExecutionHistory', 'states:ListMapRuns', 'states:RedriveExecution']);
    expect(redrive.Resource).toEqual([
      `arn:aws:states:${'eu-west-1'}:111122223333:execution:billing:*`,
      resolve(stack, `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:orders-*:*`),
    ]);
    // The sweep lists the watched state machines' executions; the worker only a Map Run's children.
    const lists = statements.filter((s) => s.Action.includes('states:ListExecutions'));
    expect(lists.map((s) => [s.Action.filter((a) => a.startsWith('states:')).sort(), s.Resource])).toEqual(expect.arrayContaining([
      [['states:ListExecutions'], [arnOf('billing'), resolve(stack, `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:orders-*`)]],
      [['states:DescribeMapRun', 'states:ListExecutions'], [
        `arn:aws:states:${'eu-west-1'}:111122223333:mapRun:billing/*`,
        resolve(stack, `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:mapRun:orders-*/*`),
      ]],
    ]));
    expect(lists).toHaveLength(2);
    expect(flat(stack, statements)).not.toContain('execution:*');
  });

  it('lets the worker start executions only on restart rules\' targets, and not at all without such a rule', () => {
    const withoutRestart = synth({ watch: { stateMachineNamePrefixes: ['orders-'] } });
    expect(statesStatements(withoutRestart.template).flatMap((s) => s.Action)).not.toContain('states:StartExecution');
    const { stack, template } = synth({
      watch: { stateMachineArns: [arnOf('billing')], stateMachineNamePrefixes: ['orders-'] },
      errorPolicy: {
        rules: [{ match: ['SchemaMismatch'], action: 'restart', target: { alias: 'prod' } }],
        stateMachines: [{ stateMachineArn: arnOf('billing'), rules: [{ match: ['Bug*'], action: 'restart', target: { version: 7 } }] }],
      },
    });
    const start = statesStatements(template).filter((s) => s.Action.includes('states:StartExecution'));
    expect(start.map((s) => s.Action)).toEqual([['states:StartExecution']]);
    expect(start[0].Resource).toHaveLength(3);
    expect(start[0].Resource).toEqual(
      expect.arrayContaining([
        `${arnOf('billing')}:prod`,
        resolve(stack, `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:orders-*:prod`),
        `${arnOf('billing')}:7`,
      ]),
    );
  });

  it('uses the execution wildcard only with watch.all', () => {
    const { stack, template } = synth({ watch: { all: true, allReason: 'platform team owns every machine here' } });
    const redrive = statesStatements(template).find((s) => s.Action.includes('states:RedriveExecution'))!;
    expect(redrive.Resource).toEqual([resolve(stack, `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:*:*`)]);
  });

  it('grants the worker only ledger item access, intake and DLQ sends, and publishing alerts', () => {
    const { stack, construct, template } = synth(PREFIX_ONLY);
    const workerPolicy = logicalId(stack, construct.workerFunction.role!.node.findChild('DefaultPolicy'));
    const actions = policyStatements(template)
      .filter((s) => s.policy === workerPolicy)
      .flatMap((s) => s.Action);
    expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(
      ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    );
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    const send = policyStatements(template).find((s) => s.policy === workerPolicy && s.Action.includes('sqs:SendMessage'))!;
    expect(send.Resource).toHaveLength(2);
    expect(send.Resource).toEqual(
      expect.arrayContaining([
        { 'Fn::GetAtt': [logicalId(stack, construct.intakeQueue), 'Arn'] },
        { 'Fn::GetAtt': [logicalId(stack, construct.intakeDeadLetterQueue), 'Arn'] },
      ]),
    );
    const kms = policyStatements(template).find((s) => s.policy === workerPolicy && s.Action.includes('kms:Decrypt'))!;
    expect(kms.Resource).toEqual([{ 'Fn::GetAtt': [logicalId(stack, construct.alertKey), 'Arn'] }]);
  });
});

describe('ledger table', () => {
  it('is built from core/ledger-table.ts with PITR, TTL and encryption, and retained by default', () => {
    const { template } = synth(PREFIX_ONLY);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'executionArn', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAtEpochSeconds', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byStateMachine',
            KeySchema: [
              { AttributeName: 'stateMachineArn', KeyType: 'HASH' },
              { AttributeName: 'updatedAtMs', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'byWindowClose',
            KeySchema: [
              { AttributeName: 'stateMachineArn', KeyType: 'HASH' },
              { AttributeName: 'unredrivenWindowClosesAtMs', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      },
    });
  });

  it('lets the sweep query only the window-close index, and no Lambda scan or query the table itself', () => {
    const { template } = synth(PREFIX_ONLY);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
    const queries = statements.filter((s) => [s.Action].flat().some((a) => a === 'dynamodb:Query' || a === 'dynamodb:Scan'));
    expect(queries).toHaveLength(1);
    expect(queries[0].Action).toBe('dynamodb:Query');
    expect(JSON.stringify(queries[0].Resource)).toContain('/index/byWindowClose');
  });

  it('honours ledgerRemovalPolicy', () => {
    const { template } = synth({ ...PREFIX_ONLY, ledgerRemovalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });
});

describe('alerts', () => {
  it('encrypts the topic with a rotated customer-managed key that CloudWatch may use, and enforces TLS', () => {
    const { stack, construct, template } = synth(PREFIX_ONLY);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, construct.alertKey), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
  });

  it('subscribes each email with a redrive policy to the alert DLQ', () => {
    const { stack, construct, template } = synth({ ...PREFIX_ONLY, alerts: { emails: ['a@example.com', 'b@example.com'] } });
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).map((s) => s.Properties);
    expect(subscriptions.map((s) => [s.Protocol, s.Endpoint])).toEqual([
      ['email', 'a@example.com'],
      ['email', 'b@example.com'],
    ]);
    const dlqArn = { 'Fn::GetAtt': [logicalId(stack, construct.alertDeadLetterQueue!), 'Arn'] };
    for (const s of subscriptions) expect(s.RedrivePolicy).toEqual({ deadLetterTargetArn: dlqArn });
    expect(construct.slackNotifierFunction).toBeUndefined();
  });

  it('has no Slack notifier, alert DLQ or subscription unless configured', () => {
    const { construct, template } = synth(PREFIX_ONLY);
    expect(construct.slackNotifierFunction).toBeUndefined();
    expect(construct.alertDeadLetterQueue).toBeUndefined();
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(JSON.stringify(template.toJSON())).not.toContain('secretsmanager');
  });

  it('fails synth when the alert topic has no subscriber and no acknowledgement', () => {
    expect(() => synth({ ...PREFIX_ONLY, alerts: {} })).toThrow(/alerts: no alert destination: .* say so in alerts\.acknowledgeNoDestination/);
    // Emails, Slack or the user's own subscription each count as a destination.
    for (const alerts of [{ emails: ['ops@example.com'] }, { slackWebhookSecretName: 'team/slack' }, { acknowledgeNoDestination: 'PagerDuty subscribes in the platform stack' }]) {
      expect(() => synth({ ...PREFIX_ONLY, alerts })).not.toThrow();
    }
    const app = testApp();
    const construct = new AutoRedrive(new Stack(app, 'Own'), 'AutoRedrive', PREFIX_ONLY);
    construct.alertTopic.addSubscription(new subscriptions.UrlSubscription('https://events.pagerduty.com/integration/x/enqueue'));
    expect(() => app.synth()).not.toThrow();
  });

  it('keeps the acknowledgement out of the Lambdas\' environment', () => {
    const synthesized = synth({ ...PREFIX_ONLY, alerts: { acknowledgeNoDestination: 'PagerDuty subscribes in the platform stack' } });
    const env = propertiesOf(synthesized, synthesized.construct.workerFunction).Environment.Variables;
    expect(env[CONFIG_ENV_VAR]).not.toContain('acknowledgeNoDestination');
  });

  it('deploys a Slack notifier scoped to the named secret when configured', () => {
    const synthesized = synth({ ...PREFIX_ONLY, alerts: { slackWebhookSecretName: 'team/slack-webhook' } });
    const { stack, construct, template } = synthesized;
    const notifierId = logicalId(stack, construct.slackNotifierFunction!);
    const fn = propertiesOf(synthesized, construct.slackNotifierFunction!);
    expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    expect(fn.Environment.Variables.SLACK_WEBHOOK_SECRET_ID).toBe('team/slack-webhook');
    expect(fn.Environment.Variables.LEDGER_TABLE_NAME).toEqual({ Ref: logicalId(stack, construct.ledgerTable) });

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: notifierId },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, construct.slackAlertsQueue!), 'Arn'] },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: false,
      Endpoint: { 'Fn::GetAtt': [logicalId(stack, construct.slackAlertsQueue!), 'Arn'] },
    });
    const notifierPolicy = logicalId(stack, construct.slackNotifierFunction!.role!.node.findChild('DefaultPolicy'));
    const notifierDynamo = policyStatements(template).filter((s) => s.policy === notifierPolicy && s.Action.some((a) => a.startsWith('dynamodb:')));
    expect(notifierDynamo.map((s) => [s.Action, s.Resource])).toEqual([[['dynamodb:UpdateItem'], [{ 'Fn::GetAtt': [logicalId(stack, construct.ledgerTable), 'Arn'] }]]]);
    const secretStatements = policyStatements(template).filter((s) => s.Action.some((a) => a.startsWith('secretsmanager:')));
    expect(secretStatements).toHaveLength(1);
    expect(secretStatements[0].Action).toEqual(['secretsmanager:GetSecretValue']);
    expect(secretStatements[0].Resource).toEqual([
      resolve(stack, `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:team/slack-webhook-??????`),
    ]);
  });
});

describe('approval endpoint', () => {
  const APPROVALS = { ...PREFIX_ONLY, approvals: { slackSigningSecretName: 'team/slack-signing', allowedSlackUserIds: ['U024BE7LH'] } };

  it('is absent without approvals.slackSigningSecretName', () => {
    const { construct, template } = synth(PREFIX_ONLY);
    expect(construct.approvalEndpointFunction).toBeUndefined();
    template.resourceCountIs('AWS::Lambda::Url', 0);
  });

  it('is a Function URL without IAM auth, output for the Slack app, allowed one ledger read, intake sends and its secret only', () => {
    const synthesized = synth(APPROVALS);
    const { stack, construct, template } = synthesized;
    const fnId = logicalId(stack, construct.approvalEndpointFunction!);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [fnId, 'Arn'] } });
    const outputs = template.findOutputs('*', { Value: { 'Fn::GetAtt': [logicalId(stack, construct.approvalEndpointUrl!), 'FunctionUrl'] } });
    expect(Object.keys(outputs)).toEqual([expect.stringMatching(/^AutoRedriveApprovalEndpointUrl/)]);
    const fn = propertiesOf(synthesized, construct.approvalEndpointFunction!);
    expect(fn).toMatchObject({ Timeout: 5, Runtime: 'nodejs24.x' });
    expect(fn.Environment.Variables.SLACK_SIGNING_SECRET_ID).toBe('team/slack-signing');
    const policy = logicalId(stack, construct.approvalEndpointFunction!.role!.node.findChild('DefaultPolicy'));
    const granted = policyStatements(template)
      .filter((s) => s.policy === policy && !s.Action.some((a) => a.startsWith('xray:') || a.startsWith('logs:')))
      .map((s) => s.Action);
    expect(granted).toEqual([['dynamodb:GetItem'], ['sqs:SendMessage'], ['secretsmanager:GetSecretValue']]);
  });

  it('may also read the bot token secret when user groups are allow-listed', () => {
    const { stack, template } = synth({ ...PREFIX_ONLY, approvals: { slackSigningSecretName: 'team/slack-signing', allowedSlackUserGroupIds: ['S0614TZR7'], slackBotTokenSecretName: 'team/slack-bot' } });
    const secrets = policyStatements(template).filter((s) => s.Action.includes('secretsmanager:GetSecretValue'));
    expect(secrets).toHaveLength(1);
    const expected = ['team/slack-signing', 'team/slack-bot'].map((name) => resolve(stack, `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${name}-??????`));
    expect(secrets[0].Resource).toHaveLength(2);
    expect(secrets[0].Resource).toEqual(expect.arrayContaining(expected));
  });
});

describe('Slack notifier timing', () => {
  it('has a timeout above the worst case of one batch, and a visibility six times that plus the batching window', () => {
    // Default threshold 5: five posts, each up to 3 tries of (Retry-After 20 s + two instances' 5 s request, 0.2 s poll, 1 s interval).
    expect(notifierWorstCaseSeconds(5, 2, 15)).toBe(501);
    const synthesized = synth({ ...PREFIX_ONLY, alerts: { slackWebhookSecretName: 'slack' } });
    const { construct } = synthesized;
    expect(propertiesOf(synthesized, construct.slackNotifierFunction!).Timeout).toBe(501);
    expect(propertiesOf(synthesized, construct.slackAlertsQueue!).VisibilityTimeout).toBe(6 * 501 + 20);
    // A large threshold is capped at Lambda's 900 s; the handler hands back what it cannot post in time.
    const large = synth({ ...PREFIX_ONLY, alerts: { slackWebhookSecretName: 'slack', slackDigestThreshold: 100 } });
    expect(propertiesOf(large, large.construct.slackNotifierFunction!).Timeout).toBe(900);
  });
});

describe('no reserved concurrency', () => {
  it.each<[string, AutoRedriveProps]>([
    ['defaults', PREFIX_ONLY],
    ['email and Slack alerts', { ...PREFIX_ONLY, alerts: { emails: ['ops@example.com'], slackWebhookSecretName: 'slack' } }],
    ['watch.all, no sweep', { watch: { all: true, allReason: 'platform account' }, sweep: { enabled: false } }],
  ])('no function reserves concurrency (%s): a quota of 10 has none to spare', (_name, props) => {
    expect(JSON.stringify(synth(props).template.toJSON())).not.toContain('ReservedConcurrentExecutions');
  });
});

describe('sweep', () => {
  it('runs on the configured rate with list rights on the watched machines only', () => {
    const { stack, construct, template } = synth({ ...PREFIX_ONLY, sweep: { rateMinutes: 30 } });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(30 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack, construct.sweepFunction!), 'Arn'] } })],
    });
    const sweepPolicy = logicalId(stack, construct.sweepFunction!.role!.node.findChild('DefaultPolicy'));
    const states = policyStatements(template).filter((s) => s.policy === sweepPolicy && s.Action.some((a) => a.startsWith('states:')));
    // The sweep hands what it finds to the intake queue; it never describes an execution itself.
    const statesActions = (list: typeof states) => list.flatMap((s) => s.Action).filter((a) => a.startsWith('states:'));
    expect(statesActions(states).sort()).toEqual(['states:ListExecutions', 'states:ListStateMachines']);
    // ListStateMachines cannot be scoped; it is the only states: action with a `*` resource.
    const wildcard = states.filter((s) => ([] as unknown[]).concat(s.Resource).includes('*'));
    expect(statesActions(wildcard)).toEqual(['states:ListStateMachines']);
  });

  it('does not list state machines when watching exact ARNs only', () => {
    const { stack, construct, template } = synth({ watch: { stateMachineArns: ['arn:aws:states:us-east-1:111122223333:stateMachine:billing'] } });
    const sweepPolicy = logicalId(stack, construct.sweepFunction!.role!.node.findChild('DefaultPolicy'));
    const actions = policyStatements(template).filter((s) => s.policy === sweepPolicy).flatMap((s) => s.Action);
    expect(actions).not.toContain('states:ListStateMachines');
  });

  it('is absent when disabled', () => {
    const { construct, template } = synth({ ...PREFIX_ONLY, sweep: { enabled: false } });
    expect(construct.sweepFunction).toBeUndefined();
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Events::Rule', 1);
  });
});

describe('observability', () => {
  it('alarms on every DLQ, the intake backlog, every function error and notifier throttles, all notifying the topic', () => {
    const { stack, construct, template } = synth({ ...PREFIX_ONLY, alerts: { slackWebhookSecretName: 'slack' } });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    // 3 DLQs + intake age + worker, sweep and notifier errors + notifier throttles.
    expect(alarms).toHaveLength(8);
    expect(construct.alarms).toHaveLength(8);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: logicalId(stack, construct.alertTopic) }]);
    const byMetric = (name: string) => alarms.filter((a) => a.MetricName === name);
    expect(byMetric('ApproximateNumberOfMessagesVisible').map((a) => [a.Threshold, a.ComparisonOperator])).toEqual(
      Array(3).fill([0, 'GreaterThanThreshold']),
    );
    expect(byMetric('ApproximateAgeOfOldestMessage')).toHaveLength(1);
    expect(byMetric('Errors')).toHaveLength(3);
    const throttles = byMetric('Throttles');
    expect(throttles).toHaveLength(1);
    expect(throttles[0]).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Sum' });
    expect(throttles[0].Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: logicalId(stack, construct.slackNotifierFunction!) } }]);
  });

  it('builds a dashboard from the SfnAutoRedrive EMF metrics', () => {
    const synthesized = synth(PREFIX_ONLY);
    const body = JSON.stringify(propertiesOf(synthesized, synthesized.construct.dashboard).DashboardBody);
    for (const metric of ['Redriven', 'GaveUp', 'Errors', 'Throttled']) {
      expect(body).toContain(`{SfnAutoRedrive,service} MetricName=\\\\\\"${metric}\\\\\\"`);
    }
    expect(body).toContain('{SfnAutoRedrive,reason,service} MetricName=\\\\\\"Skipped\\\\\\"');
  });
});

describe('config validation', () => {
  it('fails with one ConfigError naming every bad field', () => {
    const app = testApp();
    const attempt = () =>
      new AutoRedrive(new Stack(app, 'Bad'), 'AutoRedrive', {
        watch: { stateMachineArns: ['not-an-arn'] },
        worker: { maxConcurrency: 1, batchSize: 11 },
        backoff: { initialDelaySeconds: 100, maxDelaySeconds: 10 },
      });
    let error: unknown;
    try {
      attempt();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const fields = (error as ConfigError).problems.map((p) => p.split(':')[0]).sort();
    expect(fields).toEqual(['backoff.initialDelaySeconds', 'watch.stateMachineArns.0', 'worker.batchSize', 'worker.maxConcurrency']);
  });

  it('requires a reason to watch everything', () => {
    expect(() => synth({ watch: { all: true } })).toThrow(/watch\.allReason/);
  });

  it('throws on an unknown prop, at any depth, suggesting the known one', () => {
    const props = { ...PREFIX_ONLY, dryrun: true, alerts: { email: ['ops@example.com'] } } as AutoRedriveProps;
    let error: unknown;
    try {
      new AutoRedrive(new Stack(testApp(), 'Typo'), 'AutoRedrive', props);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.sort()).toEqual([
      'alerts.email: unknown key (did you mean emails?)',
      'dryrun: unknown key (did you mean dryRun?)',
    ]);
  });

  it('rejects an exact ARN outside the account or region of a stack with a concrete environment', () => {
    const inStack = (account: string, region: string) => new Stack(testApp(), 'Placed', { env: { account, region } });
    const elsewhere = [arnOf('billing'), 'arn:aws:states:eu-west-1:444455556666:stateMachine:billing', 'arn:aws:states:us-east-1:111122223333:stateMachine:etl'];
    const attempt = () => new AutoRedrive(inStack(ACCOUNT, REGION), 'AutoRedrive', { watch: { stateMachineArns: elsewhere } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`watch.stateMachineArns.1: ${elsewhere[1]} is in 444455556666/eu-west-1, but this stack deploys to ${ACCOUNT}/${REGION}`);
    expect(attempt).toThrow(`watch.stateMachineArns.2: ${elsewhere[2]} is in 111122223333/us-east-1`);
    expect(attempt).not.toThrow(/stateMachineArns\.0/);
    expect(() => new AutoRedrive(inStack(ACCOUNT, REGION), 'AutoRedrive', { watch: { stateMachineArns: [arnOf('billing')] } })).not.toThrow();
  });
});

describe('bundling', () => {
  it('bundles the worker with the local esbuild, minified, with a source map beside it (no sources), leaving the AWS SDK to the runtime', () => {
    const app = testApp({ context: { 'aws:cdk:bundling-stacks': ['**'] } });
    const stack = new Stack(app, 'Bundled');
    const construct = new AutoRedrive(stack, 'AutoRedrive', withAlertsAcknowledged({ ...PREFIX_ONLY, sweep: { enabled: false } }));
    const assembly = app.synth();
    const code = Template.fromStack(stack).toJSON().Resources[logicalId(stack, construct.workerFunction)].Properties.Code;
    const assets = JSON.parse(readFileSync(join(assembly.directory, 'Bundled.assets.json'), 'utf8')).files;
    const assetDir = join(assembly.directory, assets[code.S3Key.replace(/\.zip$/, '')].source.path);
    expect(readdirSync(assetDir).sort()).toEqual(['index.js', 'index.js.map']);
    const bundle = readFileSync(join(assetDir, 'index.js'), 'utf8');
    expect(bundle).toMatch(/require\("@aws-sdk\/client-[a-z]+"\)/);
    expect(bundle.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
    const map = JSON.parse(readFileSync(join(assetDir, 'index.js.map'), 'utf8'));
    expect(map.sources).toEqual(expect.arrayContaining([expect.stringMatching(/lambda\/worker\.ts$/), expect.stringMatching(/engine\/redrive-engine\.ts$/)]));
    expect(map.sourcesContent).toBeUndefined();
    // Minified: a few very long lines (only template literals keep their newlines).
    expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(2000);
  });
});

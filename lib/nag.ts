/**
 * cdk-nag acknowledgements for the findings AutoRedrive raises by design, each with its reason. They
 * are recorded on the construct's own resources (CDK's Validations metadata), so every stack that uses
 * the construct gets them, with or without cdk-nag installed.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { AutoRedrive } from './auto-redrive';
import { NAG_PSEUDO_ENVIRONMENT, restartTargets, watchedResources } from './watched-resources';

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** One IAM5 acknowledgement per wildcard resource, as cdk-nag names each finding separately. */
function acknowledgeWildcardResources(scope: IConstruct, resources: string[], reason: string): void {
  for (const resource of resources.filter((r) => r.includes('*'))) {
    acknowledge(scope, `AwsSolutions-IAM5[Resource::${resource}]`, reason);
  }
}

export function acknowledgeNagFindings(autoRedrive: AutoRedrive): void {
  const { watch } = autoRedrive.config;
  const watched = watchedResources(watch, NAG_PSEUDO_ENVIRONMENT);
  const chosenScope = watch.all ? `watch.all is set: ${watch.allReason}` : 'The name prefixes are the operator\'s chosen scope.';
  const executionsReason = `The worker describes, reads the history of and redrives executions whose names are not known in advance, so the policy names every execution (:*) of the watched state machines and nothing else. ${chosenScope}`;
  const stateMachinesReason = `The sweep lists the executions (states:ListExecutions) of the watched state machines, which it finds by name prefix, so the policy names the state machines by prefix (stateMachine:<prefix>*) and no others. ${chosenScope}`;

  const xrayReason = 'X-Ray tracing (Tracing.ACTIVE) adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.';
  const functions = [autoRedrive.workerFunction, autoRedrive.sweepFunction, autoRedrive.slackNotifierFunction, autoRedrive.approvalEndpointFunction];
  for (const fn of functions) {
    if (!fn?.role) continue;
    const listsStateMachines = fn === autoRedrive.sweepFunction && (watch.all || watch.stateMachineNamePrefixes.length > 0);
    const reason = listsStateMachines
      ? `${xrayReason} The sweep also needs states:ListStateMachines, which supports no resource-level permissions either; it returns state machine names only and resolves the watched name prefixes.`
      : xrayReason;
    acknowledge(fn.role, 'AwsSolutions-IAM5[Resource::*]', reason);
  }

  const sqsInvoked: Array<[NodejsFunction | undefined, string]> = [
    [autoRedrive.workerFunction, 'the intake queue, whose redrive policy moves a failing message to the intake DLQ'],
    [autoRedrive.slackNotifierFunction, 'the Slack alerts queue, whose redrive policy moves a failing alert to the alert DLQ'],
  ];
  for (const [fn, source] of sqsInvoked) {
    if (!fn) continue;
    acknowledge(
      fn,
      'Serverless-LambdaDLQ',
      `Invoked only synchronously, by the SQS event source mapping of ${source} (alarmed); a function DLQ applies to asynchronous invocations only.`,
    );
    acknowledge(
      fn,
      'Serverless-LambdaEventSourceMappingDestination',
      `SQS event source mappings support no on-failure destination; failures stay on ${source} (alarmed).`,
    );
  }

  if (autoRedrive.approvalEndpointFunction) {
    acknowledge(
      autoRedrive.approvalEndpointFunction,
      'Serverless-LambdaDLQ',
      'Invoked only synchronously, by Slack through its Function URL: Slack sees the answer (a 4xx for a refused click), and a function DLQ applies to asynchronous invocations only.',
    );
  }

  acknowledgeWildcardResources(autoRedrive.workerFunction.role!, watched.executions, executionsReason);
  acknowledgeWildcardResources(
    autoRedrive.workerFunction.role!,
    watched.mapRuns,
    `When the worker gives up on an execution that its Distributed Map's children failed, the alert names the failed Map Run and those children (states:DescribeMapRun, states:ListExecutions of the Map Run). Map Run ARNs end in a label and an id Step Functions makes at run time, so the policy names every Map Run (/*) of the watched state machines and nothing else. ${chosenScope}`,
  );
  acknowledgeWildcardResources(
    autoRedrive.workerFunction.role!,
    restartTargets(autoRedrive.config, NAG_PSEUDO_ENVIRONMENT),
    `The worker starts fix-forward restarts (states:StartExecution) on the restart rules' targets: the latest revision, a version or an alias of the state machines those rules cover, which are named by prefix (stateMachine:<prefix>*[:<qualifier>]) and no others. ${chosenScope}`,
  );

  if (autoRedrive.sweepFunction) {
    acknowledgeWildcardResources(autoRedrive.sweepFunction.role!, watched.stateMachines, stateMachinesReason);
    acknowledge(
      autoRedrive.sweepFunction,
      'Serverless-LambdaDLQ',
      'Invoked asynchronously by its schedule rule, whose target has the rule DLQ; a schedule event carries no data worth keeping (the next run repeats the work), and the sweep Errors alarm reports failures.',
    );
  }

  const deadLetterQueues: Array<[sqs.Queue | undefined, string]> = [
    [autoRedrive.intakeDeadLetterQueue, 'Dead-letter queue of the intake queue (its RedriveAllowPolicy names only that queue); alarmed, and its messages go back with SQS\'s DLQ redrive once the cause is fixed.'],
    [autoRedrive.ruleDeadLetterQueue, 'Dead-letter queue of the EventBridge targets (the status-change rule and the sweep schedule), which need no DLQ of their own; alarmed. No queue redrives into it (RedriveAllowPolicy denyAll); the sweep also finds the failures whose events land here.'],
    [
      autoRedrive.alertDeadLetterQueue,
      `Dead-letter queue of the alert topic's subscriptions${autoRedrive.slackAlertsQueue ? ' and of the Slack alerts queue' : ''}, which needs no DLQ of its own; alarmed, and its alerts are read or redriven by hand.`,
    ],
  ];
  for (const [queue, reason] of deadLetterQueues) {
    if (queue) acknowledge(queue, 'Serverless-SQSRedrivePolicy', reason);
  }
  // cdk-nag recognises a DLQ only by another queue's redrive policy, not by an EventBridge target's or
  // an SNS subscription's DeadLetterConfig.
  acknowledge(
    autoRedrive.ruleDeadLetterQueue,
    'AwsSolutions-SQS3',
    'Dead-letter queue of the status-change rule\'s and the sweep schedule\'s EventBridge targets (DeadLetterConfig), which cdk-nag does not recognise as a DLQ.',
  );
  if (autoRedrive.alertDeadLetterQueue) {
    acknowledge(
      autoRedrive.alertDeadLetterQueue,
      'AwsSolutions-SQS3',
      'Dead-letter queue of the alert topic\'s SNS subscriptions (RedrivePolicy), which cdk-nag does not recognise as a DLQ when no queue redrives into it (email alerts only).',
    );
  }
}

/**
 * cdk-nag acknowledgements for the findings AutoRedrive raises by design, each with its reason. They
 * are recorded on the construct's own resources (CDK's Validations metadata), so every stack that uses
 * the construct gets them, with or without cdk-nag installed.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { AutoRedrive } from './auto-redrive';
import { NAG_PSEUDO_ENVIRONMENT, watchedResources } from './watched-resources';

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
  const scopeReason = watch.all
    ? `watch.all is set: ${watch.allReason}`
    : 'Execution names are not known in advance, so the policy names every execution (:*) of the watched state machines and nothing else; name prefixes are the operator\'s chosen scope.';

  const xrayReason = 'X-Ray tracing (Tracing.ACTIVE) adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.';
  const functions = [autoRedrive.workerFunction, autoRedrive.sweepFunction, autoRedrive.slackNotifierFunction];
  for (const fn of functions) {
    if (!fn?.role) continue;
    const listsStateMachines = fn === autoRedrive.sweepFunction && (watch.all || watch.stateMachineNamePrefixes.length > 0);
    const reason = listsStateMachines
      ? `${xrayReason} The sweep also needs states:ListStateMachines, which supports no resource-level permissions either; it returns state machine names only and resolves the watched name prefixes.`
      : xrayReason;
    acknowledge(fn.role, 'AwsSolutions-IAM5[Resource::*]', reason);
  }

  for (const fn of [autoRedrive.workerFunction, autoRedrive.slackNotifierFunction]) {
    if (!fn) continue;
    acknowledge(
      fn,
      'Serverless-LambdaDLQ',
      'Invoked only synchronously by an SQS event source mapping; a function DLQ applies to asynchronous invocations. Failed messages go to the source queue\'s redrive DLQ, which is alarmed.',
    );
    acknowledge(
      fn,
      'Serverless-LambdaEventSourceMappingDestination',
      'SQS event source mappings support no on-failure destination; the source queue\'s redrive policy moves failed messages to an alarmed DLQ.',
    );
  }

  acknowledgeWildcardResources(autoRedrive.workerFunction.role!, watched.executions, scopeReason);

  if (autoRedrive.sweepFunction) {
    acknowledgeWildcardResources(autoRedrive.sweepFunction.role!, [...watched.stateMachines, ...watched.executions], scopeReason);
    acknowledge(
      autoRedrive.sweepFunction,
      'Serverless-LambdaDLQ',
      'A scheduled sweep event carries no data worth keeping: the next run repeats the work, the schedule target has a DLQ, and the sweep Errors alarm reports failures.',
    );
  }

  const deadLetterQueues = [autoRedrive.intakeDeadLetterQueue, autoRedrive.ruleDeadLetterQueue, autoRedrive.alertDeadLetterQueue];
  for (const queue of deadLetterQueues) {
    if (!queue) continue;
    acknowledge(queue, 'Serverless-SQSRedrivePolicy', 'This queue is a dead-letter queue; it is alarmed and messages are redriven by hand.');
  }
  // cdk-nag recognises a DLQ only by another queue's redrive policy, not by an EventBridge target's or
  // an SNS subscription's DeadLetterConfig.
  acknowledge(
    autoRedrive.ruleDeadLetterQueue,
    'AwsSolutions-SQS3',
    'Dead-letter queue of the EventBridge rule targets (DeadLetterConfig), which cdk-nag does not detect.',
  );
  if (autoRedrive.alertDeadLetterQueue) {
    acknowledge(
      autoRedrive.alertDeadLetterQueue,
      'AwsSolutions-SQS3',
      'Dead-letter queue of the alert topic\'s SNS subscriptions (RedrivePolicy), which cdk-nag does not detect.',
    );
  }
}

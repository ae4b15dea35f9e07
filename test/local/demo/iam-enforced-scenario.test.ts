/**
 * The built-in demo scenario with the synthesized IAM edited the way a careless change to the construct
 * would edit it. The local stack enforces the edited policies, so the run fails the way a deployment
 * with that policy would: the worker cannot redrive and every redrivable failure ends in the intake DLQ
 * with an alert naming the refused call; the notifier cannot read its webhook and no alert reaches Slack.
 */
import type { Alert } from '../../../core/alerts';
import { runScenario, type DemoReport } from '../../../local/demo/runner';
import { BUILT_IN_SCENARIO_PATH, loadScenarioFile } from '../../../local/demo/scenario';
import type { PolicyStatement, RolePolicies } from '../../../local/iam/synthesized-policies';
import { LOCAL_NAMES } from '../../../local/stack';

const WORKER = 'arn:aws:sts::123456789012:assumed-role/sfn-autoredrive-worker-role/sfn-autoredrive-worker';
const NOTIFIER = 'arn:aws:sts::123456789012:assumed-role/sfn-autoredrive-slack-notifier-role/sfn-autoredrive-slack-notifier';

const actionsOf = (statement: PolicyStatement) => ([] as string[]).concat(statement.Action);

describe('the demo with states:RedriveExecution removed from the worker role', () => {
  const alerts: Alert[] = [];
  let report: DemoReport;
  let removed = 0;

  beforeAll(async () => {
    const withoutRedrive = (policies: RolePolicies): RolePolicies => {
      for (const statement of policies.worker!.Statement) {
        const kept = actionsOf(statement).filter((action) => action !== 'states:RedriveExecution');
        removed += actionsOf(statement).length - kept.length;
        statement.Action = kept;
      }
      return policies;
    };
    report = await runScenario(loadScenarioFile(BUILT_IN_SCENARIO_PATH), { onAlert: (alert) => alerts.push(alert) }, { iam: { adjustPolicies: withoutRedrive } });
  });

  it('redrives nothing: each failure the config would redrive is parked in the intake DLQ, the rest skipped or not watched as before', () => {
    expect(removed).toBe(1);
    const { totals } = report.accounting;
    expect(totals).toMatchObject({ redriven: 0, recoveredAfterRedrive: 0, gaveUp: 0, unaccountedFailures: 0, duplicateRedrives: 0 });
    expect(totals.parkedInDlq).toBeGreaterThan(0);
    expect(totals.failuresSeen).toBe(totals.parkedInDlq + totals.skipped + totals.notWatched);
    expect(report.accounting.skippedByReason).toEqual({ NON_RETRYABLE_ERROR: 2 });
  });

  it('alerts once per parked failure, naming the refused call as AWS does; the ledger keeps the claim it could not complete', () => {
    const parked = report.accounting.executions.filter((e) => e.failures.some((f) => f.place === 'PARKED'));
    const pipelineErrors = alerts.filter((a) => a.kind === 'PIPELINE_ERROR');
    expect(pipelineErrors.map((a) => a.executionArn).sort()).toEqual(parked.map((e) => e.executionArn).sort());
    for (const execution of parked) {
      const alert = pipelineErrors.find((a) => a.executionArn === execution.executionArn)!;
      expect(alert.detail).toContain(
        `AccessDeniedException: User: ${WORKER} is not authorized to perform: states:RedriveExecution on resource: ${execution.executionArn} because no identity-based policy allows the states:RedriveExecution action`,
      );
      expect(execution.ledgerPhase).toBe('REDRIVING');
      expect(execution.redriveCount).toBe(0);
    }
  });
});

describe('the demo with the Slack secret grant narrowed to the secret name without its random suffix', () => {
  const lambdaErrors: Array<[string, string]> = [];
  let report: DemoReport;
  let alertsDlqDepth = -1;

  beforeAll(async () => {
    // The classic mistake: Secrets Manager ARNs end in -XXXXXX, so `secret:<name>` matches no secret.
    const withoutSuffix = (policies: RolePolicies): RolePolicies => {
      for (const statement of policies.notifier!.Statement) {
        if (actionsOf(statement).includes('secretsmanager:GetSecretValue')) statement.Resource = String(statement.Resource).replace(/-\?{6}$/, '');
      }
      return policies;
    };
    report = await runScenario(
      loadScenarioFile(BUILT_IN_SCENARIO_PATH),
      { beforeStop: async (stack) => void (alertsDlqDepth = stack.aws.sqs.queue(LOCAL_NAMES.alertsDlq)!.depth().visible) },
      { iam: { adjustPolicies: withoutSuffix }, onLambdaError: (fn, error) => lambdaErrors.push([fn, `${(error as Error).name}: ${(error as Error).message}`]) },
    );
  });

  it('still redrives as before, but no alert reaches Slack: every one ends in the alerts DLQ', () => {
    expect(report.accounting.totals).toMatchObject({ redriven: 17, gaveUp: 2, skipped: 2, alerts: 4, unaccountedFailures: 0 });
    expect(report.pipeline.slackPosts).toBe(0);
    expect(alertsDlqDepth).toBe(report.accounting.totals.alerts);
  });

  it('each notifier invocation fails on the secret, refused as AWS refuses it', () => {
    expect(lambdaErrors.length).toBeGreaterThan(0);
    expect(new Set(lambdaErrors.map((e) => e.join(' → ')))).toEqual(
      new Set([
        `sfn-autoredrive-slack-notifier → GetParameterError: User: ${NOTIFIER} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${LOCAL_NAMES.slackSecret} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
      ]),
    );
  });
});

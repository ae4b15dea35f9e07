/**
 * The built-in fix-forward scenario end to end, through the real local stack with IAM enforced: executions
 * started on version 1 fail on a workflow bug after the fix is deployed as version 2 behind the alias; a
 * restart rule makes the worker start each again on the alias, with the same input, and the restarts
 * succeed. The accounting places each failure as RESTARTED and lists the restarts themselves.
 */
import { runScenario, type DemoReport } from '../../../local/demo/runner';
import { FIX_FORWARD_SCENARIO_PATH, loadScenarioFile, parseScenario } from '../../../local/demo/scenario';
import { exitCodeFor } from '../../../local/demo/summary';

describe('npm run demo -- --scenario fix-forward', () => {
  let report: DemoReport;
  const notes: string[] = [];
  let calls: Record<string, number> = {};
  const inputs = new Map<string, string>();

  beforeAll(async () => {
    report = await runScenario(loadScenarioFile(FIX_FORWARD_SCENARIO_PATH), {
      onNote: (text) => notes.push(text),
      beforeStop: async (stack) => {
        calls = Object.fromEntries(Object.entries(stack.sfn.stats().apis).map(([api, stats]) => [api, stats.calls]));
        for (const name of ['invoice-0001', 'invoice-0001-restart-1']) {
          const record = stack.sfn.execution(`arn:aws:states:us-east-1:123456789012:execution:invoices-settle:${name}`)!;
          inputs.set(name, `${record.input} on ${record.stateMachineVersionArn?.split(':').pop()} via ${record.stateMachineAliasArn?.split(':').pop()}`);
        }
      },
    });
  });

  it('restarts each failure once on the fixed version behind the alias, with its input, and the restarts succeed', () => {
    expect(notes).toContain('fix deployed: invoices-settle 2 behind alias prod');
    expect(report.accounting.totals).toMatchObject({ executions: 8, succeeded: 4, failuresSeen: 4, restarted: 4, redriven: 0, gaveUp: 0, unaccountedFailures: 0, duplicateRedrives: 0 });
    expect(report.accounting.executions.map((e) => [e.name, e.outcome])).toEqual([
      ...[1, 2, 3, 4].map((n) => [`invoice-000${n}`, `FAILED, restarted as arn:aws:states:us-east-1:123456789012:execution:invoices-settle:invoice-000${n}-restart-1 on alias:prod`]),
      ...[1, 2, 3, 4].map((n) => [`invoice-000${n}-restart-1`, 'SUCCEEDED']),
    ]);
    expect(inputs.get('invoice-0001')).toBe('{"invoice":"invoice-0001","amount":120} on 1 via prod');
    expect(inputs.get('invoice-0001-restart-1')).toBe('{"invoice":"invoice-0001","amount":120} on 2 via prod');
    // Four user starts and four restarts; a redrive was never tried.
    expect(calls.StartExecution).toBe(8);
    expect(calls.RedriveExecution ?? 0).toBe(0);
    expect(report.accounting.alertsByKind).toEqual({ RESTARTED: 4 });
    expect(exitCodeFor(report)).toBe(0);
  });

  it('refuses, at load, an execution group or deploy that names an alias its state machine does not declare', () => {
    const scenario = JSON.parse(JSON.stringify(require(FIX_FORWARD_SCENARIO_PATH)));
    scenario.executions[0].alias = 'staging';
    scenario.timeline[0].deploy.alias = 'blue';
    expect(() => parseScenario(scenario, 'fix-forward.json')).toThrow(
      /timeline\.0\.deploy\.alias: "invoices-settle" in stateMachines must declare the alias "blue"\n.*executions\.0\.alias: "invoices-settle" in stateMachines does not declare the alias "staging"/,
    );
  });
});

/**
 * A scenario mixing Standard and Express state machines, both inside the watched name prefix. Step
 * Functions refuses DescribeExecution and GetExecutionHistory for Express executions (InvalidArn), so the
 * demo's report must not ask: Express executions are their own category, "express: not watched", as the
 * product treats them (no status events, never redriven), never unaccounted, and the run exits 0.
 */
import { ordersConfig, runCli, scenarioFile } from '../../support/demo-cli';
import { parseScenario } from '../../../local/demo/scenario';

const chargeDefinition = {
  StartAt: 'Charge',
  States: { Charge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'charge', 'Payload.$': '$' }, End: true } },
};

const scenario = {
  name: 'standard-and-express',
  description: 'Card charges on a Standard machine and on an Express one; both fail now and then.',
  startTime: '2026-11-24T09:00:00.000Z',
  config: ordersConfig,
  stateMachines: [
    { name: 'orders-standard', type: 'STANDARD', definition: chargeDefinition },
    { name: 'orders-express', type: 'EXPRESS', definition: chargeDefinition },
  ],
  mockConfig: {
    StateMachines: {
      'orders-standard': { TestCases: { FailsOnce: { Charge: 'FailsOnce' } } },
      'orders-express': { TestCases: { Fails: { Charge: 'Fails' }, Works: { Charge: 'Works' } } },
    },
    MockedResponses: {
      FailsOnce: { '0': { Throw: { Error: 'Payment.GatewayTimeout', Cause: 'timeout' } }, '1': { Return: { Payload: { charged: true } } } },
      Fails: { '0': { Throw: { Error: 'Payment.GatewayTimeout', Cause: 'timeout' } } },
      Works: { '0': { Return: { Payload: { charged: true } } } },
    },
  },
  executions: [
    { label: 'standard, fails once', stateMachine: 'orders-standard', testCase: 'FailsOnce', count: 2, namePrefix: 'std-' },
    { label: 'express, fails', stateMachine: 'orders-express', testCase: 'Fails', count: 2, namePrefix: 'exp-' },
    { label: 'express, works', stateMachine: 'orders-express', testCase: 'Works', count: 1, namePrefix: 'exp-' },
  ],
};

describe('demo with Standard and Express state machines', () => {
  it('reports Express executions as "express: not watched", redrives the Standard ones, and exits 0 with JSON', async () => {
    const { code, stdout, stderr } = await runCli(['--json', '--scenario', scenarioFile(scenario)]);
    expect(stderr).not.toContain('InvalidArn');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({
      ok: true,
      totals: { executions: 5, expressNotWatched: 3, failuresSeen: 2, redriven: 2, recoveredAfterRedrive: 2, notWatched: 0, duplicateRedrives: 0, unaccountedFailures: 0 },
      problems: [],
    });
    const byGroup = (group: string) => summary.executions.filter((e: { group: string }) => e.group === group);
    expect(byGroup('standard, fails once').map((e: { status: string; redriveCount: number }) => [e.status, e.redriveCount])).toEqual([['SUCCEEDED', 1], ['SUCCEEDED', 1]]);
    for (const execution of [...byGroup('express, fails'), ...byGroup('express, works')]) {
      expect(execution).toMatchObject({ express: true, status: 'UNKNOWN', redriveCount: 0, failures: [], outcome: 'express: not watched' });
      expect(execution.executionArn).toContain(':express:orders-express:');
    }
  });

  it('refuses a scenario that stops Express executions or drops their status events (exit 2)', async () => {
    const bad = { ...scenario, executions: [{ label: 'x', stateMachine: 'orders-express', testCase: 'Works', stopAfterSeconds: 5, dropStatusEvents: ['FAILED'] }] };
    expect(() => parseScenario(bad, 'bad.json')).toThrow(/stopAfterSeconds: "orders-express" is EXPRESS[\s\S]*dropStatusEvents: "orders-express" is EXPRESS/);
    const { code, stderr } = await runCli(['--scenario', scenarioFile(bad)]);
    expect(code).toBe(2);
    expect(stderr).toContain('executions.0.stopAfterSeconds');
  });
});

/**
 * A scenario whose state machine is written in JSONata and keeps its working data in variables (Assign),
 * through the pipeline as deployed: the charge fails once, the product redrives it, and the redriven
 * Task reads the variables assigned before the failure (AWS: a redriven execution sees the values it had
 * when the failed state was entered, https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html).
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { runScenario, type DemoReport } from '../../../local/demo/runner';
import { parseScenario } from '../../../local/demo/scenario';
import { ordersConfig } from '../../support/demo-cli';

const scenario = {
  name: 'jsonata-variables',
  startTime: '2026-11-24T09:00:00.000Z',
  config: ordersConfig,
  stateMachines: [
    {
      name: 'orders-jsonata',
      definition: {
        QueryLanguage: 'JSONata',
        StartAt: 'Price',
        States: {
          Price: {
            Type: 'Pass',
            Assign: { orderId: '{% $states.input.id %}', total: '{% $sum($states.input.items.price) %}' },
            Next: 'Charge',
          },
          Charge: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Arguments: { FunctionName: 'charge-payment', Payload: { orderId: '{% $orderId %}', amount: '{% $total %}' } },
            Output: '{% {"orderId": $orderId, "charged": $total, "chargeId": $states.result.Payload.chargeId} %}',
            End: true,
          },
        },
      },
    },
  ],
  mockConfig: {
    StateMachines: { 'orders-jsonata': { TestCases: { GatewayBlip: { Charge: 'GatewayTimeoutOnce' } } } },
    MockedResponses: {
      GatewayTimeoutOnce: {
        '0': { Throw: { Error: 'Payment.GatewayTimeout', Cause: 'payment gateway did not answer within 30 s' } },
        '1': { Return: { StatusCode: 200, Payload: { chargeId: 'ch-7' } } },
      },
    },
  },
  executions: [
    { label: 'gateway blip', stateMachine: 'orders-jsonata', testCase: 'GatewayBlip', count: 3, namePrefix: 'jorder-', input: { id: '{{name}}', items: [{ price: 20 }, { price: 2.5 }] } },
  ],
};

describe('demo with a JSONata state machine that uses variables', () => {
  let report: DemoReport;
  const outputs: unknown[] = [];

  beforeAll(async () => {
    report = await runScenario(parseScenario(scenario, 'test'), {
      beforeStop: async (stack) => {
        for (const name of ['jorder-0001', 'jorder-0002', 'jorder-0003']) {
          const out = await stack.clients.sfn.send(new DescribeExecutionCommand({ executionArn: `arn:aws:states:us-east-1:123456789012:execution:orders-jsonata:${name}` }));
          outputs.push([out.status, out.redriveCount, JSON.parse(out.output ?? 'null')]);
        }
      },
    });
  });

  it('redrives each failed charge once, and the redriven Task reads the variables assigned before the failure', () => {
    expect(report.accounting).toMatchObject({ ok: true, totals: { executions: 3, failuresSeen: 3, redriven: 3, recoveredAfterRedrive: 3, unaccountedFailures: 0, duplicateRedrives: 0 } });
    expect(outputs).toEqual(['jorder-0001', 'jorder-0002', 'jorder-0003'].map((orderId) => ['SUCCEEDED', 1, { orderId, charged: 22.5, chargeId: 'ch-7' }]));
    for (const execution of report.accounting.executions) {
      expect(execution.failures.map((f) => [f.error, f.place])).toEqual([['Payment.GatewayTimeout', 'REDRIVEN']]);
    }
  });
});

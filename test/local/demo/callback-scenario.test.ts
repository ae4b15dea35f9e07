/**
 * A scenario whose state machine waits for a task token: the mock config answers it on the virtual
 * clock. The first wait gets no answer, so HeartbeatSeconds fails the execution; the product redrives
 * it, the state waits on a fresh token, and the mocked callback's heartbeats and success arrive.
 */
import { ordersConfig, runCli, scenarioFile } from '../../support/demo-cli';
import { parseScenario } from '../../../local/demo/scenario';

const scenario = {
  name: 'approvals',
  startTime: '2026-11-24T09:00:00.000Z',
  config: ordersConfig,
  stateMachines: [
    {
      name: 'orders-approval',
      definition: {
        StartAt: 'Approve',
        States: {
          Approve: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
            Parameters: { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/approvals', MessageBody: { 'token.$': '$$.Task.Token' } },
            HeartbeatSeconds: 60,
            End: true,
          },
        },
      },
    },
  ],
  mockConfig: {
    StateMachines: { 'orders-approval': { TestCases: { SilentThenYes: { Approve: 'SilentThenYes' } } } },
    MockedResponses: {
      SilentThenYes: {
        '0': { Callback: { Submitted: { MessageId: 'm-1' } } },
        '1': { Callback: { Heartbeats: [50], AfterSeconds: 90, Return: { approved: true } } },
      },
    },
  },
  executions: [{ label: 'approval times out once', stateMachine: 'orders-approval', testCase: 'SilentThenYes', count: 2, namePrefix: 'approval-' }],
};

describe('demo with a callback (.waitForTaskToken) state', () => {
  it('redrives the heartbeat timeout, and the mocked callback answers the redriven state on the virtual clock', async () => {
    const { code, stdout } = await runCli(['--json', '--scenario', scenarioFile(scenario)]);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ ok: true, totals: { executions: 2, failuresSeen: 2, redriven: 2, recoveredAfterRedrive: 2, unaccountedFailures: 0 } });
    for (const execution of summary.executions) {
      expect(execution).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
      expect(execution.failures.map((f: { error: string }) => f.error)).toEqual(['States.HeartbeatTimeout']);
    }
  });

  it('rejects a mocked Callback whose answer has no AfterSeconds', () => {
    const broken = structuredClone(scenario);
    (broken.mockConfig.MockedResponses.SilentThenYes as Record<string, unknown>)['1'] = { Callback: { Return: { approved: true } } };
    expect(() => parseScenario(broken, 'test')).toThrow('mockConfig.MockedResponses.SilentThenYes.1');
  });
});

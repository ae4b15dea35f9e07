/**
 * End to end: the real worker and notifier (the modules the Lambdas bundle) on the local stack, over
 * HTTP with the official SDK. Assertions read DynamoDB Local, DescribeExecution and the Slack receiver.
 */
import { CreateStateMachineCommand, DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { clientTokenFor } from '../../core/client-token';
import { VirtualClock } from '../../local/clock';
import { LocalStack } from '../../local/stack';

const ORDER_FLOW = {
  StartAt: 'Reserve',
  States: {
    Reserve: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'order.$': '$.order' }, ResultPath: '$.reservation', Next: 'Charge' },
    Charge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', ResultPath: '$.payment', Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

const MOCKS = {
  StateMachines: {
    'orders-flow': {
      TestCases: {
        Transient: { Reserve: 'Reserved', Charge: 'FailsOnceThenPays' },
        Permanent: { Reserve: 'Reserved', Charge: 'AlwaysTimesOut' },
        NonRetryable: { Reserve: 'Reserved', Charge: 'CardDeclined' },
      },
    },
  },
  MockedResponses: {
    Reserved: { '0': { Return: { reserved: true } } },
    FailsOnceThenPays: { '0': { Throw: { Error: 'PaymentGatewayTimeout', Cause: 'gateway took 30 s' } }, '1': { Return: { paid: true } } },
    AlwaysTimesOut: { '0': { Throw: { Error: 'PaymentGatewayTimeout', Cause: 'still down' } } },
    CardDeclined: { '0': { Throw: { Error: 'CardDeclined', Cause: '{"errorType":"CardDeclined","errorMessage":"declined"}' } } },
  },
};

describe('local stack end to end', () => {
  let stack: LocalStack;
  let clock: VirtualClock;

  beforeAll(async () => {
    clock = new VirtualClock({ startMs: Date.UTC(2026, 10, 24, 9, 0, 0) });
    stack = await LocalStack.start({
      clock,
      mockConfig: MOCKS,
      slackBatchingWindowSeconds: 1,
      config: {
        watch: { stateMachineNamePrefixes: ['orders-'] },
        maxAttempts: 2,
        backoff: { initialDelaySeconds: 60, multiplier: 5, maxDelaySeconds: 1800, jitter: 'none' },
        errorPolicy: { neverRetry: ['CardDeclined'] },
        alerts: { slackWebhookSecretName: 'sfn-autoredrive/slack-webhook', notifyOnNonRetryableSkip: true },
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('redrives transient failures once per generation, gives up on permanent ones and skips non-retryable ones, with alerts', async () => {
    const sfn = stack.clients.sfn;
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: 'orders-flow', definition: JSON.stringify(ORDER_FLOW), roleArn: 'arn:aws:iam::123456789012:role/sfn' }));
    const start = async (name: string, testCase: string) =>
      (await sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}#${testCase}`, name, input: JSON.stringify({ order: { id: name } }) }))).executionArn!;
    const transient = await start('order-1', 'Transient');
    const permanent = await start('order-2', 'Permanent');
    const declined = await start('order-3', 'NonRetryable');

    await stack.runUntilQuiet();

    const describe = (executionArn: string) => sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(await describe(transient)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    expect(await describe(permanent)).toMatchObject({ status: 'FAILED', redriveCount: 2 });
    expect(await describe(declined)).toMatchObject({ status: 'FAILED', redriveCount: 0 });

    const transientRecord = await stack.ledger.get(transient);
    expect(transientRecord).toMatchObject({ phase: 'REDRIVEN', generation: 0, attemptsUsed: 1 });
    expect(transientRecord!.attempts).toEqual([expect.objectContaining({ outcome: 'REDRIVEN', clientToken: clientTokenFor(transient, 0) })]);
    expect(await stack.ledger.get(permanent)).toMatchObject({ phase: 'GAVE_UP', generation: 2, attemptsUsed: 2, reason: 'MAX_ATTEMPTS_REACHED' });
    expect(await stack.ledger.get(declined)).toMatchObject({ phase: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR' });

    expect(stack.alerts.map((a) => [a.kind, a.executionName]).sort()).toEqual([
      ['GAVE_UP', 'order-2'],
      ['SKIPPED_NON_RETRYABLE', 'order-3'],
    ]);
    // The notifier posted both to Slack (the receiver stands in for the webhook).
    const posted = stack.slack!.posts.map((p) => JSON.stringify(p.payload)).join('\n');
    expect(posted).toContain('order-2');
    expect(posted).toContain('order-3');
    expect(stack.intakeDlq.depth().visible).toBe(0);
  });
});

/**
 * The CLI against the local stack runs as the operator, held to docs/operator-policy.json: explain,
 * ledger, redrive and sweep all work under it. The same commands with a Lambda role's key are refused,
 * so the policy, not an open door, is what lets them through.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { RUNTIME_ENV } from '../../adapters/runtime-env';
import { EXIT, toCliError } from '../../cli/errors';
import { VirtualClock } from '../../local/clock';
import { LAMBDA_CREDENTIALS } from '../../local/iam/principals';
import { cli, createStateMachine, localFlags, useLocalStack } from './harness';

const FAILS = { StartAt: 'Charge', States: { Charge: { Type: 'Fail', Error: 'PaymentGatewayTimeout', Cause: 'psp down' } } };

/**
 * The CLI sees credentials in its environment and leaves them to the SDK, which reads the process's
 * environment, not the CLI's injected one: both get them.
 */
async function withCredentials<T>(credentials: { accessKeyId: string; secretAccessKey: string }, run: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  try {
    return await run({ AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey });
  } finally {
    for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('the operator policy', () => {
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 10, 24, 9, 0, 0) });
  const stack = useLocalStack({ clock });

  it('lets explain, ledger, redrive and sweep do their work, and a Lambda role may not do the same', async () => {
    // Not watched by the stack's config (orders-), so only the operator acts on it.
    const stateMachineArn = await createStateMachine(stack(), 'billing-nightly', FAILS);
    const executionArn = (await stack().clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'invoice-1' }))).executionArn!;
    await stack().settle();
    const flags = localFlags(stack());
    const env = { [RUNTIME_ENV.intakeQueueUrl]: stack().env[RUNTIME_ENV.intakeQueueUrl], [RUNTIME_ENV.alertTopicArn]: stack().env[RUNTIME_ENV.alertTopicArn] };

    const explain = await cli(['explain', executionArn, ...flags, '--output', 'json'], { clock });
    expect([explain.code, explain.stderr]).toEqual([0, '']);
    expect(JSON.parse(explain.stdout)).toMatchObject({ executionArn });
    // redrive reports its pace and progress on stderr.
    const redrive = await cli(['redrive', ...flags, '--state-machine', stateMachineArn, '--reason', 'INC-9', '--yes', '--output', 'json'], { clock });
    expect(redrive.code).toBe(0);
    expect(JSON.parse(redrive.stdout).run).toMatchObject({ redriven: 1, errors: 0 });
    const ledger = await cli(['ledger', ...flags, '--state-machine', stateMachineArn, '--since', '1h', '--output', 'json'], { clock });
    expect([ledger.code, ledger.stderr]).toEqual([0, '']);
    expect(JSON.parse(ledger.stdout).stateMachines[0]).toMatchObject({ executions: 1, byPhase: { REDRIVEN: 1 } });
    const sweep = await cli(['sweep', ...flags, '--config', 'sweep.config.json', '--output', 'json'], { clock, env });
    expect([sweep.code, sweep.stderr]).toEqual([0, '']);

    const asSweepLambda = await withCredentials(LAMBDA_CREDENTIALS.sweep, (credentials) => cli(['ledger', ...flags, '--state-machine', stateMachineArn, '--since', '1h'], { clock, env: credentials }));
    expect(asSweepLambda.code).toBe(2);
    expect(asSweepLambda.stderr).toContain(
      'Missing permission: your credentials may not call dynamodb:Query (User: arn:aws:sts::123456789012:assumed-role/sfn-autoredrive-sweep-role/sfn-autoredrive-sweep is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:123456789012:table/sfn-autoredrive-ledger/index/byStateMachine',
    );
  });
});

it("SNS's refusal (AuthorizationError in its Query protocol) is a missing permission like the others", () => {
  const refusal = Object.assign(new Error('User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: SNS:Publish on resource: arn:aws:sns:us-east-1:123456789012:alerts'), {
    name: 'AuthorizationErrorException',
  });
  expect(toCliError(refusal)).toMatchObject({ exitCode: EXIT.usage, message: expect.stringMatching(/^Missing permission: your credentials may not call .*SNS:Publish/) });
});

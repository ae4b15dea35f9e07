/**
 * The worker as esbuild emits it for the Lambda (a real `cdk synth` with bundling), loaded in a fresh
 * Node process and handed one SQS batch against the local stack. This catches bundling mistakes that
 * in-process tests cannot see: a missing module, a top-level side effect, an env var read too early.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateStateMachineCommand, DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { App } from 'aws-cdk-lib';
import type { SQSEvent } from 'aws-lambda';
import { LAMBDA_NODE_OPTIONS } from '../../lib/auto-redrive';
import { AutoRedriveStack } from '../../lib/auto-redrive-stack';
import { VirtualClock } from '../../local/clock';
import { LocalStack } from '../../local/stack';

const run = promisify(execFile);
const CONFIG = {
  watch: { stateMachineNamePrefixes: ['orders-'] },
  backoff: { initialDelaySeconds: 0, maxDelaySeconds: 1 },
  alerts: { acknowledgeNoDestination: 'bundle test: nobody reads its alerts' },
};

type TemplateResource = { Type: string; Properties: { Description?: string }; Metadata?: Record<string, string> };

function synthWorkerAsset(outdir: string): string {
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  new AutoRedriveStack(app, 'BundleTest', { config: CONFIG });
  const template = app.synth().getStackByName('BundleTest').template as { Resources: Record<string, TemplateResource> };
  const worker = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && /worker/i.test(r.Properties.Description ?? ''));
  const assetPath = worker?.Metadata?.['aws:asset:path'];
  if (!assetPath) throw new Error('the worker function has no asset path in the synthesized template');
  return path.join(outdir, assetPath, 'index.js');
}

describe('bundled worker', () => {
  let stack: LocalStack;
  let outdir: string;

  beforeAll(async () => {
    outdir = mkdtempSync(path.join(tmpdir(), 'sfn-autoredrive-bundle-'));
    stack = await LocalStack.start({ clock: new VirtualClock(), slack: false, config: CONFIG, mockConfig: {
      StateMachines: { 'orders-flow': { TestCases: { Flaky: { Charge: 'FailsOnce' } } } },
      MockedResponses: { FailsOnce: { '0': { Throw: { Error: 'Timeout', Cause: 'gateway' } }, '1': { Return: { ok: true } } } },
    } });
    // The in-process worker stays off: the bundle is the only consumer in this test.
    await stack.worker.stop();
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(outdir, { recursive: true, force: true });
  });

  it('loads in a fresh node process and redrives one failed execution end to end', async () => {
    const bundle = synthWorkerAsset(outdir);
    expect(existsSync(bundle)).toBe(true);

    const sfn = stack.clients.sfn;
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
      name: 'orders-flow', roleArn: 'arn:aws:iam::123456789012:role/x',
      definition: JSON.stringify({ StartAt: 'Charge', States: { Charge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } }),
    }));
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}#Flaky`, name: 'order-1', input: '{}' }));
    await stack.sfn.waitForIdle();
    const [message] = stack.intakeQueue.receiveNow();
    expect(message).toBeDefined();
    const event: SQSEvent = {
      Records: [{
        messageId: message.messageId, receiptHandle: message.receiptHandle, body: message.body, md5OfBody: '', eventSource: 'aws:sqs',
        eventSourceARN: stack.intakeQueue.arn, awsRegion: 'us-east-1', messageAttributes: {},
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
      }],
    };

    const invoke = `
      const { handler } = require(${JSON.stringify(bundle)});
      const context = { invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:worker', awsRequestId: 'r1', functionName: 'worker', getRemainingTimeInMillis: () => 60000 };
      handler(JSON.parse(process.env.TEST_EVENT), context).then((r) => process.stdout.write('RESULT ' + JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
    const { stdout } = await run(process.execPath, ['-e', invoke], {
      env: {
        PATH: process.env.PATH,
        // The Lambda runtime provides the AWS SDK; here the project's node_modules stands in for it.
        NODE_PATH: path.join(__dirname, '..', '..', 'node_modules'),
        POWERTOOLS_LOG_LEVEL: 'WARN',
        NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
        ...stack.sdkEnvironment(),
        TEST_EVENT: JSON.stringify(event),
      },
    });
    const result = JSON.parse(stdout.slice(stdout.indexOf('RESULT ') + 'RESULT '.length));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ redriveCount: 1 });
    expect(await stack.ledger.get(executionArn!)).toMatchObject({ phase: 'REDRIVEN', attemptsUsed: 1 });
  });

  it('names source files and lines in a stack trace, through the source map shipped beside it', async () => {
    const bundle = synthWorkerAsset(outdir);
    // Without its environment the worker throws a ConfigError from core/config.ts on the first invocation.
    const invoke = `
      const { handler } = require(${JSON.stringify(bundle)});
      Promise.resolve().then(() => handler({ Records: [] }, {})).catch((e) => process.stdout.write('STACK ' + e.stack));`;
    const env = { PATH: process.env.PATH, NODE_PATH: path.join(__dirname, '..', '..', 'node_modules') };
    const mapped = await run(process.execPath, ['-e', invoke], { env: { ...env, NODE_OPTIONS: LAMBDA_NODE_OPTIONS } });
    expect(mapped.stdout).toMatch(/at configFromEnv \(.*core[\\/]config\.ts:\d+:\d+\)/);
    const unmapped = await run(process.execPath, ['-e', invoke], { env });
    expect(unmapped.stdout).not.toContain('config.ts');
  });
});

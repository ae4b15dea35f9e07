/**
 * The Slack notifier against the local Secrets Manager endpoint and the local Slack receiver, over HTTP.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSEvent } from 'aws-lambda';
import { RUNTIME_ENV } from '../../adapters/runtime-env';
import { buildExecutionAlert, type Alert } from '../../core/alerts';
import { CONFIG_ENV_VAR } from '../../core/config';
import { createNotifierHandler } from '../../lambda/slack-notifier';
import { RealClock } from '../../local/clock';
import { LocalAwsEndpoints } from '../../local/fabric/aws-endpoints';
import { LocalSlackReceiver } from '../../local/fabric/slack-receiver';
import { config, evidence, NOW_MS } from '../support/fixtures';

const SECRET = 'team/slack-webhook';
const clock = new RealClock();
let aws: LocalAwsEndpoints;
let slack: LocalSlackReceiver;
let logLines: string[];

beforeAll(async () => {
  aws = await LocalAwsEndpoints.start({ clock });
  slack = await LocalSlackReceiver.start({ clock });
});
afterAll(async () => {
  await aws.stop();
  await slack.stop();
});
beforeEach(() => {
  slack.posts.length = 0;
  aws.secrets.put(SECRET, slack.url);
  logLines = [];
});

function notifier(overrides: Record<string, string> = {}) {
  const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });
  // Capture what Powertools prints (errors go to stderr), to prove the webhook URL never reaches a log line.
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logLines.push(String(chunk));
      return true;
    });
  }
  return createNotifierHandler({
    clock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    env: { [CONFIG_ENV_VAR]: JSON.stringify(config()), [RUNTIME_ENV.slackSecretId]: SECRET, ...overrides },
    secrets: new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ ...aws.clientConfig() }) }),
    logger,
  });
}

afterEach(() => jest.restoreAllMocks());

const alert = (name: string): Alert =>
  buildExecutionAlert('GAVE_UP', evidence({ executionName: name, executionArn: `arn:aws:states:us-east-1:123456789012:execution:Orders-Process:${name}` }), 'MAX_ATTEMPTS_REACHED', '3 of 3 attempts used', 3, config(), NOW_MS);

function sqsEvent(messages: unknown[]): SQSEvent {
  return {
    Records: messages.map((message, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body: JSON.stringify({ Type: 'Notification', MessageId: `n${i}`, TopicArn: 't', Message: JSON.stringify(message), Timestamp: new Date().toISOString() }),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 's', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:alerts',
      awsRegion: 'us-east-1',
    })),
  };
}

it('posts each alert as a Block Kit message with what on-call needs, one per second', async () => {
  const result = await notifier()(sqsEvent([alert('order-1'), alert('order-2')]));
  expect(result.batchItemFailures).toEqual([]);
  expect(slack.posts).toHaveLength(2);
  const text = JSON.stringify(slack.posts[0].blocks);
  for (const expected of ['Gave up redriving: order-1', 'PaymentGatewayTimeout', '3 used, 0 left', 'Open in the Step Functions console']) {
    expect(text).toContain(expected);
  }
  expect(slack.posts[1].receivedAtMs - slack.posts[0].receivedAtMs).toBeGreaterThanOrEqual(1000);
});

it('turns a storm into one digest grouped by kind and state machine', async () => {
  const alerts = Array.from({ length: 8 }, (_, i) => alert(`order-${i}`));
  await notifier()(sqsEvent(alerts));
  expect(slack.posts).toHaveLength(1);
  expect(slack.posts[0].text).toBe('8 sfn-autoredrive alerts');
  expect(JSON.stringify(slack.posts[0].blocks)).toContain('8× GAVE_UP');
});

it('waits out a 429 Retry-After and then delivers', async () => {
  slack.rejectNext(1, 1);
  const before = slack.counters.rateLimited;
  const result = await notifier()(sqsEvent([alert('order-9')]));
  expect(result.batchItemFailures).toEqual([]);
  expect(slack.counters.rateLimited - before).toBe(1);
  expect(slack.posts).toHaveLength(1);
});

it('reports CloudWatch alarms as pipeline errors', async () => {
  await notifier()(sqsEvent([{ AlarmName: 'SfnAutoRedrive-IntakeDlqNotEmpty', NewStateValue: 'ALARM', NewStateReason: 'Threshold Crossed' }]));
  expect(slack.posts[0].text).toContain('pipeline error');
  expect(JSON.stringify(slack.posts[0].blocks)).toContain('SfnAutoRedrive-IntakeDlqNotEmpty is ALARM');
});

it('fails the whole batch for a retry when the secret holds no URL, and never logs the URL', async () => {
  aws.secrets.put(SECRET, 'not a url');
  const result = await notifier()(sqsEvent([alert('a'), alert('b')]));
  expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }]);
  expect(slack.posts).toHaveLength(0);
  aws.secrets.put(SECRET, slack.url);
  slack.rejectNext(10, 1);
  // A webhook that keeps answering 429 exhausts the tries; the message goes back to the queue.
  const failing = await notifier()(sqsEvent([alert('c')]));
  expect(failing.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
  expect(logLines.length).toBeGreaterThan(0);
  expect(logLines.join('\n')).not.toContain(slack.url);
  expect(logLines.join('\n')).not.toContain('/services/');
});

/**
 * The Slack notifier against the local Secrets Manager endpoint, the local Slack receiver (over HTTP)
 * and DynamoDB Local (claims, posted marks and the shared rate gate).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { RUNTIME_ENV } from '../../adapters/runtime-env';
import { buildExecutionAlert, type Alert } from '../../core/alerts';
import { CONFIG_ENV_VAR, type AutoRedriveConfigInput } from '../../core/config';
import { createNotifierHandler } from '../../lambda/slack-notifier';
import { RealClock } from '../../local/clock';
import { LocalAwsEndpoints } from '../../local/fabric/aws-endpoints';
import { LocalSlackReceiver } from '../../local/fabric/slack-receiver';
import { useDynamoDbLocal } from '../support/dynamo';
import { config, evidence, NOW_MS } from '../support/fixtures';
import { HOSTILE_CAUSES, markupProblems } from '../support/slack-markup';

const SECRET = 'team/slack-webhook';
const clock = new RealClock();
const dynamoHarness = useDynamoDbLocal();
let aws: LocalAwsEndpoints;
let slack: LocalSlackReceiver;
let logLines: string[];
let ledger: { doc: DynamoDBDocumentClient; tableName: string };

beforeAll(async () => {
  aws = await LocalAwsEndpoints.start({ clock });
  slack = await LocalSlackReceiver.start({ clock });
});
afterAll(async () => {
  await aws.stop();
  await slack.stop();
});
beforeEach(async () => {
  slack.posts.length = 0;
  slack.enforceRateLimit(undefined);
  slack.rejectNext(0);
  aws.secrets.put(SECRET, slack.url);
  logLines = [];
  // A fresh table per test: posted marks and the rate gate start empty.
  ledger = await dynamoHarness.newLedger();
});

function notifier(overrides: { fetchImpl?: typeof fetch; config?: AutoRedriveConfigInput } = {}) {
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
    env: {
      [CONFIG_ENV_VAR]: JSON.stringify(config(overrides.config)),
      [RUNTIME_ENV.slackSecretId]: SECRET,
      [RUNTIME_ENV.ledgerTableName]: ledger.tableName,
      [RUNTIME_ENV.slackResponseUrlPrefix]: slack.responseUrlPrefix,
    },
    secrets: new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ ...aws.clientConfig() }) }),
    dynamo: ledger.doc,
    logger,
    fetchImpl: overrides.fetchImpl,
  });
}

afterEach(() => jest.restoreAllMocks());

const alert = (name: string): Alert =>
  buildExecutionAlert('GAVE_UP', evidence({ executionName: name, executionArn: `arn:aws:states:us-east-1:123456789012:execution:Orders-Process:${name}` }), 'MAX_ATTEMPTS_REACHED', '3 of 3 attempts used', 3, config(), NOW_MS);

/** Records as SNS delivers them to SQS; `snsIds` names the notifications (default: one each). */
function sqsEvent(messages: unknown[], snsIds = messages.map((_, i) => `n${i}`)): SQSEvent {
  return {
    Records: messages.map((message, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body: JSON.stringify({ Type: 'Notification', MessageId: snsIds[i], TopicArn: 't', Message: JSON.stringify(message), Timestamp: new Date().toISOString() }),
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

/** A Lambda context whose deadline is `remainingMs` from now. */
function contextWith(remainingMs: number, awsRequestId: string): Context {
  const deadlineMs = Date.now() + remainingMs;
  return { awsRequestId, getRemainingTimeInMillis: () => deadlineMs - Date.now() } as Context;
}

const postedNames = () => slack.posts.map((post) => /Gave up redriving: ([\w-]+)/.exec(post.text ?? '')?.[1]);

it('posts hostile error, cause and detail text as text: no mention, no link, no forged field', async () => {
  const hostile = HOSTILE_CAUSES.map((cause, i) => ({ ...alert(`order-${i}`), error: cause, cause }));
  const pipeline = { kind: 'PIPELINE_ERROR', reason: 'PIPELINE_ERROR', detail: 'alarm <!channel> is ALARM: <http://x|y>', atMs: NOW_MS };
  // Three at a time, under the digest threshold: each posted on its own.
  for (let i = 0; i < hostile.length; i += 3) await notifier()(sqsEvent(hostile.slice(i, i + 3), [0, 1, 2].map((j) => `h${i + j}`)));
  await notifier()(sqsEvent([pipeline], ['p0']));
  // And all of them in one digest.
  await notifier()(sqsEvent([...hostile, pipeline]));
  expect(slack.posts).toHaveLength(hostile.length + 2);
  for (const post of slack.posts) expect(markupProblems(post.payload)).toEqual([]);
  const raw = JSON.stringify(slack.posts.map((post) => post.payload));
  for (const needle of ['<!channel>', '<!here>', '<!everyone>', '<@U123>', '<#C123>', '<http://x|y>', '<!subteam']) expect(raw).not.toContain(needle);
  expect(raw).toContain('&amp;lt;b&amp;gt;');
});

it('after a 429 and a redelivery, posts each alert exactly once', async () => {
  // The second post gets 429 Retry-After 3 s, which the invocation's deadline cannot wait out: before,
  // the notifier waited anyway, was cut off by its timeout and the whole batch came back and was posted again.
  let calls = 0;
  const fetchImpl: typeof fetch = (input, init) => {
    if (++calls === 2) slack.rejectNext(1, 3);
    return fetch(input, init);
  };
  const event = sqsEvent([alert('order-a'), alert('order-b')]);
  const first = await notifier({ fetchImpl })(event, contextWith(9000, 'first'));
  expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  expect(postedNames()).toEqual(['order-a']);
  expect(slack.counters.rateLimited).toBeGreaterThan(0);

  // SQS hands the same batch back (as after a timeout): order-a is acknowledged without a post.
  const again = await notifier()(event, contextWith(60_000, 'second'));
  expect(again.batchItemFailures).toEqual([]);
  const third = await notifier()(event, contextWith(60_000, 'third'));
  expect(third.batchItemFailures).toEqual([]);
  expect(postedNames()).toEqual(['order-a', 'order-b']);
});

it('posts a copy SNS delivered twice once, and hands back an alert another invocation is posting', async () => {
  const copies = await notifier()(sqsEvent([alert('order-c'), alert('order-c')], ['same', 'same']));
  expect(copies.batchItemFailures).toEqual([]);
  expect(postedNames()).toEqual(['order-c']);

  // An invocation still posting holds its claims: a concurrent copy goes back to the queue, unposted.
  let releaseSlack!: () => void;
  const slow: typeof fetch = async (input, init) => {
    await new Promise<void>((resolve) => (releaseSlack = resolve));
    return fetch(input, init);
  };
  const event = sqsEvent([alert('order-d')], ['d']);
  const running = notifier({ fetchImpl: slow })(event, contextWith(60_000, 'running'));
  while (!releaseSlack) await new Promise((resolve) => setTimeout(resolve, 10));
  const concurrent = await notifier()(event, contextWith(60_000, 'concurrent'));
  expect(concurrent.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
  releaseSlack();
  expect((await running).batchItemFailures).toEqual([]);
  expect(postedNames()).toEqual(['order-c', 'order-d']);
});

it('two concurrent invocations share one rate gate: Slack sees one post per second', async () => {
  slack.enforceRateLimit({ messagesPerSecond: 1 });
  // The receiver counts Slack's second from the last post it accepted, in an earlier test too.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const rateLimitedBefore = slack.counters.rateLimited;
  const batch = (prefix: string) => sqsEvent([1, 2, 3].map((i) => alert(`${prefix}-${i}`)), [1, 2, 3].map((i) => `${prefix}${i}`));
  const results = await Promise.all([notifier()(batch('east'), contextWith(60_000, 'a')), notifier()(batch('west'), contextWith(60_000, 'b'))]);
  expect(results.flatMap((r) => r.batchItemFailures)).toEqual([]);
  expect(slack.counters.rateLimited - rateLimitedBefore).toBe(0);
  expect(slack.posts).toHaveLength(6);
  const gaps = slack.posts.slice(1).map((post, i) => post.receivedAtMs - slack.posts[i].receivedAtMs);
  for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(990);
}, 30_000);

describe('approvals in Slack', () => {
  const APPROVALS = { approvals: { slackSigningSecretName: 'team/slack-signing', allowedSlackUserIds: ['U024BE7LH'] } };
  const ask = (name: string): Alert => ({
    ...buildExecutionAlert('APPROVAL_NEEDED', evidence({ executionName: name, executionArn: `arn:aws:states:us-east-1:123456789012:execution:Orders-Process:${name}` }), 'APPROVAL_REQUIRED', 'approve', 0, config(), NOW_MS),
    generation: 0,
  });
  const decided = (responseUrl: string): Alert => ({
    ...buildExecutionAlert('APPROVAL_DECIDED', evidence(), 'ELIGIBLE', 'approved redrive', 1, config(), NOW_MS),
    decision: { verdict: 'APPROVED', by: 'U024BE7LH', byName: 'alice', via: 'slack', decidedAtMs: NOW_MS, outcome: 'REDRIVEN' },
    responseUrl,
  });

  it('posts approval requests one by one, with their buttons, even in a storm that is digested', async () => {
    const result = await notifier({ config: APPROVALS })(sqsEvent([...Array.from({ length: 6 }, (_, i) => alert(`gave-up-${i}`)), ask('order-a')]));
    expect(result.batchItemFailures).toEqual([]);
    expect(slack.posts.map((p) => p.text)).toEqual(['Approve redrive?: order-a', '6 sfn-autoredrive alerts']);
    expect(JSON.stringify(slack.posts[0].blocks)).toContain('"action_id":"sfn-autoredrive.redrive"');
  });

  it('replaces the clicked message through its response_url', async () => {
    const responseUrl = slack.issueResponseUrl();
    await notifier({ config: APPROVALS })(sqsEvent([decided(responseUrl)]));
    expect(slack.posts).toHaveLength(1);
    expect(slack.posts[0]).toMatchObject({ responseUrl, payload: { replace_original: true } });
    expect(JSON.stringify(slack.posts[0].blocks)).toContain('Redrive approved by @alice (U024BE7LH) via slack');
  });

  it('posts a new message when the response_url is used up, or points elsewhere', async () => {
    const usedUp = slack.issueResponseUrl();
    for (let i = 0; i < 5; i++) await fetch(usedUp, { method: 'POST', body: JSON.stringify({ text: 'earlier use' }) });
    slack.posts.length = 0;
    await notifier({ config: APPROVALS })(sqsEvent([decided(usedUp), decided('https://attacker.example/hook')]));
    expect(slack.posts.map((p) => [p.responseUrl, p.payload.replace_original])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);
  });
});

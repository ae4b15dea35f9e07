/**
 * An alert storm on the local stack: 500 alerts published to the alert topic at once, the local Slack
 * receiver holding the notifier to one post per second, and refusing the first six posts with 429 on
 * top (so at least one batch exhausts its three tries and goes back to the queue). Every alert reaches Slack in a post
 * or a digest that lists it in the order raised, exactly once, and none is dead-lettered. (The
 * notifier's two instances share one rate gate and claim each alert before posting.)
 *
 * Order between posts is not promised: the two instances take interleaved batches from a standard
 * queue, and a batch handed back comes after later ones (see docs/ARCHITECTURE.md).
 */
import { SnsAlertPublisher } from '../../adapters/alert-publisher';
import { buildExecutionAlert } from '../../core/alerts';
import { parseConfig } from '../../core/config';
import { LOCAL_NAMES } from '../../local/stack';
import { evidence } from '../support/fixtures';
import { FAULT_CONFIG, startFaultStack, type FaultStack } from './support/fault-stack';

let fault: FaultStack;

beforeAll(async () => {
  fault = await startFaultStack();
}, 60_000);

afterAll(async () => {
  await fault?.stack.stop();
});

const STORM = 500;

it('an alert storm of 500 reaches Slack: every alert in a post or a digest, in order within it, none dead-lettered, none posted twice', async () => {
  const { stack, clock } = fault;
  const slack = stack.slack!;
  slack.enforceRateLimit({ messagesPerSecond: 1 });
  slack.rejectNext(6, 2);
  const publisher = new SnsAlertPublisher(stack.clients.sns, stack.alertTopicArn);
  const names = Array.from({ length: STORM }, (_, i) => `storm-${String(i).padStart(3, '0')}`);
  const startMs = clock.nowMs();
  const config = parseConfig(FAULT_CONFIG);
  for (const [i, name] of names.entries()) {
    const ev = evidence({ executionName: name, executionArn: `arn:aws:states:us-east-1:123456789012:execution:orders-fulfil:${name}`, stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:orders-fulfil' });
    await publisher.publish(buildExecutionAlert('GAVE_UP', ev, 'MAX_ATTEMPTS_REACHED', '2 of 2 attempts used', 2, config, startMs + i));
  }

  await stack.runUntilQuiet();

  // Which storm alerts each post names, in the order it names them.
  const posts = slack.posts.map((post) => [...JSON.stringify(post.payload).matchAll(/storm-\d{3}/g)].map((m) => m[0]).filter((name, i, all) => all.indexOf(name) === i));
  const posted = posts.flat();
  expect(posted.length).toBe(STORM);
  // None posted twice, none missing.
  expect(new Set(posted).size).toBe(STORM);
  expect([...posted].sort()).toEqual(names);
  // Each post lists its alerts in the order they were raised.
  for (const post of posts) expect(post).toEqual([...post].sort());
  // A storm is posted as a few digests, one per second at most.
  expect(posts.length).toBeLessThan(20);
  for (let i = 1; i < slack.posts.length; i++) expect(slack.posts[i].receivedAtMs - slack.posts[i - 1].receivedAtMs).toBeGreaterThanOrEqual(1000);
  // The six 429s were answered; a batch they stopped went back to the queue and came again.
  expect(slack.counters.rateLimited).toBe(6);
  expect(stack.notifier!.counters.messagesFailed).toBeGreaterThan(0);

  // Nothing left behind or dead-lettered.
  for (const name of [LOCAL_NAMES.alertsQueue, LOCAL_NAMES.alertsDlq]) {
    expect(stack.aws.sqs.queue(name)!.depth()).toMatchObject({ visible: 0, inFlight: 0, delayed: 0 });
  }
}, 180_000);

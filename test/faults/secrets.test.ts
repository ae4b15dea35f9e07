/**
 * The Slack webhook URL is a secret. With every log at DEBUG, a storm that raises every kind of alert
 * (gave up, non-retryable, a pipeline error before the DLQ) and Slack answering 429, the URL never
 * appears in a log line, an alert, a Slack post or a dead letter.
 */
import { SLACK_WEBHOOK_PATH } from '../../local/fabric/slack-receiver';
import { auditFailures } from './support/accounting';
import { captureLogs, type CapturedLogs } from './support/log-capture';
import { startFaultStack, type FaultStack } from './support/fault-stack';

let fault: FaultStack;
let logs: CapturedLogs;

beforeAll(async () => {
  logs = captureLogs();
  fault = await startFaultStack({ logLevel: 'DEBUG', config: { worker: { maxReceiveCount: 2 } } });
});

afterAll(async () => {
  await fault?.stack.stop();
  logs.restore();
});

it('never writes the webhook URL anywhere', async () => {
  const { stack, startExecutions } = fault;
  const executions = [...(await startExecutions('Permanent', 3)), ...(await startExecutions('NonRetryable', 3))];
  stack.slack!.rejectNext(2, 2);
  await stack.runUntilQuiet();
  // A Step Functions outage fails one message on every delivery: its last try raises a PIPELINE_ERROR
  // alert (quoting the error) before the message moves to the DLQ.
  stack.sfn.setFaults({ forcedErrors: { RedriveExecution: { code: 'ServiceUnavailable', count: 1_000 } } });
  const [outageVictim] = await startExecutions('Transient', 1, 'outage');
  await stack.runUntilQuiet();
  stack.sfn.setFaults({ forcedErrors: {} });

  const audit = await auditFailures(stack, [...executions, outageVictim]);
  expect(audit.violations).toEqual([]);
  expect(new Set(stack.alerts.map((a) => a.kind))).toEqual(new Set(['GAVE_UP', 'SKIPPED_NON_RETRYABLE', 'PIPELINE_ERROR']));
  expect(stack.slack!.counters.rateLimited).toBe(2);
  expect(stack.slack!.posts.length).toBeGreaterThan(0);

  const url = stack.slack!.url;
  const places = {
    logs: logs.lines().join('\n'),
    alerts: JSON.stringify(stack.alerts),
    slackPosts: JSON.stringify(stack.slack!.posts),
    deadLetters: audit.deadLetters.join('\n'),
  };
  expect(places.logs.length).toBeGreaterThan(1000);
  for (const [place, text] of Object.entries(places)) {
    expect({ place, leaksUrl: text.includes(url) || text.includes(SLACK_WEBHOOK_PATH) }).toEqual({ place, leaksUrl: false });
  }
});

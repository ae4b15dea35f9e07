import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SnsAlertPublisher } from '../../adapters/alert-publisher';
import { IntakeQueue } from '../../adapters/intake-queue';
import { parseIntakeMessage } from '../../core/messages';
import { sweep } from '../../engine/sweep';
import { ACCOUNT, config, evidence, executionArn, NOW_MS, REGION, STATE_MACHINE_ARN } from '../support/fixtures';
import { useDynamoDbLocal } from '../support/dynamo';

const harness = useDynamoDbLocal();
const sfnMock = mockClient(SFNClient);
const sqsMock = mockClient(SQSClient);
const snsMock = mockClient(SNSClient);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const HOUR_MS = 3_600_000;

beforeEach(() => {
  sfnMock.reset();
  sqsMock.reset();
  snsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({});
  snsMock.on(PublishCommand).resolves({});
  sfnMock.on(ListStateMachinesCommand).resolves({
    stateMachines: [
      { stateMachineArn: STATE_MACHINE_ARN, name: 'Orders-Process', type: 'STANDARD', creationDate: new Date() },
      { stateMachineArn: STATE_MACHINE_ARN.replace('Orders-Process', 'Billing'), name: 'Billing', type: 'STANDARD', creationDate: new Date() },
      { stateMachineArn: STATE_MACHINE_ARN.replace('Orders-Process', 'Orders-Express'), name: 'Orders-Express', type: 'EXPRESS', creationDate: new Date() },
    ],
  });
});

const item = (name: string, stopAgoMs: number, redriveCount = 0) => ({
  executionArn: executionArn(name),
  stateMachineArn: STATE_MACHINE_ARN,
  name,
  status: 'FAILED' as const,
  startDate: new Date(NOW_MS - stopAgoMs - 1000),
  stopDate: new Date(NOW_MS - stopAgoMs),
  redriveCount,
});

it('enqueues failures with no ledger entry for their generation, warns once about closing windows, and leaves handled ones alone', async () => {
  const { ledger } = await harness.newLedger();
  // handled: gen 0 redriven. stale: ledger at gen 0, execution now failed at gen 1. closing: skipped, 10 h left.
  await ledger.transition({ evidence: evidence({ executionArn: executionArn('handled') }), generation: 0, expect: { newGeneration: true }, phase: 'REDRIVEN', reason: 'ELIGIBLE', nowMs: NOW_MS });
  await ledger.transition({ evidence: evidence({ executionArn: executionArn('stale') }), generation: 0, expect: { newGeneration: true }, phase: 'REDRIVEN', reason: 'ELIGIBLE', nowMs: NOW_MS });
  const closingStop = NOW_MS - 14 * 24 * HOUR_MS + 10 * HOUR_MS;
  await ledger.transition({ evidence: evidence({ executionArn: executionArn('closing'), stopDateMs: closingStop }), generation: 0, expect: { newGeneration: true }, phase: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR', nowMs: NOW_MS });
  sfnMock.on(ListExecutionsCommand, { statusFilter: 'FAILED' }).resolves({
    executions: [item('missed', HOUR_MS), item('handled', 2 * HOUR_MS), item('stale', 3 * HOUR_MS, 1), item('closing', NOW_MS - closingStop), item('too-old', 15 * 24 * HOUR_MS)],
  });
  // Reaching the horizon in FAILED must not end the listing: TIMED_OUT is listed on its own.
  sfnMock.on(ListExecutionsCommand, { statusFilter: 'TIMED_OUT' }).resolves({ executions: [{ ...item('timed-out', HOUR_MS), status: 'TIMED_OUT' }] });

  const run = () =>
    sweep({
      config: config(),
      clock: { nowMs: () => NOW_MS },
      sfn: new SFNClient({ region: REGION }),
      ledger,
      alerts: new SnsAlertPublisher(new SNSClient({ region: REGION }), 'arn:aws:sns:us-east-1:123456789012:t'),
      logger: silent,
      home: { partition: 'aws', region: REGION, account: ACCOUNT },
      handOver: { queue: new IntakeQueue(new SQSClient({ region: REGION }), 'http://q/intake', 'http://q/dlq') },
    });
  const report = await run();

  expect(report.stateMachines).toEqual([STATE_MACHINE_ARN]);
  expect(report.listed).toBe(5);
  expect(report.missed).toEqual([executionArn('missed'), executionArn('stale'), executionArn('timed-out')]);
  const enqueued = sqsMock.commandCalls(SendMessageCommand).map((c) => parseIntakeMessage(c.args[0].input.MessageBody!));
  expect(enqueued.map((m) => (m.type === 'event' ? [m.event.detail.name, m.event.detail.redriveCount] : null))).toEqual([['missed', 0], ['stale', 1], ['timed-out', 0]]);
  expect(report.windowClosing).toEqual([{ executionArn: executionArn('closing'), windowLeftMs: 10 * HOUR_MS, alerted: true }]);
  const alert = JSON.parse(JSON.parse(snsMock.commandCalls(PublishCommand)[0].args[0].input.Message!).default);
  expect(alert).toMatchObject({ kind: 'WINDOW_CLOSING', executionName: 'closing', reason: 'WINDOW_CLOSING' });

  // A second sweep re-reports the closing window but does not alert again.
  const again = await run();
  expect(again.windowClosing[0].alerted).toBe(false);
  expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
});

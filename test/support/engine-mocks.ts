/** The SDK mocks an engine test needs, reset before each test to a redrive AWS accepts. */
import { RedriveExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsAlertPublisher } from '../../adapters/alert-publisher';
import { IntakeQueue } from '../../adapters/intake-queue';
import type { Ledger } from '../../adapters/ledger';
import type { Clock } from '../../core/clock';
import type { AutoRedriveConfig } from '../../core/config';
import { RedriveEngine } from '../../engine/redrive-engine';
import { ACCOUNT, NOW_MS, REGION } from './fixtures';

export function useEngineMocks() {
  const sfnMock = mockClient(SFNClient);
  const sqsMock = mockClient(SQSClient);
  const snsMock = mockClient(SNSClient);
  beforeEach(() => {
    sfnMock.reset();
    sqsMock.reset();
    snsMock.reset();
    sfnMock.on(RedriveExecutionCommand).resolves({ redriveDate: new Date(NOW_MS) });
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm' });
    snsMock.on(PublishCommand).resolves({ MessageId: 'p' });
  });
  return { sfnMock, sqsMock, snsMock };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** The worker's engine on a real ledger, with the mocked Step Functions, SQS and SNS clients. */
export function workerEngine(ledger: Ledger, config: AutoRedriveConfig, clock: Clock): RedriveEngine {
  return new RedriveEngine({
    config,
    clock,
    sfn: new SFNClient({ region: REGION }),
    ledger,
    queue: new IntakeQueue(new SQSClient({ region: REGION }), 'http://q/intake', 'http://q/dlq'),
    alerts: new SnsAlertPublisher(new SNSClient({ region: REGION }), `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`),
    logger: silent,
    metrics: { count() {} },
    home: { partition: 'aws', region: REGION, account: ACCOUNT },
    actor: 'worker',
  });
}

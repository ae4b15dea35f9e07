/** The SDK mocks an engine test needs, reset before each test to a redrive AWS accepts. */
import { RedriveExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { NOW_MS } from './fixtures';

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

/**
 * AWS SDK v3 clients as every entry point builds them. Endpoints come from the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables or from `endpoints`, so the same code talks to AWS or to the
 * local stack. Retries use the SDK's own modes: adaptive (client-side rate limiting on throttling)
 * for Step Functions, standard elsewhere.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

export interface ClientOptions {
  region?: string;
  endpoints?: Partial<Record<'sfn' | 'dynamodb' | 'sqs' | 'sns', string>>;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Attempts per call, including the first. @default 4 */
  maxAttempts?: number;
}

export interface AwsClients {
  sfn: SFNClient;
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  sns: SNSClient;
}

export function createClients(options: ClientOptions = {}): AwsClients {
  const common = { region: options.region, credentials: options.credentials, maxAttempts: options.maxAttempts ?? 4 };
  return {
    sfn: new SFNClient({ ...common, endpoint: options.endpoints?.sfn, retryMode: 'adaptive' }),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ ...common, endpoint: options.endpoints?.dynamodb, retryMode: 'standard' }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    sqs: new SQSClient({ ...common, endpoint: options.endpoints?.sqs, retryMode: 'standard' }),
    sns: new SNSClient({ ...common, endpoint: options.endpoints?.sns, retryMode: 'standard' }),
  };
}

/** Account, region and resource names of the local stack, shaped like AWS's so ARN parsing code works unchanged. */
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

export function sqsQueueArn(queueName: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT): string {
  return `arn:aws:sqs:${region}:${account}:${queueName}`;
}

export function snsTopicArn(topicName: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT): string {
  return `arn:aws:sns:${region}:${account}:${topicName}`;
}

export function secretArn(secretName: string, suffix: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT): string {
  return `arn:aws:secretsmanager:${region}:${account}:secret:${secretName}-${suffix}`;
}

/** Last segment of an ARN (the queue or topic name). */
export function arnResourceName(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

export function lambdaFunctionArn(functionName: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT): string {
  return `arn:aws:lambda:${region}:${account}:function:${functionName}`;
}

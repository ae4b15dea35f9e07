/** Size of a message as SQS and SNS count it against their limits. */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

/** UTF-8 bytes of the body plus each attribute's name, type and value. */
export function messageSizeBytes(body: string, attributes: Record<string, MessageAttributeValue>): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    size += value.BinaryValue ? value.BinaryValue.length : Buffer.byteLength(value.StringValue ?? '');
  }
  return size;
}

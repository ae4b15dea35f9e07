/**
 * MD5 digests SQS returns with each message. The SDK checks MD5OfBody against the body and throws on a
 * mismatch, so these must be exact; MD5OfMessageAttributes follows AWS's documented binary encoding.
 */
import { createHash } from 'node:crypto';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

export function md5Hex(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

const STRING_TRANSPORT = 1;
const BINARY_TRANSPORT = 2;

/** Undefined when there are no attributes, as SQS omits the field then. */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of names) {
    const value = attributes[name];
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(value.DataType ?? '', 'utf8'));
    if (value.BinaryValue !== undefined) {
      parts.push(Buffer.from([BINARY_TRANSPORT]));
      lengthPrefixed(Buffer.from(value.BinaryValue));
    } else {
      parts.push(Buffer.from([STRING_TRANSPORT]));
      lengthPrefixed(Buffer.from(value.StringValue ?? '', 'utf8'));
    }
  }
  return md5Hex(Buffer.concat(parts));
}

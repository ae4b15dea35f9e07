import { createHash } from 'node:crypto';

/**
 * Deterministic RedriveExecution client token for one failure generation of one execution. The worker,
 * a retried worker, the sweep and the bulk CLI all derive the same token, so within the 15-minute token
 * life a repeated call is answered idempotently instead of redriving again.
 * Fits the API's constraints: 1-64 printable ASCII characters.
 */
export function clientTokenFor(executionArn: string, generation: number): string {
  const digest = createHash('sha256').update(`${executionArn}\n${generation}`).digest('hex');
  return `ar-g${generation}-${digest.slice(0, 48)}`;
}

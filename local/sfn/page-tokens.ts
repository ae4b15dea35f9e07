/**
 * Opaque nextToken values: a signed, base64url JSON payload with its issue time. A garbled, foreign
 * or (on the stack clock) 24-hour-old token is InvalidToken.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock';
import { apiErrors } from './errors';

const TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

export class PageTokens {
  private readonly key = randomBytes(16);

  constructor(private readonly clock: Clock) {}

  issue(scope: string, position: unknown): string {
    const body = Buffer.from(JSON.stringify({ scope, position, issuedAtMs: this.clock.nowMs() })).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** The position stored in `token`; `scope` names the listing (API and its filters) it belongs to. */
  read<T>(token: string, scope: string): T {
    const [body, signature] = token.split('.');
    if (!body || signature !== this.sign(body)) throw apiErrors.invalidToken('The token is not valid');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { scope: string; position: T; issuedAtMs: number };
    if (payload.scope !== scope) throw apiErrors.invalidToken('The token does not belong to this request');
    if (this.clock.nowMs() - payload.issuedAtMs > TOKEN_TTL_MS) throw apiErrors.invalidToken('The token has expired');
    return payload.position;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 22);
  }
}

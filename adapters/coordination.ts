/**
 * Coordination items in the ledger table: leases (one sweep at a time; one notifier posting an alert)
 * and the shared Slack rate gate. Each step is one conditional UpdateItem, the operation the Lambdas
 * already hold; items expire through the table's TTL. Conditional writes on one item are serialized by
 * DynamoDB, so of two concurrent takers exactly one wins.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { LEDGER_TABLE } from '../core/ledger-table';
import type { RateGate } from './slack';

export type LeaseOutcome =
  | { taken: true }
  /** `done`: the work the lease guards was completed (an alert already posted). */
  | { taken: false; done: boolean; holder?: string; heldUntilMs?: number };

interface LeaseItem {
  leaseHolder?: string;
  leaseUntilMs?: number;
  doneAtMs?: number;
}

type Expression = Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>;

const NAMES = { '#holder': 'leaseHolder', '#until': 'leaseUntilMs', '#done': 'doneAtMs', '#expires': LEDGER_TABLE.ttlAttribute } as const;

export class Coordination {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Takes the lease `key` for `holder` until `untilMs`, unless it is held past `nowMs` or its work is
   * done. The item expires (TTL) at `expiresAtMs`.
   */
  async takeLease(key: string, holder: string, nowMs: number, untilMs: number, expiresAtMs: number): Promise<LeaseOutcome> {
    const outcome = await this.update(key, {
      UpdateExpression: 'SET #holder = :holder, #until = :until, #expires = :expires',
      ConditionExpression: 'attribute_not_exists(#done) AND (attribute_not_exists(#until) OR #until < :now)',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: { ':holder': holder, ':until': untilMs, ':now': nowMs, ':expires': Math.floor(expiresAtMs / 1000) },
    });
    if (outcome.applied) return { taken: true };
    const item = (outcome.current ?? {}) as LeaseItem;
    return { taken: false, done: item.doneAtMs !== undefined, holder: item.leaseHolder, heldUntilMs: item.leaseUntilMs };
  }

  /** Gives the lease back early; a no-op if it has passed to someone else. */
  async releaseLease(key: string, holder: string): Promise<void> {
    await this.update(key, {
      UpdateExpression: 'REMOVE #until',
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeNames: { '#holder': NAMES['#holder'], '#until': NAMES['#until'] },
      ExpressionAttributeValues: { ':holder': holder },
    });
  }

  /** Records that the guarded work is done: nobody takes the lease again until the item expires. */
  async completeLease(key: string, nowMs: number): Promise<void> {
    await this.update(key, {
      UpdateExpression: 'SET #done = if_not_exists(#done, :now) REMOVE #until',
      ExpressionAttributeNames: { '#done': NAMES['#done'], '#until': NAMES['#until'] },
      ExpressionAttributeValues: { ':now': nowMs },
    });
  }

  /**
   * Takes a turnstile (the Slack rate gate) if it is open at `nowMs`: marks it busy with `ticket` until
   * `busyUntilMs`, when it opens by itself should its taker die. Otherwise says when it opens, and
   * whether a sender is still busy (it may open sooner).
   */
  async takeTurnstile(key: string, ticket: string, nowMs: number, busyUntilMs: number, expiresAtMs: number): Promise<{ taken: true } | { taken: false; opensAtMs: number; busy: boolean }> {
    const outcome = await this.update(key, {
      UpdateExpression: 'SET #opens = :busyUntil, #ticket = :ticket, #expires = :expires',
      ConditionExpression: 'attribute_not_exists(#opens) OR #opens <= :now',
      ExpressionAttributeNames: { '#opens': 'opensAtMs', '#ticket': 'ticket', '#expires': NAMES['#expires'] },
      ExpressionAttributeValues: { ':busyUntil': busyUntilMs, ':ticket': ticket, ':now': nowMs, ':expires': Math.floor(expiresAtMs / 1000) },
    });
    if (outcome.applied) return { taken: true };
    const item = (outcome.current ?? {}) as { opensAtMs?: number; ticket?: string };
    return { taken: false, opensAtMs: Number(item.opensAtMs ?? nowMs), busy: item.ticket !== undefined };
  }

  /** Gives the turnstile back, to open at `opensAtMs`; a no-op if `ticket` no longer holds it. */
  async releaseTurnstile(key: string, ticket: string, opensAtMs: number): Promise<void> {
    await this.update(key, {
      UpdateExpression: 'SET #opens = :opens REMOVE #ticket',
      ConditionExpression: '#ticket = :ticket',
      ExpressionAttributeNames: { '#opens': 'opensAtMs', '#ticket': 'ticket' },
      ExpressionAttributeValues: { ':opens': opensAtMs, ':ticket': ticket },
    });
  }

  /** One conditional UpdateItem; on a failed condition, the item as it was. */
  private async update(key: string, expression: Expression): Promise<{ applied: boolean; current?: Record<string, unknown> }> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [LEDGER_TABLE.partitionKey]: key },
          ...expression,
          ReturnValuesOnConditionCheckFailure: expression.ConditionExpression ? 'ALL_OLD' : undefined,
        }),
      );
      return { applied: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { applied: false, current: error.Item ? unmarshall(error.Item) : undefined };
      throw error;
    }
  }
}

const KEY = LEDGER_TABLE.coordinationKeys.slackRateGate;

/**
 * The Slack rate gate, shared by every notifier instance through the ledger table: one post in flight
 * at a time, and the next one only an interval after its answer (or after a 429's Retry-After). So
 * posts reach Slack at least the interval apart however long each request takes.
 */
export class SharedRateGate implements RateGate {
  constructor(
    private readonly coordination: Coordination,
    private readonly options: { nowMs: () => number; sleep: (ms: number) => Promise<void>; busyMs: number; pollMs: number },
  ) {}

  async acquire(latestStartMs: number): Promise<string | undefined> {
    const { nowMs, sleep, busyMs, pollMs } = this.options;
    const ticket = randomUUID();
    for (;;) {
      const now = nowMs();
      if (now > latestStartMs) return undefined;
      const turn = await this.coordination.takeTurnstile(KEY, ticket, now, now + busyMs, this.expiresAtMs());
      if (turn.taken) return ticket;
      // A busy sender usually answers long before its busy time runs out: look again soon.
      const wakeMs = turn.busy ? Math.min(turn.opensAtMs, now + pollMs) : turn.opensAtMs;
      if (wakeMs > latestStartMs && !turn.busy) return undefined;
      await sleep(Math.max(1, wakeMs - now));
    }
  }

  release(ticket: string, opensAtMs: number): Promise<void> {
    return this.coordination.releaseTurnstile(KEY, ticket, opensAtMs);
  }

  /** The gate item outlives any wait on it by far; TTL only tidies up after the notifier goes quiet. */
  private expiresAtMs(): number {
    return this.options.nowMs() + 86_400_000;
  }
}

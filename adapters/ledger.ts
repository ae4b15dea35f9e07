/**
 * The DynamoDB ledger: one item per execution. Every state change is one conditional write, so of any
 * number of concurrent or repeated deliveries of one failure generation exactly one wins each step.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Decision } from '../core/decide';
import { REDRIVE_WINDOW_MS } from '../core/decide';
import type { ExecutionEvidence } from '../core/evidence';
import { LEDGER_TABLE } from '../core/ledger-table';
import { MAX_STORED_CAUSE_CHARS, truncate, type LedgerAttempt, type LedgerPhase, type LedgerRecord } from '../core/ledger-record';

/** Which existing item a write may replace; a write needs at least one of the two to hold. */
export interface ClaimExpectation {
  /** No item, or one for an older failure generation. */
  newGeneration?: boolean;
  /** The item is at this generation and in one of these phases. */
  phases?: LedgerPhase[];
}

export interface TransitionInput {
  evidence: ExecutionEvidence;
  generation: number;
  expect: ClaimExpectation;
  phase: LedgerPhase;
  reason: LedgerRecord['reason'];
  nowMs: number;
  /** Appended to the attempt log. */
  attempt?: LedgerAttempt;
  /** Added to attemptsUsed. */
  attemptsIncrement?: number;
  dueAtMs?: number;
  recheckEnqueued?: boolean;
  clientToken?: string;
  /** Set only when the token is first used, so its 15-minute life is measured from the first call. */
  tokenFirstUsedAtMs?: number;
}

export interface TransitionResult {
  won: boolean;
  /** The item as it was, when the write lost. */
  current?: LedgerRecord;
}

const DAY_MS = 86_400_000;

export class Ledger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async get(executionArn: string): Promise<LedgerRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { [LEDGER_TABLE.partitionKey]: executionArn }, ConsistentRead: true }));
    return out.Item as LedgerRecord | undefined;
  }

  /** Moves the item to a new phase if, and only if, `expect` holds. */
  async transition(input: TransitionInput): Promise<TransitionResult> {
    const { evidence } = input;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const set = (field: string, value: unknown) => {
      if (value === undefined) return;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    };
    // Items outlive the redrive window, so a late duplicate still finds its generation.
    const keepUntilMs = Math.max(input.nowMs + this.retentionDays * DAY_MS, (evidence.stopDateMs ?? input.nowMs) + REDRIVE_WINDOW_MS + DAY_MS);
    set('stateMachineArn', evidence.stateMachineArn);
    set('executionName', evidence.executionName);
    set('generation', input.generation);
    set('phase', input.phase);
    set('reason', input.reason);
    set('startDateMs', evidence.startDateMs);
    set('stopDateMs', evidence.stopDateMs);
    set('status', evidence.status);
    set('error', truncate(evidence.error, 256));
    set('cause', truncate(evidence.cause, MAX_STORED_CAUSE_CHARS));
    set('updatedAtMs', input.nowMs);
    set('expiresAtEpochSeconds', Math.floor(keepUntilMs / 1000));
    set('dueAtMs', input.dueAtMs);
    set('recheckEnqueued', input.recheckEnqueued);
    set('clientToken', input.clientToken);
    names['#attemptsUsed'] = 'attemptsUsed';
    values[':increment'] = input.attemptsIncrement ?? 0;
    values[':zero'] = 0;
    sets.push('#attemptsUsed = if_not_exists(#attemptsUsed, :zero) + :increment');
    names['#attempts'] = 'attempts';
    values[':newAttempts'] = input.attempt ? [input.attempt] : [];
    values[':noAttempts'] = [];
    sets.push('#attempts = list_append(if_not_exists(#attempts, :noAttempts), :newAttempts)');
    const removes: string[] = [];
    const newGeneration = input.expect.newGeneration === true && !input.expect.phases?.length;
    if (input.tokenFirstUsedAtMs !== undefined) {
      names['#tokenFirstUsedAtMs'] = 'tokenFirstUsedAtMs';
      values[':tokenFirstUsedAtMs'] = input.tokenFirstUsedAtMs;
      // Within a generation the first use counts; a new generation starts the clock again.
      sets.push(newGeneration ? '#tokenFirstUsedAtMs = :tokenFirstUsedAtMs' : '#tokenFirstUsedAtMs = if_not_exists(#tokenFirstUsedAtMs, :tokenFirstUsedAtMs)');
    } else if (newGeneration) {
      names['#tokenFirstUsedAtMs'] = 'tokenFirstUsedAtMs';
      removes.push('#tokenFirstUsedAtMs');
    }
    if (input.phase !== 'WAITING') {
      for (const field of ['dueAtMs', 'recheckEnqueued'] as const) {
        if (input[field] === undefined) {
          names[`#${field}`] = field;
          removes.push(`#${field}`);
        }
      }
    }

    const alternatives: string[] = [];
    // An item may exist without a generation (the sweep's window-closing mark), so test the attribute.
    if (input.expect.newGeneration) alternatives.push('attribute_not_exists(#generation) OR #generation < :generation');
    if (input.expect.phases?.length) {
      const phaseKeys = input.expect.phases.map((phase, i) => {
        values[`:expectedPhase${i}`] = phase;
        return `:expectedPhase${i}`;
      });
      alternatives.push(`(#generation = :generation AND #phase IN (${phaseKeys.join(', ')}))`);
    }
    if (alternatives.length === 0) throw new Error('a ledger transition needs an expectation');
    const condition = alternatives.join(' OR ');
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [LEDGER_TABLE.partitionKey]: evidence.executionArn },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { won: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { won: false, current: error.Item ? (unmarshall(error.Item) as LedgerRecord) : undefined };
      }
      throw error;
    }
  }

  /** Marks a WAITING generation's recheck message as sent. Losing means someone moved it on: fine. */
  markRecheckEnqueued(executionArn: string, generation: number, nowMs: number): Promise<boolean> {
    return this.conditionalUpdate(executionArn, {
      UpdateExpression: 'SET #recheckEnqueued = :true, #updatedAtMs = :now',
      ConditionExpression: '#generation = :generation AND #phase = :waiting',
      ExpressionAttributeNames: { '#recheckEnqueued': 'recheckEnqueued', '#updatedAtMs': 'updatedAtMs', '#generation': 'generation', '#phase': 'phase' },
      ExpressionAttributeValues: { ':true': true, ':now': nowMs, ':generation': generation, ':waiting': 'WAITING' },
    });
  }

  /** Records that the window-closing alert went out for this generation; true only for the first caller. */
  claimWindowClosingAlert(executionArn: string, generation: number, nowMs: number): Promise<boolean> {
    return this.conditionalUpdate(executionArn, {
      UpdateExpression: 'SET #alerted = :generation, #expires = if_not_exists(#expires, :expires)',
      ConditionExpression: 'attribute_not_exists(#alerted) OR #alerted < :generation',
      ExpressionAttributeNames: { '#alerted': 'windowClosingAlertedGeneration', '#expires': LEDGER_TABLE.ttlAttribute },
      ExpressionAttributeValues: { ':generation': generation, ':expires': Math.floor((nowMs + REDRIVE_WINDOW_MS + DAY_MS) / 1000) },
    });
  }

  /** Adds an attempt to the log of an item that has moved on to a later generation. */
  appendAttempt(executionArn: string, attempt: LedgerAttempt): Promise<boolean> {
    return this.conditionalUpdate(executionArn, {
      UpdateExpression: 'SET #attempts = list_append(#attempts, :attempt)',
      ConditionExpression: 'attribute_exists(#attempts)',
      ExpressionAttributeNames: { '#attempts': 'attempts' },
      ExpressionAttributeValues: { ':attempt': [attempt] },
    });
  }

  /** One conditional UpdateItem: true if it applied, false if its condition did not hold. */
  private async conditionalUpdate(
    executionArn: string,
    expression: Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
  ): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: { [LEDGER_TABLE.partitionKey]: executionArn }, ...expression }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Items of one state machine updated in [fromMs, toMs], newest first, a page at a time (no scan). */
  async *byStateMachine(stateMachineArn: string, fromMs: number, toMs: number, pageSize = 100): AsyncGenerator<LedgerRecord> {
    let startKey: Record<string, unknown> | undefined;
    const index = LEDGER_TABLE.byStateMachineIndex;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#sm = :sm AND #updated BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#sm': index.partitionKey, '#updated': index.sortKey },
          ExpressionAttributeValues: { ':sm': stateMachineArn, ':from': fromMs, ':to': toMs },
          ScanIndexForward: false,
          Limit: pageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield item as LedgerRecord;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}


/** The attempt-log entry for a decision. */
export function attemptEntry(decision: Decision, outcome: LedgerAttempt['outcome'], nowMs: number, actor: string, extra: Partial<LedgerAttempt> = {}): LedgerAttempt {
  return {
    generation: decision.generation,
    decision: decision.action,
    reason: decision.reason,
    decidedAtMs: nowMs,
    clientToken: decision.clientToken,
    outcome,
    outcomeAtMs: nowMs,
    actor,
    ...(decision.overrides && { overrides: decision.overrides }),
    ...extra,
  };
}

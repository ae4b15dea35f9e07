/**
 * The DynamoDB ledger: one item per execution. Every state change is one conditional write, so of any
 * number of concurrent or repeated deliveries of one failure generation exactly one wins each step.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { BatchGetCommand, type BatchGetCommandOutput, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Alert } from '../core/alerts';
import type { Decision } from '../core/decide';
import { REDRIVE_WINDOW_MS } from '../core/decide';
import type { ExecutionEvidence } from '../core/evidence';
import { LEDGER_TABLE } from '../core/ledger-table';
import { approverActor, ledgerRecordFromItem, MAX_STORED_CAUSE_CHARS, truncate, type ApprovalRecord, type LedgerAttempt, type LedgerPhase, type LedgerRecord, type RerunWatchRecord } from '../core/ledger-record';

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
  /** Added to attemptsUsed: 1 when a redrive is claimed, -1 when AWS refused the claimed call. */
  attemptsIncrement?: number;
  dueAtMs?: number;
  recheckEnqueued?: boolean;
  clientToken?: string;
  /** Set only when the token is first used, so its 15-minute life is measured from the first call. */
  tokenFirstUsedAtMs?: number;
  /** The alert this final decision owes (see LedgerRecord.pendingAlert); any earlier one is dropped. */
  pendingAlert?: Alert;
  /** RESTARTING/RESTARTED: the restart's execution ARN and target. */
  restartedAs?: string;
  restartTarget?: string;
  /** APPROVAL_PENDING: when the approval was asked for. */
  approvalRequestedAtMs?: number;
  /** The person's decision this write carries out. */
  approval?: ApprovalRecord;
}

export interface TransitionResult {
  won: boolean;
  /** The item as it was, when the write lost. */
  current?: LedgerRecord;
  /**
   * A won write that replaced an older generation still owing its alert (its worker died before
   * publishing, and its redelivery now finds the item moved on): the caller sends it, or nobody will.
   */
  displacedAlert?: Alert;
}

const DAY_MS = 86_400_000;
/** Keys per BatchGetItem request (the API's limit). */
export const BATCH_GET_LIMIT = 100;
const UNREDRIVEN_WINDOW_CLOSES = LEDGER_TABLE.byWindowCloseIndex.sortKey;
/** Like the watch items, a key no execution ARN can have, with no generation and no index attributes. */
const SWEEP_PROBLEMS_KEY = 'sweep#problems';

export class Ledger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async get(executionArn: string): Promise<LedgerRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { [LEDGER_TABLE.partitionKey]: executionArn }, ConsistentRead: true }));
    return ledgerRecordFromItem(out.Item);
  }

  /**
   * The items of many executions, 100 per BatchGetItem (its limit), strongly consistent like `get`.
   * Keys DynamoDB leaves unprocessed (throttling, size) are asked again after a short backoff.
   */
  async getMany(executionArns: readonly string[]): Promise<Map<string, LedgerRecord>> {
    const records = new Map<string, LedgerRecord>();
    for (let start = 0; start < executionArns.length; start += BATCH_GET_LIMIT) {
      let keys: Array<Record<string, unknown>> | undefined = [...new Set(executionArns.slice(start, start + BATCH_GET_LIMIT))].map((arn) => ({ [LEDGER_TABLE.partitionKey]: arn }));
      for (let round = 0; keys && keys.length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
        const out: BatchGetCommandOutput = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const record = ledgerRecordFromItem(item);
          if (record) records.set(record.executionArn, record);
        }
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return records;
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
    set('restartedAs', input.restartedAs);
    set('restartTarget', input.restartTarget);
    set('approvalRequestedAtMs', input.approvalRequestedAtMs);
    set('approval', input.approval);
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
    // Only a generation still to be redriven (or given up on) can need a WINDOW_CLOSING alert; one a
    // person rejected was decided with the window in view, and a restart carries the work on.
    const unredriven = !(['REDRIVING', 'REDRIVEN', 'REJECTED', 'RESTARTING', 'RESTARTED'] as LedgerPhase[]).includes(input.phase) && evidence.stopDateMs !== undefined;
    if (unredriven) set(UNREDRIVEN_WINDOW_CLOSES, evidence.stopDateMs! + REDRIVE_WINDOW_MS);
    else {
      names[`#${UNREDRIVEN_WINDOW_CLOSES}`] = UNREDRIVEN_WINDOW_CLOSES;
      removes.push(`#${UNREDRIVEN_WINDOW_CLOSES}`);
    }
    if (input.pendingAlert) set('pendingAlert', input.pendingAlert);
    else {
      names['#pendingAlert'] = 'pendingAlert';
      removes.push('#pendingAlert');
    }
    // A new generation must not inherit the previous one's error: absent evidence is removed, not kept.
    if (input.expect.newGeneration) {
      for (const field of ['error', 'cause'] as const) {
        if (evidence[field] === undefined) {
          names[`#${field}`] = field;
          removes.push(`#${field}`);
        }
      }
      // Nor the approval asked for, or given to, the previous one.
      for (const field of ['approvalRequestedAtMs', 'approval'] as const) {
        if (input[field] === undefined) {
          names[`#${field}`] = field;
          removes.push(`#${field}`);
        }
      }
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
    // An item without a generation handles no failure (see ledgerRecordFromItem): a new generation may take it.
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
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [LEDGER_TABLE.partitionKey]: evidence.executionArn },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const replaced = ledgerRecordFromItem(out.Attributes);
      if (replaced?.phase === 'REDRIVING' && replaced.generation < input.generation) await this.recordOvertakenClaim(replaced, input.nowMs);
      // An owed alert this write drops: a newer generation's, or the same generation's next decision (an
      // operator's redrive or a restart over a SKIPPED/GAVE_UP decision whose worker died before alerting).
      // A question the write answers (APPROVAL_NEEDED under an approval's decision) is owed no more.
      const owed = replaced?.pendingAlert;
      const displaced = owed && (replaced.generation < input.generation || (replaced.generation === input.generation && owed.kind !== 'APPROVAL_NEEDED')) ? owed : undefined;
      return { won: true, ...(displaced && { displacedAlert: displaced }) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { won: false, current: ledgerRecordFromItem(error.Item ? unmarshall(error.Item) : undefined) };
      }
      throw error;
    }
  }

  /**
   * A later generation replaced a claim still in REDRIVING: its worker died between RedriveExecution and
   * recording it. The later failure proves that the execution was redriven past the claimed generation,
   * so the attempt log says so (otherwise a counted attempt would have no redrive to explain it). A claim
   * an approval made is logged as that approver's, as its own worker would have logged it.
   */
  private async recordOvertakenClaim(claim: LedgerRecord, nowMs: number): Promise<void> {
    const approved = claim.approval?.generation === claim.generation && claim.approval.verdict === 'APPROVED' ? claim.approval : undefined;
    await this.appendAttempt(claim.executionArn, {
      generation: claim.generation,
      decision: 'REDRIVE',
      reason: 'ELIGIBLE',
      decidedAtMs: claim.updatedAtMs,
      clientToken: claim.clientToken,
      outcome: 'ALREADY_REDRIVEN',
      outcomeAtMs: nowMs,
      actor: approved ? approverActor(approved) : 'ledger',
      note: `a later generation failed before this claim was recorded: the execution was redriven (by the claimed call, or by someone else)`,
    });
  }

  /**
   * Marks a restart's own item with the execution it restarted, before the restart starts, so the link
   * exists whenever the restart does. The mark carries no generation: it records no failure handling
   * (ledgerRecordFromItem reads it as absent), and the restart's first failure keeps it.
   */
  async linkRestart(restartArn: string, originalArn: string, nowMs: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [LEDGER_TABLE.partitionKey]: restartArn },
        UpdateExpression: 'SET #restartOf = :original, #expires = if_not_exists(#expires, :expires)',
        ExpressionAttributeNames: { '#restartOf': 'restartOf', '#expires': 'expiresAtEpochSeconds' },
        ExpressionAttributeValues: { ':original': originalArn, ':expires': Math.floor((nowMs + Math.max(this.retentionDays * DAY_MS, REDRIVE_WINDOW_MS + DAY_MS)) / 1000) },
      }),
    );
  }

  /** Takes back a mark whose restart never started (no such target) or is another execution (name taken). */
  async unlinkRestart(restartArn: string, originalArn: string): Promise<void> {
    await this.conditionalUpdate(restartArn, {
      UpdateExpression: 'REMOVE #restartOf',
      ConditionExpression: '#restartOf = :original',
      ExpressionAttributeNames: { '#restartOf': 'restartOf' },
      ExpressionAttributeValues: { ':original': originalArn },
    });
  }

  /** The execution a restart restarted, from its mark or item (undefined for anything else). */
  async restartOf(executionArn: string): Promise<string | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { [LEDGER_TABLE.partitionKey]: executionArn }, ConsistentRead: true, ProjectionExpression: 'restartOf' }));
    return typeof out.Item?.restartOf === 'string' ? out.Item.restartOf : undefined;
  }

  /** Starts following the rerun of an approved generation; any earlier generation's watch is replaced. */
  async startRerunWatch(executionArn: string, watch: RerunWatchRecord): Promise<void> {
    await this.conditionalUpdate(executionArn, {
      UpdateExpression: 'SET #rerunWatch = :watch',
      ConditionExpression: 'attribute_exists(#generation)',
      ExpressionAttributeNames: { '#rerunWatch': 'rerunWatch', '#generation': 'generation' },
      ExpressionAttributeValues: { ':watch': watch },
    });
  }

  /** The right to tell how this generation's rerun ended: exactly one caller wins it. */
  claimRerunTold(executionArn: string, generation: number): Promise<boolean> {
    return this.conditionalUpdate(executionArn, {
      UpdateExpression: 'SET #rerunWatch.#told = :true',
      ConditionExpression: '#rerunWatch.#generation = :generation AND attribute_not_exists(#rerunWatch.#told)',
      ExpressionAttributeNames: { '#rerunWatch': 'rerunWatch', '#told': 'told', '#generation': 'generation' },
      ExpressionAttributeValues: { ':true': true, ':generation': generation },
    });
  }

  /** The owed alert of this generation went out. Losing means the item moved on: fine. */
  clearPendingAlert(executionArn: string, generation: number): Promise<boolean> {
    return this.conditionalUpdate(executionArn, {
      UpdateExpression: 'REMOVE #pendingAlert',
      ConditionExpression: '#generation = :generation AND attribute_exists(#pendingAlert)',
      ExpressionAttributeNames: { '#pendingAlert': 'pendingAlert', '#generation': 'generation' },
      ExpressionAttributeValues: { ':generation': generation },
    });
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

  /**
   * Records that the window-closing alert went out for this generation; true only for the first caller.
   * It needs the item at that very generation, and touches no field a decision reads.
   */
  claimWindowClosingAlert(executionArn: string, generation: number): Promise<boolean> {
    return this.conditionalUpdate(executionArn, {
      UpdateExpression: 'SET #alerted = :generation',
      ConditionExpression: '#generation = :generation AND (attribute_not_exists(#alerted) OR #alerted < :generation)',
      ExpressionAttributeNames: { '#alerted': 'windowClosingAlertedGeneration', '#generation': 'generation' },
      ExpressionAttributeValues: { ':generation': generation },
    });
  }

  /**
   * When the sweep began watching a state machine: the stored time, or `candidateMs` on first sight.
   * One item per state machine, under a key no execution ARN can have; it carries no generation, so it
   * is never mistaken for a failure, and no stateMachineArn, so no index lists it.
   */
  async watchingSince(stateMachineArn: string, candidateMs: number): Promise<{ sinceMs: number; firstSight: boolean }> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [LEDGER_TABLE.partitionKey]: `${LEDGER_TABLE.watchItemKeyPrefix}${stateMachineArn}` },
        UpdateExpression: 'SET #since = if_not_exists(#since, :candidate), #arn = :arn',
        ExpressionAttributeNames: { '#since': 'watchingSinceMs', '#arn': 'watchedStateMachineArn' },
        ExpressionAttributeValues: { ':candidate': candidateMs, ':arn': stateMachineArn },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    const previous = out.Attributes?.watchingSinceMs;
    return typeof previous === 'number' ? { sinceMs: previous, firstSight: false } : { sinceMs: candidateMs, firstSight: true };
  }

  /**
   * Stores the sweep's current set of problems (`key`, empty for none) in one item; true when it changed,
   * so a persistent problem is alerted once, not every sweep.
   */
  recordSweepProblems(key: string): Promise<boolean> {
    return this.conditionalUpdate(SWEEP_PROBLEMS_KEY, {
      UpdateExpression: 'SET #problems = :key',
      ConditionExpression: key === '' ? 'attribute_exists(#problems) AND #problems <> :key' : 'attribute_not_exists(#problems) OR #problems <> :key',
      ExpressionAttributeNames: { '#problems': 'sweepProblems' },
      ExpressionAttributeValues: { ':key': key },
    });
  }

  /** Not-redriven generations of one state machine whose window closes in [fromMs, toMs] (sparse index). */
  async *closingWindows(stateMachineArn: string, fromMs: number, toMs: number): AsyncGenerator<LedgerRecord> {
    yield* this.queryIndex(LEDGER_TABLE.byWindowCloseIndex, stateMachineArn, fromMs, toMs, { ascending: true, pageSize: 100 });
  }

  /**
   * Logs the redrive of a generation that the item has moved past, once: the claim that overtook it and
   * the late worker that made the call may both try, and a set of logged generations lets one win.
   */
  appendAttempt(executionArn: string, attempt: LedgerAttempt): Promise<boolean> {
    return this.conditionalUpdate(executionArn, {
      UpdateExpression: 'SET #attempts = list_append(#attempts, :attempt) ADD #logged :generationSet',
      ConditionExpression: 'attribute_exists(#attempts) AND NOT contains(#logged, :generation)',
      ExpressionAttributeNames: { '#attempts': 'attempts', '#logged': 'overtakenRedrivesLogged' },
      ExpressionAttributeValues: { ':attempt': [attempt], ':generation': attempt.generation, ':generationSet': new Set([attempt.generation]) },
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
  byStateMachine(stateMachineArn: string, fromMs: number, toMs: number, pageSize = 100): AsyncGenerator<LedgerRecord> {
    return this.queryIndex(LEDGER_TABLE.byStateMachineIndex, stateMachineArn, fromMs, toMs, { ascending: false, pageSize });
  }

  /** Records of one index partition whose sort key is in [fromMs, toMs], a page at a time. */
  private async *queryIndex(
    index: { name: string; partitionKey: string; sortKey: string },
    partition: string,
    fromMs: number,
    toMs: number,
    { ascending, pageSize }: { ascending: boolean; pageSize: number },
  ): AsyncGenerator<LedgerRecord> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
          ExpressionAttributeValues: { ':pk': partition, ':from': fromMs, ':to': toMs },
          ScanIndexForward: ascending,
          Limit: pageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const record = ledgerRecordFromItem(item);
        if (record) yield record;
      }
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

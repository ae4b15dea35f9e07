import { attemptEntry } from '../../adapters/ledger';
import { decide } from '../../core/decide';
import { config, evidence, executionArn, NOW_MS, STATE_MACHINE_ARN } from '../support/fixtures';
import { useDynamoDbLocal } from '../support/dynamo';

const harness = useDynamoDbLocal();

describe('ledger against DynamoDB Local', () => {
  it('of 25 concurrent claims of one failure generation exactly one wins', async () => {
    const { ledger } = await harness.newLedger();
    const claims = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        ledger.transition({
          evidence: evidence(),
          generation: 0,
          expect: { newGeneration: true },
          phase: 'REDRIVING',
          reason: 'ELIGIBLE',
          nowMs: NOW_MS + i,
          clientToken: `token-${i}`,
          tokenFirstUsedAtMs: NOW_MS + i,
          attemptsIncrement: 1,
        }),
      ),
    );
    expect(claims.filter((c) => c.won)).toHaveLength(1);
    const losers = claims.filter((c) => !c.won);
    expect(losers.every((c) => c.current?.phase === 'REDRIVING' && c.current.generation === 0)).toBe(true);
    const record = await ledger.get(executionArn());
    expect(record).toMatchObject({ phase: 'REDRIVING', attemptsUsed: 1, generation: 0 });
  });

  it('a newer generation replaces an older one; an older or equal one cannot', async () => {
    const { ledger } = await harness.newLedger();
    const write = (generation: number) =>
      ledger.transition({ evidence: evidence({ redriveCount: generation }), generation, expect: { newGeneration: true }, phase: 'WAITING', reason: 'BACKOFF', nowMs: NOW_MS, dueAtMs: NOW_MS + 1000, recheckEnqueued: false });
    expect((await write(1)).won).toBe(true);
    expect((await write(1)).won).toBe(false);
    expect((await write(0)).won).toBe(false);
    expect((await write(2)).won).toBe(true);
    expect((await ledger.get(executionArn()))?.generation).toBe(2);
  });

  it('moves WAITING → REDRIVING → REDRIVEN only from the expected phase, keeping the attempt log and first token use', async () => {
    const { ledger } = await harness.newLedger();
    const ev = evidence();
    const decision = decide({ evidence: ev, config: config({ backoff: { initialDelaySeconds: 0 } }), nowMs: NOW_MS, trigger: 'event' });
    await ledger.transition({ evidence: ev, generation: 0, expect: { newGeneration: true }, phase: 'WAITING', reason: 'BACKOFF', nowMs: NOW_MS, dueAtMs: NOW_MS + 60_000, recheckEnqueued: false });
    expect(await ledger.markRecheckEnqueued(ev.executionArn, 0, NOW_MS + 1)).toBe(true);
    expect((await ledger.get(ev.executionArn))?.recheckEnqueued).toBe(true);
    const claim = { evidence: ev, generation: 0, phase: 'REDRIVING' as const, reason: 'ELIGIBLE' as const, clientToken: 't', attemptsIncrement: 1 };
    expect((await ledger.transition({ ...claim, expect: { phases: ['WAITING'] }, nowMs: NOW_MS + 60_000, tokenFirstUsedAtMs: NOW_MS + 60_000 })).won).toBe(true);
    // A second claimant (a resumed retry) keeps the token's first use.
    expect((await ledger.transition({ ...claim, attemptsIncrement: 0, expect: { phases: ['REDRIVING'] }, nowMs: NOW_MS + 70_000, tokenFirstUsedAtMs: NOW_MS + 70_000 })).won).toBe(true);
    expect((await ledger.transition({ ...claim, expect: { phases: ['WAITING'] }, nowMs: NOW_MS + 80_000 })).won).toBe(false);
    const done = await ledger.transition({
      evidence: ev, generation: 0, expect: { phases: ['REDRIVING'] }, phase: 'REDRIVEN', reason: 'ELIGIBLE', nowMs: NOW_MS + 90_000,
      attempt: attemptEntry(decision, 'REDRIVEN', NOW_MS + 90_000, 'worker', { redriveDateMs: NOW_MS + 89_000 }),
    });
    expect(done.won).toBe(true);
    const record = await ledger.get(ev.executionArn);
    expect(record).toMatchObject({ phase: 'REDRIVEN', attemptsUsed: 1, tokenFirstUsedAtMs: NOW_MS + 60_000, clientToken: 't' });
    expect(record?.dueAtMs).toBeUndefined();
    expect(record?.attempts).toEqual([expect.objectContaining({ generation: 0, outcome: 'REDRIVEN', redriveDateMs: NOW_MS + 89_000, actor: 'worker' })]);
  });

  it('keeps items past the 14-day window whatever the retention, via TTL in epoch seconds', async () => {
    const { ledger } = await harness.newLedger(1);
    const ev = evidence({ stopDateMs: NOW_MS });
    await ledger.transition({ evidence: ev, generation: 0, expect: { newGeneration: true }, phase: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR', nowMs: NOW_MS });
    const record = await ledger.get(ev.executionArn);
    expect(record!.expiresAtEpochSeconds).toBe(Math.floor((NOW_MS + 15 * 86_400_000) / 1000));
  });

  it('reports per state machine and time range from the index, newest first, across pages', async () => {
    const { ledger } = await harness.newLedger();
    for (let i = 0; i < 7; i++) {
      const arn = executionArn(`e${i}`);
      await ledger.transition({ evidence: evidence({ executionArn: arn, executionName: `e${i}` }), generation: 0, expect: { newGeneration: true }, phase: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR', nowMs: NOW_MS + i * 1000 });
    }
    const other = executionArn('x', 'Other-Machine');
    await ledger.transition({ evidence: evidence({ executionArn: other, stateMachineArn: STATE_MACHINE_ARN.replace('Orders-Process', 'Other-Machine') }), generation: 0, expect: { newGeneration: true }, phase: 'SKIPPED', reason: 'NON_RETRYABLE_ERROR', nowMs: NOW_MS });
    const found = [];
    for await (const item of ledger.byStateMachine(STATE_MACHINE_ARN, NOW_MS + 1000, NOW_MS + 5000, 2)) found.push(item.executionName);
    expect(found).toEqual(['e5', 'e4', 'e3', 'e2', 'e1']);
  });
});

describe('a redrive claim overtaken by the next generation (found by the model test, seed -1561043964)', () => {
  const claim = (generation: number, extra: object = {}) => ({
    evidence: evidence({ redriveCount: generation }),
    generation,
    expect: { newGeneration: true },
    phase: 'REDRIVING' as const,
    reason: 'ELIGIBLE' as const,
    nowMs: NOW_MS + generation,
    clientToken: `t${generation}`,
    tokenFirstUsedAtMs: NOW_MS + generation,
    attemptsIncrement: 1,
    ...extra,
  });

  it('is logged as the approver’s redrive when an approval made the claim, and as the ledger’s otherwise', async () => {
    const { ledger } = await harness.newLedger();
    const approval = { generation: 0, verdict: 'APPROVED' as const, via: 'slack' as const, by: 'U024BE7LH', byName: 'alice', decidedAtMs: NOW_MS };
    // The approver's worker died after RedriveExecution; the next generation's claim overtakes its claim.
    expect((await ledger.transition(claim(0, { approval }))).won).toBe(true);
    expect((await ledger.transition(claim(1))).won).toBe(true);
    // The approval record stays on the item, but names generation 0: generation 1's overtaken claim is no approver's.
    expect((await ledger.transition(claim(2))).won).toBe(true);
    const attempts = (await ledger.get(executionArn()))!.attempts.filter((a) => a.outcome === 'ALREADY_REDRIVEN');
    expect(attempts.map((a) => [a.generation, a.actor])).toEqual([
      [0, 'slack U024BE7LH (alice)'],
      [1, 'ledger'],
    ]);
  });
});

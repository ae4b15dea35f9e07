/**
 * `sweep` finds failures whose status events were dropped (the emulator's fault injection) and hands
 * them to the worker, leaving handled ones alone; `ledger` reports what happened from the index.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { RUNTIME_ENV } from '../../adapters/runtime-env';
import { VirtualClock } from '../../local/clock';
import { cli, createStateMachine, localFlags, useLocalStack } from './harness';

const START_MS = Date.UTC(2026, 10, 24, 9, 0, 0);
const HOUR_MS = 3_600_000;
const FAILS = { StartAt: 'Charge', States: { Charge: { Type: 'Fail', Error: 'PaymentGatewayTimeout', Cause: 'psp down' } } };

describe('sweep and ledger', () => {
  const clock = new VirtualClock({ startMs: START_MS });
  const stack = useLocalStack({ clock });

  it('hands over only the failures whose events were dropped, records older ones as before watching, warns about closing windows, and the ledger report shows it', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'orders-sweep', FAILS);
    const start = async (name: string) => (await stack().clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name }))).executionArn!;
    stack().sfn.setFaults({ dropStatusEvents: 1 });
    const lost = [await start('lost-1'), await start('lost-2'), await start('lost-3')];
    await stack().settle();
    stack().sfn.setFaults({ dropStatusEvents: 0 });
    const handled = [await start('handled-1'), await start('handled-2')];
    await stack().settle();
    // Seeded executions emit no events either: this one has 10 hours of its window left.
    const closing = stack().sfn.seedExecution({ stateMachineArn, name: 'closing', status: 'FAILED', startDateMs: START_MS - 14 * 24 * HOUR_MS, stopDateMs: START_MS - 14 * 24 * HOUR_MS + 10 * HOUR_MS, error: 'PaymentGatewayTimeout' });
    expect(stack().sfn.stats().statusEvents.dropped).toBeGreaterThanOrEqual(3);
    for (const arn of lost) expect(await stack().ledger.get(arn)).toBeUndefined();
    const handledBefore = await Promise.all(handled.map((arn) => stack().ledger.get(arn)));
    expect(handledBefore.map((r) => r?.phase)).toEqual(['WAITING', 'WAITING']);

    const env = { [RUNTIME_ENV.intakeQueueUrl]: stack().env[RUNTIME_ENV.intakeQueueUrl], [RUNTIME_ENV.alertTopicArn]: stack().env[RUNTIME_ENV.alertTopicArn] };
    const out = await cli(['sweep', ...localFlags(stack()), '--config', 'sweep.config.json', '--window-hours', '12', '--output', 'json'], { clock, env });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout);
    expect(report.stateMachines).toEqual([stateMachineArn]);
    expect(report.missed.sort()).toEqual([...lost].sort());
    // The first sweep began watching now: a failure from 13 days ago is not redriven (back-fill is off), it
    // is recorded, alerted with the command that redrives it, and its closing window is still alerted.
    expect(report.beforeWatching).toEqual([closing]);
    expect(report.windowClosing).toEqual([{ executionArn: closing, windowLeftMs: 10 * HOUR_MS, alerted: true }]);
    await stack().settle();

    // The worker took the enqueued ones through the normal path; handled ones were not touched.
    for (const arn of lost) expect(await stack().ledger.get(arn)).toMatchObject({ generation: 0, phase: 'WAITING', reason: 'BACKOFF' });
    expect(await Promise.all(handled.map((arn) => stack().ledger.get(arn)))).toEqual(handledBefore);
    expect(stack().alerts.filter((a) => a.kind === 'WINDOW_CLOSING').map((a) => a.executionArn)).toEqual([closing]);
    expect(stack().alerts.filter((a) => a.kind === 'NOT_BACKFILLED').map((a) => a.stateMachineArn)).toEqual([stateMachineArn]);
    expect(await stack().ledger.get(closing)).toMatchObject({ phase: 'SKIPPED', reason: 'BEFORE_WATCHING' });

    // A second sweep finds nothing missed and does not alert again.
    const again = JSON.parse((await cli(['sweep', ...localFlags(stack()), '--config', 'sweep.config.json', '--window-hours', '12', '--output', 'json'], { clock, env })).stdout);
    expect(again.missed).toEqual([]);
    expect(again.beforeWatching).toEqual([]);
    expect(again.windowClosing).toEqual([expect.objectContaining({ executionArn: closing, alerted: false })]);

    // The ledger report, from the byStateMachine index.
    const gaveUp = { executionArn: handled[0], stateMachineArn, executionName: 'handled-1', status: 'FAILED' as const, startDateMs: START_MS, stopDateMs: START_MS, redriveCount: 0, sources: ['list' as const] };
    await stack().ledger.transition({ evidence: gaveUp, generation: 0, expect: { phases: ['WAITING'] }, phase: 'GAVE_UP', reason: 'MAX_ATTEMPTS_REACHED', nowMs: clock.nowMs(), attempt: { generation: 0, decision: 'GIVE_UP', reason: 'MAX_ATTEMPTS_REACHED', decidedAtMs: clock.nowMs(), outcome: 'GAVE_UP', actor: 'worker' } });
    const ledger = await cli(['ledger', ...localFlags(stack()), '--name-prefix', 'orders-sweep', '--since', '1h', '--output', 'json'], { clock });
    expect(ledger.code).toBe(0);
    const [machine] = JSON.parse(ledger.stdout).stateMachines;
    expect(machine).toMatchObject({
      stateMachineArn,
      executions: 6,
      byPhase: { WAITING: 4, GAVE_UP: 1, SKIPPED: 1 },
      byReason: { BACKOFF: 4, MAX_ATTEMPTS_REACHED: 1, BEFORE_WATCHING: 1 },
      outcomes: { GAVE_UP: 1 },
      gaveUp: [expect.objectContaining({ executionArn: handled[0], reason: 'MAX_ATTEMPTS_REACHED' })],
    });
    const table = await cli(['ledger', ...localFlags(stack()), '--state-machine', stateMachineArn, '--since', '1h'], { clock });
    expect(table.stdout).toMatch(/executions\s*│\s*6/);
    expect(table.stdout).toContain('Gave up (1)');
    // Outside the time range there is nothing.
    const old = JSON.parse((await cli(['ledger', ...localFlags(stack()), '--state-machine', stateMachineArn, '--since', '3d', '--until', '2d', '--output', 'json'], { clock })).stdout);
    expect(old.stateMachines[0].executions).toBe(0);
  });
});

/**
 * `restart`: the fix-forward bulk command, through the real CLI against the local stack. The same plan,
 * confirmation and plan file as `redrive`, one new execution per original with its input, the ledger link
 * both ways, and idempotent reruns.
 */
import { CreateStateMachineAliasCommand, DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand, UpdateStateMachineCommand } from '@aws-sdk/client-sfn';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../local/clock';
import { cli, createStateMachine, localFlags, useLocalStack } from './harness';

const START_MS = Date.UTC(2026, 10, 24, 9, 0, 0);
const buggy = { StartAt: 'Charge', States: { Charge: { Type: 'Fail', Error: 'Bug', Cause: 'v1 divides by zero' } } };
const fixed = { StartAt: 'Charge', States: { Charge: { Type: 'Pass', Result: 'charged', ResultPath: '$.charge', End: true } } };

describe('restart', () => {
  const clock = new VirtualClock({ startMs: START_MS });
  const stack = useLocalStack({ clock });

  it('plans, confirms and starts each failed execution once on the alias, with its input; a rerun and the other command leave them alone', async () => {
    // Not watched by the stack (`orders-`), so only the operator acts on it.
    const stateMachineArn = await createStateMachine(stack(), 'billing-fix', buggy);
    const sfn = stack().clients.sfn;
    const originals: string[] = [];
    for (const n of [1, 2]) {
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: `invoice-${n}`, input: JSON.stringify({ invoice: n }) }));
      originals.push(executionArn!);
    }
    await stack().runUntilQuiet();
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn, definition: JSON.stringify(fixed), publish: true }));
    await sfn.send(new CreateStateMachineAliasCommand({ name: 'prod', routingConfiguration: [{ stateMachineVersionArn: `${stateMachineArn}:1`, weight: 100 }] }));
    const planFile = join(mkdtempSync(join(tmpdir(), 'restart-plan-')), 'plan.jsonl');
    const select = ['restart', ...localFlags(stack()), '--state-machine', stateMachineArn, '--output', 'json'];

    const noTarget = await cli([...select, '--dry-run'], { clock });
    expect([noTarget.code, noTarget.stderr.trim()]).toEqual([2, 'sfn-autoredrive: --target is required: latest, version:<n> or alias:<name>']);
    const badTarget = await cli([...select, '--target', 'prod', '--dry-run'], { clock });
    expect([badTarget.code, badTarget.stderr.trim()]).toEqual([2, 'sfn-autoredrive: --target: restart target "prod" is not "latest", "version:<number>" or "alias:<name>"']);

    const dry = await cli([...select, '--target', 'alias:prod', '--dry-run', '--plan-out', planFile], { clock });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).plan).toMatchObject({ matched: 2, eligible: 2, restartTarget: 'alias:prod', evidenceCalls: { DescribeExecution: 0, GetExecutionHistory: 0 } });
    expect(JSON.parse(readFileSync(planFile, 'utf8').split('\n')[0])).toMatchObject({ restartTarget: 'alias:prod' });

    const asRedrive = await cli(['redrive', ...localFlags(stack()), '--plan', planFile, '--reason', 'INC-9', '--yes'], { clock });
    expect([asRedrive.code, asRedrive.stderr.trim()]).toEqual([2, `sfn-autoredrive: ${planFile} is a restart plan: apply it with \`sfn-autoredrive restart --plan ${planFile}\``]);

    const startsBefore = stack().sfn.stats().apis.StartExecution.calls;
    const run = await cli(['restart', ...localFlags(stack()), '--plan', planFile, '--reason', 'INC-9 fix deployed as version 1', '--yes', '--output', 'json'], { clock });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).run).toMatchObject({ processed: 2, restarted: 2, redriven: 0, errors: 0 });
    expect(stack().sfn.stats().apis.StartExecution.calls - startsBefore).toBe(2);
    await stack().runUntilQuiet();
    for (const n of [1, 2]) {
      const restart = await sfn.send(new DescribeExecutionCommand({ executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:invoice-${n}-restart-1` }));
      expect(restart).toMatchObject({ status: 'SUCCEEDED', input: JSON.stringify({ invoice: n }), stateMachineAliasArn: `${stateMachineArn}:prod` });
      const record = await stack().ledger.get(originals[n - 1]);
      expect(record).toMatchObject({ phase: 'RESTARTED', restartTarget: 'alias:prod', restartedAs: restart.executionArn });
      expect(record!.attempts.at(-1)!.actor).toBe("operator local:root: INC-9 fix deployed as version 1");
      expect(await stack().ledger.restartOf(restart.executionArn!)).toBe(originals[n - 1]);
    }

    const restartOfFirst = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:invoice-1-restart-1`;
    const explainOriginal = JSON.parse((await cli(['explain', ...localFlags(stack()), originals[0], '--output', 'json'], { clock })).stdout);
    expect(explainOriginal.restart).toEqual({ restartedAs: restartOfFirst, target: 'alias:prod' });
    expect(explainOriginal.workerDecision).toMatchObject({ action: 'SKIP', reason: 'RESTARTED' });
    const explainRestart = JSON.parse((await cli(['explain', ...localFlags(stack()), restartOfFirst, '--output', 'json'], { clock })).stdout);
    expect(explainRestart.restart).toEqual({ restartOf: originals[0] });
    const table = (await cli(['explain', ...localFlags(stack()), originals[0]], { clock })).stdout;
    expect(table).toMatch(new RegExp(`│ restarted as +│ ${restartOfFirst} \\(on alias:prod\\) +│`));

    const again = await cli(['restart', ...localFlags(stack()), '--plan', planFile, '--reason', 'INC-9 again', '--yes', '--output', 'json'], { clock });
    expect(JSON.parse(again.stdout).run).toMatchObject({ processed: 2, restarted: 0, skipped: { RESTARTED: 2 } });
    const fresh = await cli([...select, '--target', 'latest', '--dry-run'], { clock });
    // The restarts succeeded and the originals are RESTARTED: nothing is left to restart.
    expect(JSON.parse(fresh.stdout).plan).toMatchObject({ matched: 2, eligible: 0, ineligible: { RESTARTED: 2 } });
    const names = (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions!.map((e) => e.name).sort();
    expect(names).toEqual(['invoice-1', 'invoice-1-restart-1', 'invoice-2', 'invoice-2-restart-1']);
  });
});

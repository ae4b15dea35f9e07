/**
 * `approve` and `reject` against the local stack: the worker leaves a failure an `approve` rule matches
 * in APPROVAL_PENDING; the CLI decides it with the caller's identity and reason in the ledger.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { VirtualClock } from '../../local/clock';
import { cli, createStateMachine, localFlags, useLocalStack } from './harness';

const MOCKS = {
  StateMachines: { 'orders-approve': { TestCases: { Declined: { Charge: 'DeclinedOnceThenPays' } } } },
  MockedResponses: {
    DeclinedOnceThenPays: { '0': { Throw: { Error: 'CardDeclined', Cause: 'card 4242 declined' } }, '1': { Return: { paid: true } } },
  },
};
const FLOW = { StartAt: 'Charge', States: { Charge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } };

describe('approve and reject', () => {
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 10, 24, 9, 0, 0) });
  const CONFIG = { watch: { stateMachineNamePrefixes: ['orders-'] }, errorPolicy: { rules: [{ match: ['CardDeclined'], action: 'approve' as const, note: 'a person checks the card' }] } };
  const stack = useLocalStack({ clock, mockConfig: MOCKS, config: CONFIG });

  it('approve redrives the pending failure once; reject records the decision; neither acts twice', async () => {
    const stateMachineArn = await createStateMachine(stack(), 'orders-approve', FLOW);
    const [approved, rejected] = await Promise.all(
      ['order-1', 'order-2'].map(async (name) => (await stack().clients.sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}#Declined`, name }))).executionArn!),
    );
    await stack().sfn.waitForIdle();
    await stack().settle();
    expect((await stack().ledger.get(approved))?.phase).toBe('APPROVAL_PENDING');
    expect(stack().sfn.stats().apis.RedriveExecution?.calls ?? 0).toBe(0);

    // explain names the rule that chose `approve`, and why.
    const configFile = join(mkdtempSync(join(tmpdir(), 'approve-')), 'autoredrive.config.json');
    writeFileSync(configFile, JSON.stringify(CONFIG));
    const explained = await cli(['explain', approved, ...localFlags(stack()), '--config', configFile, '--output', 'json'], { clock });
    expect(explained.code).toBe(0);
    expect(JSON.parse(explained.stdout).policy).toMatchObject({
      action: 'approve',
      source: 'rule',
      rulePath: 'errorPolicy.rules[0]',
      detail: 'matches errorPolicy.rules[0] pattern CardDeclined: approve (a person checks the card)',
    });
    const table = await cli(['explain', approved, ...localFlags(stack()), '--config', configFile], { clock });
    expect(table.stdout).toContain('approve: matches errorPolicy.rules[0] pattern CardDeclined: approve (a person checks the card)');

    // A command for another generation than the pending one decides nothing (found by the model test, seed -251114959).
    const otherGeneration = await cli(['approve', approved, ...localFlags(stack()), '--generation', '1', '--reason', 'meant for a later failure'], { clock });
    expect(otherGeneration.code).toBe(2);
    expect(otherGeneration.stderr).toContain(`No approval is pending for ${approved} at generation 1: it is APPROVAL_PENDING (APPROVAL_REQUIRED) at generation 0`);
    const approve = await cli(['approve', approved, ...localFlags(stack()), '--generation', '0', '--reason', 'INC-7 issuer back', '--output', 'json'], { clock });
    expect(approve.stderr).toBe('');
    expect(approve.code).toBe(0);
    expect(JSON.parse(approve.stdout)).toMatchObject({ verdict: 'APPROVED', place: 'REDRIVEN', by: expect.stringMatching(/^local:/) });
    const reject = await cli(['reject', rejected, ...localFlags(stack()), '--reason', 'refunded instead'], { clock });
    expect(reject.code).toBe(0);
    await stack().sfn.waitForIdle();
    await stack().settle();

    expect(stack().sfn.execution(approved)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    expect(stack().sfn.execution(rejected)).toMatchObject({ status: 'FAILED', redriveCount: 0 });
    expect(await stack().ledger.get(approved)).toMatchObject({ phase: 'REDRIVEN', approval: { verdict: 'APPROVED', via: 'cli', reason: 'INC-7 issuer back' } });
    expect(await stack().ledger.get(rejected)).toMatchObject({ phase: 'REJECTED', approval: { verdict: 'REJECTED', via: 'cli', reason: 'refunded instead' } });

    const again = await cli(['approve', rejected, ...localFlags(stack()), '--reason', 'changed my mind'], { clock });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`No approval is pending for ${rejected}: it is REJECTED (REJECTED) at generation 0`);
    const noReason = await cli(['approve', approved, ...localFlags(stack())], { clock });
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason "…" is required');
    expect(stack().sfn.stats().apis.RedriveExecution.calls).toBe(1);
  });
});

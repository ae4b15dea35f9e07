/**
 * `explain` on a real ledger entry, and every documented error: its message and its exit code.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { clientTokenFor } from '../../core/client-token';
import { VirtualClock } from '../../local/clock';
import { cli, createStateMachine, localFlags, useLocalStack } from './harness';

const START_MS = Date.UTC(2026, 10, 24, 9, 0, 0);
const HOUR_MS = 3_600_000;
const FAILS = { StartAt: 'Charge', States: { Charge: { Type: 'Fail', Error: 'PaymentGatewayTimeout', Cause: 'psp down' } } };

describe('explain and errors', () => {
  let stateMachineArn: string;
  const clock = new VirtualClock({ startMs: START_MS });
  const stack = useLocalStack({ clock, config: { maxAttempts: 3 } });
  const seedFailed = (name: string, extra: object = {}) =>
    stack().sfn.seedExecution({ stateMachineArn, name, status: 'FAILED', startDateMs: clock.nowMs() - 2 * HOUR_MS, stopDateMs: clock.nowMs() - HOUR_MS, error: 'PaymentGatewayTimeout', ...extra });

  beforeAll(async () => {
    stateMachineArn = await createStateMachine(stack(), 'orders-explain', FAILS);
  });

  it('explains every rule, the window, history, attempts, tokens and both decisions', async () => {
    const { executionArn } = await stack().clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'explained' }));
    // The worker puts it in backoff; an operator redrive then uses a token.
    while ((await stack().ledger.get(executionArn!))?.phase !== 'WAITING') await stack().settle();
    const redrive = await cli(['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--reason', 'INC-5', '--yes', '--output', 'json'], { clock });
    expect(JSON.parse(redrive.stdout).run).toMatchObject({ redriven: 1, skipped: {} });
    await stack().settle();

    const out = await cli(['explain', executionArn!, ...localFlags(stack()), '--output', 'json'], { clock });
    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout);
    expect(report).toMatchObject({
      status: 'FAILED',
      error: 'PaymentGatewayTimeout',
      cause: 'psp down',
      failedState: 'Charge',
      // Charge is a Fail state: the redrive below entered it again and failed again.
      failedInFailState: true,
      // The harness runs in test/cli, which has no autoredrive.config.json: it says so.
      config: expect.stringContaining(`the default config (no autoredrive.config.json in ${__dirname}`),
      redriveCount: 1,
      attempts: { used: 1, max: 3, left: 2 },
      history: { limit: 24_999 },
      currentClientToken: clientTokenFor(executionArn!, 1),
      clientTokensUsed: [expect.objectContaining({ generation: 0, clientToken: clientTokenFor(executionArn!, 0), outcome: 'REDRIVEN', actor: expect.stringContaining(': INC-5') })],
    });
    // Started, failed, redriven, entered the Fail state again, failed again: history ids count them.
    expect(report.history.eventsUsed).toBeGreaterThanOrEqual(6);
    expect(report.window.leftMs).toBe(14 * 24 * HOUR_MS);
    // It failed again after the redrive, and the worker is waiting out the backoff for generation 1.
    expect(report.ledger).toMatchObject({ generation: 1, phase: 'WAITING', dueAt: expect.any(String) });
    expect(report.rules).toHaveLength(12);
    expect(report.rules.filter((rule: { passed: boolean }) => !rule.passed)).toEqual([
      { rule: 'notAlreadyHandled', passed: false, detail: 'generation 1 is already waiting for its backoff' },
    ]);
    expect(report.workerDecision).toMatchObject({ action: 'SKIP', reason: 'ALREADY_HANDLED' });
    expect(report.operatorDecision).toMatchObject({ action: 'REDRIVE', reason: 'ELIGIBLE' });

    const expired = seedFailed('expired', { startDateMs: START_MS - 20 * 24 * HOUR_MS, stopDateMs: START_MS - 15 * 24 * HOUR_MS });
    const table = await cli(['explain', expired, ...localFlags(stack())], { clock });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/redriveWindow\s*│\s*FAIL\s*│\s*window closed 1d 0h ago/);
    expect(table.stdout).toMatch(/14-day redrive window\s*│\s*closed 1d 0h ago/);
    expect(table.stdout).toContain('Worker would now: SKIP (REDRIVE_WINDOW_EXPIRED');
    expect(table.stdout).toMatch(/judged by config\s*│\s*the default config/);
    const failState = await cli(['explain', executionArn!, ...localFlags(stack())], { clock });
    expect(failState.stdout).toMatch(/failed in state\s*│\s*Charge \(a Fail state: a redrive reruns it with the same input and fails again; fix forward with `sfn-autoredrive restart`\)/);
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['a malformed execution ARN', ['explain', 'arn:aws:states:us-east-1:123:execution:x'], /Invalid execution ARN .* expected arn:<partition>:states/],
    ['a malformed state machine ARN', ['redrive', '--state-machine', 'orders-flow', '--reason', 'r'], /Malformed state machine ARN "orders-flow": expected arn:<partition>:states:<region>:<account>:stateMachine:<name>/],
    ['no selection', ['redrive', '--reason', 'r'], /Select state machines with --state-machine ARN or --name-prefix PREFIX/],
    ['no reason', ['redrive', '--name-prefix', 'orders-'], /--reason "…" is required/],
    ['--since after --until', ['redrive', '--name-prefix', 'orders-', '--reason', 'r', '--since', '1h', '--until', '3h'], /Bad time range: --since \(.*\) is after --until/],
    ['an unparsable date', ['ledger', '--name-prefix', 'orders-', '--since', 'yesterday'], /--since "yesterday" is not a date: use ISO 8601/],
    ['a bad status', ['redrive', '--name-prefix', 'orders-', '--reason', 'r', '--status', 'SUCCEEDED'], /--status SUCCEEDED is not one of FAILED, TIMED_OUT, ABORTED/],
    ['a bad limit', ['redrive', '--name-prefix', 'orders-', '--reason', 'r', '--limit', '0'], /--limit must be a whole number of at least 1/],
    ['an unknown command option', ['redrive', '--colour'], /unknown option '--colour'/],
    ['a bad regex', ['redrive', '--name-prefix', 'orders-', '--reason', 'r', '--error', '/(/'], /--error "\/\(\/" is not a valid pattern/],
    ['an unknown name prefix', ['redrive', '--name-prefix', 'nope-', '--reason', 'r', '--dry-run'], /Unknown state machine: no state machine name starts with "nope-"/],
    ['a missing config file', ['sweep', '--config', 'missing.json'], /Config file .*missing.json not found/],
    ['a malformed ARN in the ledger report', ['ledger', '--state-machine', 'arn:aws:states:us-east-1:123456789012:execution:x:y'], /Malformed state machine ARN/],
  ];
  it.each(usage)('exits 2 on %s', async (_what, args, message) => {
    const out = await cli([...args, ...localFlags(stack())], { clock });
    expect(out.stderr).toMatch(message);
    expect(out.code).toBe(2);
  });

  it('exits 2 on an unknown state machine, an unknown execution and a missing ledger table', async () => {
    const unknownMachine = await cli(['redrive', ...localFlags(stack()), '--state-machine', 'arn:aws:states:us-east-1:123456789012:stateMachine:orders-gone', '--reason', 'r', '--dry-run'], { clock });
    expect(unknownMachine).toMatchObject({ code: 2, stderr: expect.stringMatching(/Unknown state machine: State Machine Does Not Exist: 'arn:.*orders-gone'/) });
    const unknownExecution = await cli(['explain', 'arn:aws:states:us-east-1:123456789012:execution:orders-explain:nobody', ...localFlags(stack())], { clock });
    expect(unknownExecution).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown execution: arn:aws:states:us-east-1:123456789012:execution:orders-explain:nobody does not exist in us-east-1') });
    const noTable = await cli(['explain', 'arn:aws:states:us-east-1:123456789012:execution:orders-explain:x', '--region', 'us-east-1', '--endpoint-url', stack().sfn.endpoint], { clock });
    expect(noTable).toMatchObject({ code: 2, stderr: expect.stringContaining('No ledger table: pass --table NAME or set LEDGER_TABLE_NAME') });
  });

  it('names the IAM action on a missing permission and stops (exit 2); a rerun finishes the job', async () => {
    const arns = [seedFailed('denied-1'), seedFailed('denied-2')];
    // Not the execution redriven above, which failed again and is in the worker's backoff.
    const args = ['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--not-redriven-only', '--reason', 'INC-6', '--yes', '--since', '3h', '--concurrency', '1'];
    stack().sfn.setFaults({ forcedErrors: { RedriveExecution: { code: 'AccessDeniedException', message: 'User is not authorized to perform: states:RedriveExecution', count: 1 } } });

    const denied = await cli(args, { clock });
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('Missing permission: your credentials may not call states:RedriveExecution');
    // The claim it made is resumed by the next run once it is older than a worker's timeout.
    await clock.advance(2 * 60_000);
    const rerun = await cli([...args, '--output', 'json'], { clock });
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout).run).toMatchObject({ redriven: 2, errors: 0 });
    expect(arns.map((arn) => stack().sfn.execution(arn)!.redriveCount)).toEqual([1, 1]);
  });

  it('exits 1 on an expired page token and on partial failure', async () => {
    stack().sfn.setFaults({ forcedErrors: { ListExecutions: { code: 'InvalidToken', message: "Invalid Token: 'expired'", count: 1 } } });
    const expired = await cli(['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--reason', 'r', '--dry-run'], { clock });
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain('The page token expired or is invalid (Step Functions page tokens live 24 hours)');

    const arns = [seedFailed('partial-1'), seedFailed('partial-2'), seedFailed('partial-3')];
    stack().sfn.setFaults({ forcedErrors: { RedriveExecution: { code: 'ExecutionLimitExceeded', message: 'too many open executions', count: 1 } } });
    const partial = await cli(['redrive', ...localFlags(stack()), '--state-machine', stateMachineArn, '--not-redriven-only', '--reason', 'INC-7', '--yes', '--since', '3h', '--output', 'json'], { clock });
    expect(partial.code).toBe(1);
    const run = JSON.parse(partial.stdout).run;
    expect(run).toMatchObject({ redriven: 2, errors: 1 });
    expect(run.errorSamples[0].message).toContain('ExecutionLimitExceeded (RedriveExecution): too many open executions');
    expect(arns.map((arn) => stack().sfn.execution(arn)!.redriveCount).sort()).toEqual([0, 1, 1]);
  });

  it('names the service and endpoint it could not reach, or that answered like something else, and exits 3', async () => {
    const html = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>a dashboard</html>'));
    await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    try {
      const withSfnAt = (endpoint: string) => localFlags(stack()).map((flag) => (flag === stack().sfn.endpoint ? endpoint : flag));
      const refused = await cli(['redrive', ...withSfnAt(`http://127.0.0.1:${closedPort}`), '--name-prefix', 'orders-', '--dry-run'], { clock });
      expect(refused).toMatchObject({
        code: 3,
        stderr: expect.stringContaining(`Could not reach Step Functions at http://127.0.0.1:${closedPort} (ListStateMachines: ECONNREFUSED). Check --endpoint-url`),
      });
      const wrong = await cli(['redrive', ...withSfnAt(`http://127.0.0.1:${(html.address() as AddressInfo).port}`), '--name-prefix', 'orders-', '--dry-run'], { clock });
      expect(wrong).toMatchObject({ code: 3, stderr: expect.stringMatching(/Step Functions at http:\/\/127\.0\.0\.1:\d+ answered like something else \(ListStateMachines: HTTP 200, .*is it the Step Functions endpoint\?/) });
      expect(wrong.stderr).not.toContain('partial');
    } finally {
      await new Promise((resolve) => html.close(resolve));
    }
  });

  it('prints its version', async () => {
    const out = await cli(['--version']);
    expect(out).toMatchObject({ code: 0, stdout: `${JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).version}\n` });
  });
});

/**
 * Every status event is delivered three times, in shuffled order (random delays up to ten minutes),
 * and then all of them again, late: after the executions already succeeded on redrive or gave up.
 * Exactly one delivery per failure generation acts; the late ones change nothing.
 */
import { seededRandom } from '../../local/sfn/rng';
import { auditFailures } from './support/accounting';
import { startFaultStack, type FaultStack } from './support/fault-stack';

let fault: FaultStack;
const failureEvents = new Map<string, string>();

beforeAll(async () => {
  fault = await startFaultStack();
  // A second rule on the same pattern keeps one copy of every failure event, to deliver late.
  fault.stack.bus.addRule({
    name: 'keep-failure-events',
    pattern: { source: ['aws.states'], detail: { status: ['FAILED'] } },
    target: (event) => void failureEvents.set(event.id, JSON.stringify(event)),
  });
  fault.stack.bus.setFaults({ deliveriesPerEvent: 3, maxDeliveryDelayMs: 10 * 60_000, random: seededRandom(7) });
});

afterAll(async () => {
  await fault?.stack.stop();
});

it('acts once per failure generation whatever the number, order or lateness of deliveries', async () => {
  const { stack, clock, startExecutions } = fault;
  const transient = await startExecutions('Transient', 12);
  const permanent = await startExecutions('Permanent', 4);
  const declined = await startExecutions('NonRetryable', 4);
  const all = [...transient, ...permanent, ...declined];

  await stack.runUntilQuiet();
  expect(stack.bus.counters.duplicated).toBeGreaterThan(0);
  const redrivesBeforeLateDeliveries = stack.sfn.stats().apis.RedriveExecution.calls;

  // Late: every failure event again, three times each, shuffled, after everything settled.
  const random = seededRandom(11);
  const late = [...failureEvents.values()].flatMap((body) => [body, body, body]).sort(() => random() - 0.5);
  expect(late.length).toBe(3 * (12 + 4 * 3 + 4));
  for (const body of late) stack.intakeQueue.send({ body });
  await clock.advance(60 * 60_000);
  await stack.runUntilQuiet();

  expect(stack.sfn.stats().apis.RedriveExecution.calls).toBe(redrivesBeforeLateDeliveries);
  const audit = await auditFailures(stack, all);
  expect(audit.violations).toEqual([]);
  expect(audit.places).toEqual({ redriven: 12, skipped: 4, 'gave-up': 4, dlq: 0 });
  for (const arn of permanent) expect(stack.sfn.execution(arn)?.redriveCount).toBe(2);
  expect(stack.alerts.filter((a) => a.kind === 'GAVE_UP')).toHaveLength(4);
  expect(stack.alerts.filter((a) => a.kind === 'SKIPPED_NON_RETRYABLE')).toHaveLength(4);
});

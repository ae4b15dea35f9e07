/**
 * Conformance suite (issue #11): every case in ./cases is a state machine from an AWS documentation example,
 * run through the official SDK client against the emulator and compared with the result the page states.
 * How a case is written, and what each field means: the ConformanceCase type below and docs/local-stack.md,
 * "Conformance suite".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedriveExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { errorOf, startHarness, type Harness, type RunHandle } from '../harness';
import type { VirtualClock } from '../../../../local/clock';
import type { TaskHandler } from '../../../../local/sfn';

/**
 * One answer of a task: its result, an error, its own input back, or no answer for `sleep` seconds of the
 * virtual clock (a function that runs that long, for TimeoutSeconds). The last answer repeats.
 */
type Answer = { return: unknown } | { throw: { error: string; cause?: string } } | { echo: true } | { sleep: number };

interface Expectation {
  status?: string;
  /** Compared whole (after normalization). */
  output?: unknown;
  /** Compared as a subset: only what the page shows. */
  outputContains?: unknown;
  error?: string;
  cause?: string;
  /** CreateStateMachine must refuse the definition with this error code (and a message containing `messageContains`). */
  createError?: { code: string; messageContains?: string };
  /** RedriveExecution must refuse with this error code (and message). */
  redriveError?: { code: string; message?: string };
  redriveCount?: number;
  history?: {
    /** The exact sequence of event types. */
    types?: string[];
    /** Events that must appear in this order (others may come between); `type` plus a subset of the event. */
    contains?: Array<Record<string, unknown>>;
    /** Event types that must not appear after ExecutionRedriven. */
    absentAfterRedrive?: string[];
    /** How many events of each type the whole history holds. */
    counts?: Record<string, number>;
  };
  /** Seconds between each TaskFailed and the next TaskScheduled: a number, or [min, max]. */
  retryWaits?: Array<number | [number, number]>;
  /** How many times each task answer list was used. */
  invocations?: Record<string, number>;
  /** Seconds from the execution's start to its stop (on the virtual clock). */
  durationSeconds?: number;
}

interface ConformanceCase {
  source: { url: string; section: string };
  note?: string;
  definition: Record<string, unknown>;
  input?: unknown;
  /** Task behaviour, keyed by state name, resource ARN or (for lambda:invoke) FunctionName. */
  tasks?: Record<string, Answer[]>;
  /** Redrive once the first run has closed, then wait again; `expect` describes the end. */
  redrive?: boolean;
  /** What the first run ends with, before the redrive. */
  firstRun?: { status: string; error?: string };
  /** Seconds the clock moves on between the first run's end and the redrive. */
  redriveAfterSeconds?: number;
  expect: Expectation;
  /**
   * A documented divergence: `line` is quoted from docs/local-stack.md's "Known divergences from AWS", `expect`
   * holds the emulator's documented behaviour and `aws` what the page states, which the emulator must not give.
   */
  divergence?: { line: string; aws: Pick<Expectation, 'status' | 'error' | 'cause' | 'output'> };
}

const CASES_DIR = join(__dirname, 'cases');
const LOCAL_STACK_DOC = readFileSync(join(__dirname, '../../../../docs/local-stack.md'), 'utf8');
const cases = readdirSync(CASES_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ name: file.replace(/\.json$/, ''), spec: JSON.parse(readFileSync(join(CASES_DIR, file), 'utf8')) as ConformanceCase }));

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;
const STATES_ARN = /arn:aws:states:[a-z0-9-]+:\d{12}:/g;

/** ARNs lose their region and account, uuids and timestamps become placeholders: docs and emulator differ there by nature. */
function normalize(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(STATES_ARN, 'arn:aws:states:<region>:<account>:').replace(UUID, '<uuid>').replace(TIMESTAMP, '<timestamp>');
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  return value;
}

/**
 * Matchers a case may use where the page shows an example of a value rather than the value:
 * `{"$intBetween": [min, max]}` and `{"$jsonText": value}` (a string holding that JSON, whatever its spacing).
 */
function resolveMatchers(expected: unknown, actual: unknown): unknown {
  if (Array.isArray(expected)) return expected.map((item, i) => resolveMatchers(item, Array.isArray(actual) ? actual[i] : undefined));
  if (!expected || typeof expected !== 'object') return expected;
  const record = expected as Record<string, unknown>;
  if ('$intBetween' in record) {
    const [min, max] = record.$intBetween as [number, number];
    return Number.isInteger(actual) && (actual as number) >= min && (actual as number) <= max ? actual : `an integer in [${min}, ${max}]`;
  }
  if ('$jsonText' in record) {
    try {
      return typeof actual === 'string' && JSON.stringify(JSON.parse(actual)) === JSON.stringify(record.$jsonText) ? actual : `JSON text of ${JSON.stringify(record.$jsonText)}`;
    } catch {
      return `JSON text of ${JSON.stringify(record.$jsonText)}`;
    }
  }
  const target = actual && typeof actual === 'object' ? (actual as Record<string, unknown>) : {};
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolveMatchers(v, target[k])]));
}

function handlersFor(tasks: Record<string, Answer[]> | undefined, used: Record<string, number>, clock: () => VirtualClock): Record<string, TaskHandler> {
  return Object.fromEntries(
    Object.entries(tasks ?? {}).map(([key, answers]) => {
      used[key] = 0;
      const handler: TaskHandler = async (input) => {
        const answer = answers[Math.min(used[key]++, answers.length - 1)];
        if ('throw' in answer) throw Object.assign(new Error(answer.throw.cause ?? ''), { name: answer.throw.error });
        if ('sleep' in answer) return clock().sleepUntil(clock().nowMs() + answer.sleep * 1000).then(() => null);
        return 'echo' in answer ? input : answer.return;
      };
      return [key, handler];
    }),
  );
}

/** Strands still running in the emulator (test-only peek at its runner: a sleeping task handler keeps one busy). */
const busyStrands = (h: Harness) => (h.emulator as unknown as { ctx: { runner: { busy: number } } }).ctx.runner.busy;
const TASK_CLOSED = ['TaskSucceeded', 'TaskFailed', 'TaskTimedOut'];

/**
 * Waits until nothing is runnable. waitForIdle does that, except while a `sleep` task handler holds a
 * strand: then the emulator is idle once every busy strand is a task still open in the history.
 */
async function idle(h: Harness, run: RunHandle, sleepy: boolean): Promise<void> {
  if (!sleepy) return h.emulator.waitForIdle();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    const types = (await run.history()).map((event) => event.type!);
    const open = types.filter((type) => type === 'TaskStarted').length - types.filter((type) => TASK_CLOSED.includes(type)).length;
    if (busyStrands(h) <= open) return;
  }
}

/** Runs the execution until it closes, jumping the virtual clock from timer to timer (Wait states, Retry intervals). */
async function settle(h: Harness, run: RunHandle, sleepy: boolean): Promise<void> {
  const describe = run.describe;
  for (let step = 0; step < 1000; step++) {
    await idle(h, run, sleepy);
    const due = h.clock.nextDueMs();
    if ((await describe()).status !== 'RUNNING' || due === undefined) return;
    await h.clock.advance(Math.max(0, due - h.clock.nowMs()));
  }
}

function eventDetails(event: HistoryEvent): Record<string, unknown> {
  const parsed: Record<string, unknown> = { ...event };
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || !value) continue;
    const details = { ...(value as Record<string, unknown>) };
    // Event payloads are JSON text; compare them as values.
    for (const field of ['input', 'output', 'parameters']) {
      if (typeof details[field] === 'string') {
        try {
          details[field] = JSON.parse(details[field] as string);
        } catch {
          /* not JSON: keep the text */
        }
      }
    }
    parsed[key] = details;
  }
  return normalize(parsed) as Record<string, unknown>;
}

function checkHistory(events: HistoryEvent[], expected: NonNullable<Expectation['history']>): void {
  const types = events.map((event) => event.type);
  if (expected.types) expect(types).toEqual(expected.types);
  if (expected.contains) {
    let from = 0;
    for (const wanted of expected.contains) {
      const index = events.findIndex((event, i) => i >= from && (() => {
        try {
          expect(eventDetails(event)).toMatchObject(normalize(wanted) as Record<string, unknown>);
          return true;
        } catch {
          return false;
        }
      })());
      if (index < 0) throw new Error(`history has no ${JSON.stringify(wanted)} after event #${from}: ${JSON.stringify(events.slice(from).map(eventDetails), null, 1)}`);
      from = index + 1;
    }
  }
  if (expected.absentAfterRedrive) {
    const redriven = types.indexOf('ExecutionRedriven');
    expect(redriven).toBeGreaterThanOrEqual(0);
    expect(types.slice(redriven).filter((type) => expected.absentAfterRedrive!.includes(type!))).toEqual([]);
  }
  if (expected.counts) {
    const counts = Object.fromEntries(Object.keys(expected.counts).map((type) => [type, types.filter((t) => t === type).length]));
    expect(counts).toEqual(expected.counts);
  }
}

function retryWaits(events: HistoryEvent[]): number[] {
  const waits: number[] = [];
  events.forEach((event, i) => {
    if (event.type !== 'TaskFailed') return;
    const next = events.slice(i + 1).find((later) => later.type === 'TaskScheduled');
    if (next) waits.push((next.timestamp!.getTime() - event.timestamp!.getTime()) / 1000);
  });
  return waits;
}

describe('conformance with AWS documentation examples', () => {
  it('has cases, each naming its source page and section', () => {
    expect(cases.length).toBeGreaterThan(0);
    for (const { spec } of cases) {
      expect(spec.source.url).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/step-functions\//);
      expect(spec.source.section).toBeTruthy();
    }
  });

  it.each(cases)('$name', async ({ name, spec }) => {
    const used: Record<string, number> = {};
    let clock: VirtualClock | undefined;
    const h = await startHarness({ taskHandlers: handlersFor(spec.tasks, used, () => clock!) });
    clock = h.clock;
    const sleepy = Object.values(spec.tasks ?? {}).some((answers) => answers.some((answer) => 'sleep' in answer));
    try {
      const want = spec.expect;
      if (want.createError) {
        const error = await errorOf(h.createMachine(name, spec.definition));
        expect(error.name).toBe(want.createError.code);
        if (want.createError.messageContains) expect(error.message).toContain(want.createError.messageContains);
        return;
      }
      const run = await h.run(spec.definition, spec.input ?? {}, name, { settle: false });
      await settle(h, run, sleepy);
      if (spec.redrive) {
        if (spec.firstRun) expect(await run.describe()).toMatchObject(spec.firstRun);
        await h.clock.advance((spec.redriveAfterSeconds ?? 0) * 1000);
        const redrive = h.sfn.send(new RedriveExecutionCommand({ executionArn: run.executionArn }));
        if (want.redriveError) {
          const error = await errorOf(redrive);
          expect({ code: error.name, message: error.message }).toMatchObject(want.redriveError);
          return;
        }
        await redrive;
        await settle(h, run, sleepy);
      }
      const described = await run.describe();
      const actual = {
        status: described.status,
        error: normalize(described.error),
        cause: normalize(described.cause),
        redriveCount: described.redriveCount,
        output: described.output === undefined ? undefined : normalize(JSON.parse(described.output)),
      };
      if (want.status) expect(actual.status).toBe(want.status);
      if (want.error !== undefined) expect(actual.error).toBe(normalize(want.error));
      if (want.cause !== undefined) expect(actual.cause).toBe(normalize(want.cause));
      if (want.redriveCount !== undefined) expect(actual.redriveCount).toBe(want.redriveCount);
      if (want.output !== undefined) expect(actual.output).toEqual(resolveMatchers(normalize(want.output), actual.output));
      if (want.outputContains !== undefined) {
        const subset = resolveMatchers(normalize(want.outputContains), actual.output);
        if (subset && typeof subset === 'object') expect(actual.output).toMatchObject(subset);
        else expect(actual.output).toEqual(subset);
      }
      const history = want.history || want.retryWaits ? await run.history() : [];
      if (want.history) checkHistory(history, want.history);
      if (want.retryWaits) {
        const waits = retryWaits(history);
        expect(waits).toHaveLength(want.retryWaits.length);
        want.retryWaits.forEach((wanted, i) => {
          if (Array.isArray(wanted)) {
            expect(waits[i]).toBeGreaterThanOrEqual(wanted[0]);
            expect(waits[i]).toBeLessThanOrEqual(wanted[1]);
          } else expect(waits[i]).toBe(wanted);
        });
      }
      if (want.invocations) expect(used).toMatchObject(want.invocations);
      if (want.durationSeconds !== undefined) expect((described.stopDate!.getTime() - described.startDate!.getTime()) / 1000).toBe(want.durationSeconds);
      if (spec.divergence) {
        // The emulator differs from the page in exactly the documented way: it gives `expect`, never `aws`.
        expect(LOCAL_STACK_DOC).toContain(spec.divergence.line);
        for (const [field, value] of Object.entries(spec.divergence.aws)) {
          expect(actual[field as keyof typeof actual]).not.toEqual(field === 'output' ? normalize(value) : value);
        }
      }
    } finally {
      await h.close();
    }
  });
});

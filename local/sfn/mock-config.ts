/**
 * The Step Functions Local mock configuration format (MockConfigFile.json): test cases map state names
 * to mocked responses; a mocked response maps invocation numbers ("0", "1-2") to Return or Throw.
 * Our addition, for `.waitForTaskToken` states: Callback, answers sent on the stack clock.
 */
import { readFileSync } from 'node:fs';
import { StatesError } from './asl/states-error';

export interface MockedThrow {
  Error: string;
  Cause?: string;
}

/**
 * Answers to a `.waitForTaskToken` task, sent as SendTaskHeartbeat / SendTaskSuccess / SendTaskFailure
 * would be, at virtual seconds after the task submitted its token. Without AfterSeconds no answer comes
 * (for heartbeat and timeout tests).
 */
export interface MockedCallback {
  /** The integration's own response (the TaskSubmitted output). @default {} */
  Submitted?: unknown;
  Heartbeats?: number[];
  AfterSeconds?: number;
  Return?: unknown;
  Throw?: MockedThrow;
}

export type MockedStep = { Return: unknown } | { Throw: MockedThrow } | { Callback: MockedCallback };

export interface MockConfig {
  StateMachines?: Record<string, { TestCases: Record<string, Record<string, string>> }>;
  MockedResponses?: Record<string, Record<string, MockedStep>>;
}

interface ResponseRange {
  first: number;
  last: number;
  step: MockedStep;
}

export class MockResponses {
  private readonly ranges = new Map<string, ResponseRange[]>();

  constructor(private readonly config: MockConfig) {
    for (const [name, steps] of Object.entries(config.MockedResponses ?? {})) {
      this.ranges.set(name, parseRanges(name, steps));
    }
    for (const [machine, { TestCases }] of Object.entries(config.StateMachines ?? {})) {
      for (const [testCase, states] of Object.entries(TestCases ?? {})) {
        for (const [state, response] of Object.entries(states)) {
          if (!this.ranges.has(response)) {
            throw new Error(`mock config: ${machine}/${testCase}/${state} names unknown mocked response "${response}"`);
          }
        }
      }
    }
  }

  static load(source: MockConfig | string | undefined): MockResponses {
    if (source === undefined) return new MockResponses({});
    return new MockResponses(typeof source === 'string' ? (JSON.parse(readFileSync(source, 'utf8')) as MockConfig) : source);
  }

  hasTestCase(stateMachineName: string, testCase: string): boolean {
    return this.config.StateMachines?.[stateMachineName]?.TestCases?.[testCase] !== undefined;
  }

  /** The mocked response name for a state in a test case, if it is mocked. */
  responseNameFor(stateMachineName: string, testCase: string, stateName: string): string | undefined {
    return this.config.StateMachines?.[stateMachineName]?.TestCases?.[testCase]?.[stateName];
  }

  /** Invocation number `invocation` (0-based) of a mocked response; past the last numbered one, the last repeats. */
  stepFor(responseName: string, invocation: number): MockedStep {
    const ranges = this.ranges.get(responseName)!;
    return (ranges.find((r) => invocation >= r.first && invocation <= r.last) ?? ranges[ranges.length - 1]).step;
  }
}

/** A Return step's value (a copy), or its Throw as a StatesError. */
export function playStep(step: { Return: unknown } | { Throw: MockedThrow }): unknown {
  if ('Throw' in step) throw throwOf(step.Throw);
  return structuredClone(step.Return);
}

export function throwOf(thrown: MockedThrow): StatesError {
  return new StatesError(thrown.Error, thrown.Cause ?? '');
}

function parseRanges(name: string, steps: Record<string, MockedStep>): ResponseRange[] {
  const ranges = Object.entries(steps).map(([key, step]) => {
    const match = /^(\d+)(?:-(\d+))?$/.exec(key);
    if (!match) throw new Error(`mock config: response "${name}" has invalid invocation key "${key}" (use "0" or "1-2")`);
    if (!step || ['Return', 'Throw', 'Callback'].filter((kind) => kind in step).length !== 1) {
      throw new Error(`mock config: response "${name}" invocation "${key}" needs one of Return, Throw or Callback`);
    }
    if ('Callback' in step) checkCallback(step.Callback, `mock config: response "${name}" invocation "${key}" Callback`);
    return { first: Number(match[1]), last: Number(match[2] ?? match[1]), step };
  });
  if (ranges.length === 0) throw new Error(`mock config: response "${name}" has no invocations`);
  return ranges.sort((a, b) => a.first - b.first);
}

function checkCallback(callback: MockedCallback, where: string): void {
  const isSeconds = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;
  if (callback.Heartbeats !== undefined && !(Array.isArray(callback.Heartbeats) && callback.Heartbeats.every(isSeconds))) {
    throw new Error(`${where}: Heartbeats must be a list of seconds`);
  }
  const answers = ['Return', 'Throw'].filter((kind) => kind in callback).length;
  if (callback.AfterSeconds === undefined ? answers !== 0 : !isSeconds(callback.AfterSeconds) || answers !== 1) {
    throw new Error(`${where}: AfterSeconds (seconds) comes with exactly one of Return or Throw`);
  }
}

/**
 * The Step Functions Local mock configuration format (MockConfigFile.json): test cases map state names
 * to mocked responses; a mocked response maps invocation numbers ("0", "1-2") to Return or Throw.
 */
import { readFileSync } from 'node:fs';
import { StatesError } from './asl/states-error';

export type MockedStep = { Return: unknown } | { Throw: { Error: string; Cause?: string } };

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

  /**
   * Plays invocation number `invocation` (0-based) of a mocked response: returns its value or throws
   * its error. Past the last numbered invocation the last response repeats.
   */
  play(responseName: string, invocation: number): unknown {
    const ranges = this.ranges.get(responseName)!;
    const range = ranges.find((r) => invocation >= r.first && invocation <= r.last) ?? ranges[ranges.length - 1];
    if ('Throw' in range.step) throw new StatesError(range.step.Throw.Error, range.step.Throw.Cause ?? '');
    return structuredClone(range.step.Return);
  }
}

function parseRanges(name: string, steps: Record<string, MockedStep>): ResponseRange[] {
  const ranges = Object.entries(steps).map(([key, step]) => {
    const match = /^(\d+)(?:-(\d+))?$/.exec(key);
    if (!match) throw new Error(`mock config: response "${name}" has invalid invocation key "${key}" (use "0" or "1-2")`);
    if (!step || (!('Return' in step) && !('Throw' in step))) {
      throw new Error(`mock config: response "${name}" invocation "${key}" needs Return or Throw`);
    }
    return { first: Number(match[1]), last: Number(match[2] ?? match[1]), step };
  });
  if (ranges.length === 0) throw new Error(`mock config: response "${name}" has no invocations`);
  return ranges.sort((a, b) => a.first - b.first);
}

/**
 * The demo scenario format (docs/scenarios.md): state machines, Step Functions Local mock configs,
 * executions to start, the sfn-autoredrive config, clock jumps and faults. One zod schema validates it
 * and every bad field is named in one error.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as z from 'zod';
import { configSchema, type AutoRedriveConfig } from '../../core/config';
import { isValidNamePrefix, isValidStepFunctionsName, NAME_RULE } from '../../core/names';
import { didYouMean, issueLines, problemReport } from '../../core/schema-problems';
import type { MockConfig } from '../sfn';
import { allStateNames, type StatesScope } from '../sfn/asl/definition';
import { definitionProblems } from '../sfn/asl/validate';

/** A state machine name as AWS accepts it (core/names.ts). */
const nameSchema = z.string().refine(isValidStepFunctionsName, `must be a Step Functions name: ${NAME_RULE}`);
const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

const mockedThrowSchema = z.object({ Error: z.string().min(1), Cause: z.string().optional() }).strict();
const virtualSecondsSchema = z.number().nonnegative();
/** Answers to a `.waitForTaskToken` state at virtual seconds after it submitted its token (docs/local-stack.md). */
const mockedCallbackSchema = z
  .object({
    Submitted: z.unknown().optional(),
    Heartbeats: z.array(virtualSecondsSchema).optional(),
    AfterSeconds: virtualSecondsSchema.optional(),
    Return: z.unknown().optional(),
    Throw: mockedThrowSchema.optional(),
  })
  .strict()
  .refine(
    (callback) => (callback.AfterSeconds === undefined) === (callback.Return === undefined && callback.Throw === undefined) && !(callback.Return !== undefined && callback.Throw !== undefined),
    'AfterSeconds comes with exactly one of Return or Throw (neither: the callback never comes)',
  );
const mockedStepSchema = z.union([
  z.object({ Return: z.unknown() }).strict(),
  z.object({ Throw: mockedThrowSchema }).strict(),
  z.object({ Callback: mockedCallbackSchema }).strict(),
]);

/** The Step Functions Local MockConfigFile.json format. */
const mockConfigObjectSchema = z
  .object({
    StateMachines: z.record(z.string(), z.strictObject({ TestCases: z.record(z.string(), z.record(z.string(), z.string())) })).optional(),
    MockedResponses: z.record(z.string(), z.record(z.string().regex(/^\d+(-\d+)?$/, 'must be an invocation number such as "0" or a range "1-2"'), mockedStepSchema)).optional(),
  })
  .strict();
/** Inline, or a path to a MockConfigFile.json (relative to the scenario file). */
const mockConfigSchema = z.union([z.string().min(1), mockConfigObjectSchema]);

const definitionSchema = z.object({ StartAt: z.string().min(1), States: z.record(z.string(), z.unknown()) }).passthrough();
const aliasSchema = z.string().regex(/^(?=.*[a-zA-Z_.-])[a-zA-Z0-9_.-]{1,80}$/, 'must be a state machine alias name: 1-80 of A-Z a-z 0-9 _ . -, not all digits');

/** A fix is deployed: a new definition, published as the next version, and the alias moved to it. */
const deploySchema = z
  .object({
    stateMachine: nameSchema,
    definition: definitionSchema,
    /** The alias that now routes every execution to the new version. */
    alias: aliasSchema,
  })
  .strict();

const stateMachineSchema = z
  .object({
    name: nameSchema,
    type: z.enum(['STANDARD', 'EXPRESS']).default('STANDARD'),
    /** The ASL definition, as an object. */
    definition: definitionSchema,
    /** Publish the definition as version 1 and point this alias at it (start executions through it with the group's `alias`). */
    alias: aliasSchema.optional(),
  })
  .strict();

const executionGroupSchema = z
  .object({
    /** Shown in the per-group table, e.g. "card declined". */
    label: z.string().min(1),
    stateMachine: nameSchema,
    /** Mock config test case (Step Functions Local's `stateMachineArn#TestCase`). */
    testCase: z.string().min(1).optional(),
    /** Start through this alias of the state machine (it must declare it), so they run its version. */
    alias: aliasSchema.optional(),
    count: z.number().int().min(1).max(10_000).default(1),
    /** Execution names are `<namePrefix><number>`, numbered across the whole scenario. */
    namePrefix: z.string().max(70).refine(isValidNamePrefix, `must be the start of a Step Functions name: ${NAME_RULE}`).default('exec-'),
    /** Execution input. In strings, `{{name}}` and `{{index}}` are replaced per execution. */
    input: z.unknown().default({}),
    /** Virtual seconds after the scenario start when the first one starts. */
    startAtSeconds: z.number().min(0).default(0),
    /** The group's starts are spread evenly over this many virtual seconds. */
    spreadSeconds: z.number().min(0).default(0),
    /** An operator stops each execution this many virtual seconds after it started (ABORTED). */
    stopAfterSeconds: z.number().min(0).optional(),
    /** Step Functions' status event for these executions is lost (the sweep must find them). */
    dropStatusEvents: z.array(z.enum(EXECUTION_STATUSES)).optional(),
  })
  .strict();

const sfnFaultsSchema = z
  .object({
    /** Real milliseconds added to every emulator response. */
    latencyMs: z.number().int().min(0).max(5000).optional(),
    /** Share (0..1) of emulator calls answered with a 500 or 503. */
    serverErrorRate: z.number().min(0).max(1).optional(),
    /** Per API, fail the next `count` calls with `code`, e.g. { "RedriveExecution": { "code": "ThrottlingException", "count": 3 } }. */
    forcedErrors: z.record(z.string(), z.object({ code: z.string().min(1), message: z.string().optional(), count: z.number().int().min(1) }).strict()).optional(),
    /** Share (0..1) of all status events lost. */
    dropStatusEventRate: z.number().min(0).max(1).optional(),
  })
  .strict();

const busFaultsSchema = z
  .object({
    /** Each matching event is delivered this many times (EventBridge is at-least-once). */
    deliveriesPerEvent: z.number().int().min(1).max(10).optional(),
    dropRate: z.number().min(0).max(1).optional(),
    maxDeliveryDelayMs: z.number().int().min(0).optional(),
  })
  .strict();

const faultsSchema = z
  .object({
    /** AWS's default API token buckets (Rate exceeded). */
    throttling: z.boolean().optional(),
    stepFunctions: sfnFaultsSchema.optional(),
    eventBus: busFaultsSchema.optional(),
  })
  .strict();

/** A person clicks a button of the approval message Slack shows for one execution. */
const clickSchema = z
  .object({
    /** The execution's name (`<namePrefix><number>`). */
    execution: nameSchema,
    button: z.enum(['Redrive', 'Skip']),
    /** The Slack user who clicks (approvals.allowedSlackUserIds decides whether it counts). */
    user: z.object({ id: z.string().min(1), name: z.string().min(1) }).strict(),
  })
  .strict();

const timelineStepSchema = z
  .object({
    /** Virtual seconds after the scenario start. */
    atSeconds: z.number().min(0),
    /** Jump the clock forward this many seconds at once, firing every timer on the way (e.g. 1209600 = 14 days). */
    jumpSeconds: z.number().min(0).optional(),
    /** Change the faults from here on. */
    faults: faultsSchema.omit({ throttling: true }).optional(),
    /** Clicks on approval messages, in order, all at this moment (two at once: a double click). */
    clicks: z.array(clickSchema).min(1).optional(),
    /** Deploys a fixed definition (UpdateStateMachine with publish, then the alias moved to the new version). */
    deploy: deploySchema.optional(),
  })
  .strict()
  .refine((step) => step.jumpSeconds !== undefined || step.faults !== undefined || step.clicks !== undefined || step.deploy !== undefined, { message: 'give jumpSeconds, faults, clicks or deploy' });

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    /** Virtual start time (ISO 8601). @default the current time */
    startTime: z.iso.datetime().optional(),
    config: configSchema,
    stateMachines: z.array(stateMachineSchema).min(1),
    mockConfig: mockConfigSchema.optional(),
    executions: z.array(executionGroupSchema).min(1),
    faults: faultsSchema.default({}),
    timeline: z.array(timelineStepSchema).default([]),
    /** Seconds the Slack notifier gathers alerts into one post. */
    slackBatchingWindowSeconds: z.number().int().min(0).max(300).default(5),
  })
  .strict()
  .superRefine((scenario, ctx) => {
    if (scenario.timeline.some((step) => step.clicks) && !scenario.config.approvals.slackSigningSecretName) {
      ctx.addIssue({ code: 'custom', path: ['config', 'approvals', 'slackSigningSecretName'], message: 'the timeline clicks approval buttons: set it, so the messages carry buttons and the local approval endpoint runs' });
    }
    const types = new Map(scenario.stateMachines.map((sm) => [sm.name, sm.type]));
    const aliases = new Map(scenario.stateMachines.map((sm) => [sm.name, sm.alias]));
    scenario.timeline.forEach((step, i) => {
      if (step.deploy && aliases.get(step.deploy.stateMachine) !== step.deploy.alias) {
        ctx.addIssue({ code: 'custom', path: ['timeline', i, 'deploy', 'alias'], message: `"${step.deploy.stateMachine}" in stateMachines must declare the alias "${step.deploy.alias}"` });
      }
    });
    scenario.executions.forEach((group, i) => {
      const type = types.get(group.stateMachine);
      if (!type) {
        ctx.addIssue({ code: 'custom', path: ['executions', i, 'stateMachine'], message: `no state machine named "${group.stateMachine}" in stateMachines` });
      }
      if (group.alias !== undefined && aliases.get(group.stateMachine) !== group.alias) {
        ctx.addIssue({ code: 'custom', path: ['executions', i, 'alias'], message: `"${group.stateMachine}" in stateMachines does not declare the alias "${group.alias}"` });
      }
      // Step Functions refuses StopExecution for Express executions, and sends no status events for them.
      if (type === 'EXPRESS' && group.stopAfterSeconds !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['executions', i, 'stopAfterSeconds'], message: `"${group.stateMachine}" is EXPRESS: StopExecution does not support Express executions` });
      }
      if (type === 'EXPRESS' && group.dropStatusEvents !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['executions', i, 'dropStatusEvents'], message: `"${group.stateMachine}" is EXPRESS: Express executions send no status events` });
      }
    });
  });

export type Scenario = Omit<z.output<typeof scenarioSchema>, 'config' | 'mockConfig'> & {
  config: AutoRedriveConfig;
  /** Inline, or read from the file the scenario named. */
  mockConfig?: MockConfig;
};
export type ExecutionGroup = Scenario['executions'][number];
export type ScenarioFaults = Scenario['faults'];

export class ScenarioError extends Error {
  /** `problems` are `path: message` lines; the message prefixes each with `source`, the scenario file. */
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(problemReport('Invalid scenario', problems, source));
    this.name = 'ScenarioError';
  }
}

/** Validates a parsed scenario; `baseDir` resolves a mock config given as a path. */
export function parseScenario(raw: unknown, source: string, baseDir = process.cwd()): Scenario {
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) throw new ScenarioError(source, issueLines(scenarioSchema, result.error));
  const mockConfig = typeof result.data.mockConfig === 'string' ? readMockConfig(resolve(baseDir, result.data.mockConfig), source) : result.data.mockConfig;
  const scenario: Scenario = { ...result.data, mockConfig: mockConfig as MockConfig | undefined };
  const problems = [...definitionLines(scenario), ...unknownTestCases(scenario), ...unknownMockedStates(scenario)];
  if (problems.length > 0) throw new ScenarioError(source, problems);
  return scenario;
}

export function loadScenarioFile(path: string): Scenario {
  return parseScenario(readJson(path, path, ''), path, dirname(resolve(path)));
}

function readMockConfig(path: string, source: string): z.output<typeof mockConfigObjectSchema> {
  const result = mockConfigObjectSchema.safeParse(readJson(path, source, 'mockConfig: '));
  if (!result.success) throw new ScenarioError(source, issueLines(mockConfigObjectSchema, result.error, [`mockConfig (${path})`]));
  return result.data;
}

function readJson(path: string, source: string, label: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(source, [`${label}cannot read ${path}: ${(error as Error).message}`]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(source, [`${label}${path} is not valid JSON: ${(error as Error).message}`]);
  }
}

/** A test case the mock config does not define would make every such execution fail at its first Task. */
function unknownTestCases(scenario: Scenario): string[] {
  return scenario.executions.flatMap((group, i) => {
    if (group.testCase === undefined) return [];
    const known = scenario.mockConfig?.StateMachines?.[group.stateMachine]?.TestCases?.[group.testCase] !== undefined;
    return known ? [] : [`executions.${i}.testCase: the mock config has no test case "${group.testCase}" for state machine "${group.stateMachine}"`];
  });
}

/** CreateStateMachine's own checks, so a bad definition stops the demo before the stack starts. */
function definitionLines(scenario: Scenario): string[] {
  return [
    ...scenario.stateMachines.flatMap(({ name, definition }, i) => definitionProblems(definition).map((problem) => `stateMachines.${i}.definition ("${name}"): ${problem}`)),
    ...scenario.timeline.flatMap((step, i) =>
      step.deploy ? definitionProblems(step.deploy.definition).map((problem) => `timeline.${i}.deploy.definition ("${step.deploy!.stateMachine}"): ${problem}`) : [],
    ),
  ];
}

/**
 * A mocked state the definition does not have is never played, so the real state would fail with
 * States.Runtime at run time. Checked only for definitions that are valid, whose states can be listed.
 */
function unknownMockedStates(scenario: Scenario): string[] {
  return Object.entries(scenario.mockConfig?.StateMachines ?? {}).flatMap(([machine, { TestCases }]) => {
    const definition = scenario.stateMachines.find((sm) => sm.name === machine)?.definition;
    if (definition === undefined || definitionProblems(definition).length > 0) return [];
    const states = allStateNames(definition as unknown as StatesScope);
    return Object.entries(TestCases).flatMap(([testCase, mocked]) =>
      Object.keys(mocked)
        .filter((state) => !states.includes(state))
        .map(
          (state) =>
            `mockConfig.StateMachines.${machine}.TestCases.${testCase}.${state}: state machine "${machine}" has no state named "${state}"${didYouMean(state, states)}`,
        ),
    );
  });
}

export const BUILT_IN_SCENARIO_PATH = resolve(__dirname, 'scenarios', 'order-processing.json');
/** The second built-in scenario: approvals in Slack, end to end (`npm run demo -- --scenario` with this path). */
export const APPROVALS_SCENARIO_PATH = resolve(__dirname, 'scenarios', 'approvals.json');
/** The third: a fix deployed behind an alias, and the worker's fix-forward restarts onto it. */
export const FIX_FORWARD_SCENARIO_PATH = resolve(__dirname, 'scenarios', 'fix-forward.json');

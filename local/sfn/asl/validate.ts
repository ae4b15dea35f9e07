/**
 * CreateStateMachine validation. Besides ASL structure, it rejects every construct the emulator does
 * not run (JSONata, variables, S3 item readers, callbacks, heartbeats...) naming the state and field,
 * so nothing is silently mis-executed.
 */
import { didYouMean } from '../../../core/schema-problems';
import { SfnApiError } from '../errors';
import { CHOICE_OPERATORS } from './choice-rules';
import type { ParsedDefinition } from './definition';
import { intrinsicNames, isIntrinsic, parseIntrinsic, SUPPORTED_INTRINSICS } from './intrinsics';
import { isValidPathSyntax } from './json-path';

const COMMON = ['Type', 'Comment', 'QueryLanguage'];
const IO = ['InputPath', 'OutputPath'];
const FLOW = ['Next', 'End'];
/** Map fields that only a Distributed Map takes (ProcessorConfig.Mode DISTRIBUTED). */
const DISTRIBUTED_MAP_FIELDS = ['Label', 'ItemBatcher', 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath', 'ToleratedFailureCount', 'ToleratedFailureCountPath'];
const ALLOWED_FIELDS: Record<string, string[]> = {
  Pass: [...COMMON, ...IO, ...FLOW, 'Parameters', 'ResultPath', 'Result'],
  Task: [...COMMON, ...IO, ...FLOW, 'Parameters', 'ResultSelector', 'ResultPath', 'Resource', 'Retry', 'Catch', 'TimeoutSeconds', 'TimeoutSecondsPath'],
  Choice: [...COMMON, ...IO, 'Choices', 'Default'],
  Wait: [...COMMON, ...IO, ...FLOW, 'Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath'],
  Succeed: [...COMMON, ...IO],
  Fail: [...COMMON, 'Error', 'ErrorPath', 'Cause', 'CausePath'],
  Parallel: [...COMMON, ...IO, ...FLOW, 'Parameters', 'ResultSelector', 'ResultPath', 'Branches', 'Retry', 'Catch'],
  Map: [...COMMON, ...IO, ...FLOW, 'ItemsPath', 'ItemSelector', 'Parameters', 'ResultSelector', 'ResultPath', 'MaxConcurrency', 'ItemProcessor', 'Iterator', 'Retry', 'Catch', ...DISTRIBUTED_MAP_FIELDS],
};

/** Fields that are valid ASL but not emulated, with the reason given to the user. */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  Assign: 'variables (Assign) are not supported',
  Arguments: 'JSONata Arguments are not supported (JSONPath only)',
  Output: 'JSONata Output is not supported (JSONPath only)',
  Items: 'JSONata Items is not supported (JSONPath only)',
  HeartbeatSeconds: 'HeartbeatSeconds is not supported (no real activity/callback workers)',
  HeartbeatSecondsPath: 'HeartbeatSecondsPath is not supported (no real activity/callback workers)',
  Credentials: 'cross-account Credentials are not supported',
  ItemReader: 'distributed Map ItemReader is not supported (no S3: items come from the state input through ItemsPath)',
  ResultWriter: 'distributed Map ResultWriter is not supported (no S3: the Map state outputs the array of child outputs)',
  MaxConcurrencyPath: 'MaxConcurrencyPath is not supported',
  Condition: 'JSONata Choice conditions are not supported (JSONPath only)',
};

const TOP_LEVEL_FIELDS = ['StartAt', 'States', 'Comment', 'Version', 'TimeoutSeconds', 'QueryLanguage'];
const PATH_FIELDS = ['InputPath', 'OutputPath', 'ResultPath', 'ItemsPath', 'SecondsPath', 'TimestampPath', 'TimeoutSecondsPath', 'ToleratedFailurePercentagePath', 'ToleratedFailureCountPath'];

export function validateDefinition(definitionJson: string): ParsedDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definitionJson);
  } catch (error) {
    throw invalid([`INVALID_JSON_DESCRIPTION: ${(error as Error).message}`]);
  }
  const problems = definitionProblems(parsed);
  if (problems.length > 0) throw invalid(problems);
  return parsed as ParsedDefinition;
}

/**
 * Every problem CreateStateMachine would report for a parsed definition, one line each, naming the
 * state, the field and its JSON pointer. The demo checks scenario definitions with it before starting.
 */
export function definitionProblems(parsed: unknown): string[] {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return ['SCHEMA_VALIDATION_FAILED: the definition must be a JSON object'];
  }
  const problems: string[] = [];
  const top = parsed as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (UNSUPPORTED_FIELDS[key]) problems.push(`UNSUPPORTED_FEATURE: ${UNSUPPORTED_FIELDS[key]} at /${key}`);
    else if (!TOP_LEVEL_FIELDS.includes(key)) problems.push(`SCHEMA_VALIDATION_FAILED: Field "${key}" is not supported at /`);
  }
  if (top.QueryLanguage !== undefined && top.QueryLanguage !== 'JSONPath') {
    problems.push(`UNSUPPORTED_FEATURE: QueryLanguage ${JSON.stringify(top.QueryLanguage)} is not supported (JSONPath only) at /QueryLanguage`);
  }
  if (top.TimeoutSeconds !== undefined && !isPositiveInteger(top.TimeoutSeconds)) {
    problems.push('SCHEMA_VALIDATION_FAILED: TimeoutSeconds must be a positive integer at /TimeoutSeconds');
  }
  validateScope(top, '', problems);
  return problems;
}

function invalid(problems: string[]): SfnApiError {
  return new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: '${problems.join(', ')}'`);
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function validateScope(scope: Record<string, unknown>, where: string, problems: string[]): void {
  const states = scope.States as Record<string, Record<string, unknown>> | undefined;
  if (!states || typeof states !== 'object' || Object.keys(states).length === 0) {
    problems.push(`SCHEMA_VALIDATION_FAILED: States must be a non-empty object at ${where}/States`);
    return;
  }
  if (typeof scope.StartAt !== 'string' || !(scope.StartAt in states)) {
    problems.push(`MISSING_TRANSITION_TARGET: StartAt ${JSON.stringify(scope.StartAt)} is not a state at ${where}/StartAt`);
  }
  for (const [name, state] of Object.entries(states)) {
    validateState(name, state, states, `${where}/States/${name}`, problems);
  }
}

/** One state under validation, with a helper that checks a transition target exists. */
interface StateCheck {
  name: string;
  state: Record<string, unknown>;
  where: string;
  problems: string[];
  target: (field: string, value: unknown) => void;
}

function validateState(
  name: string,
  state: Record<string, unknown>,
  siblings: Record<string, unknown>,
  where: string,
  problems: string[],
): void {
  const type = state?.Type as string;
  const allowed = ALLOWED_FIELDS[type];
  if (!allowed) {
    problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}" has unknown Type ${JSON.stringify(type)} at ${where}/Type`);
    return;
  }
  for (const key of Object.keys(state)) {
    if (UNSUPPORTED_FIELDS[key]) problems.push(`UNSUPPORTED_FEATURE: State "${name}" (${type}): ${UNSUPPORTED_FIELDS[key]} at ${where}/${key}`);
    else if (!allowed.includes(key)) problems.push(`SCHEMA_VALIDATION_FAILED: Field "${key}" is not supported for ${type} state "${name}"${didYouMean(key, allowed)} at ${where}/${key}`);
  }
  if (state.QueryLanguage !== undefined && state.QueryLanguage !== 'JSONPath') {
    problems.push(`UNSUPPORTED_FEATURE: State "${name}": QueryLanguage ${JSON.stringify(state.QueryLanguage)} is not supported (JSONPath only) at ${where}/QueryLanguage`);
  }
  const target = (field: string, value: unknown) => {
    if (typeof value !== 'string' || !(value in siblings)) {
      problems.push(`MISSING_TRANSITION_TARGET: State "${name}" ${field} ${JSON.stringify(value)} is not a state at ${where}/${field}`);
    }
  };
  if (allowed.includes('Next')) {
    if (state.End === true && state.Next !== undefined) problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}" has both Next and End at ${where}`);
    else if (state.End !== true) target('Next', state.Next);
  }
  for (const field of PATH_FIELDS) {
    const value = state[field];
    if (value !== undefined && value !== null && (typeof value !== 'string' || !isValidPathSyntax(value))) {
      problems.push(`INVALID_JSON_PATH: State "${name}" ${field} ${JSON.stringify(value)} is not a valid path at ${where}/${field}`);
    }
  }
  for (const field of ['Parameters', 'ResultSelector', 'ItemSelector']) {
    if (state[field] !== undefined) validateTemplate(state[field], `State "${name}" ${field}`, `${where}/${field}`, problems);
  }
  for (const field of ['ErrorPath', 'CausePath']) {
    if (typeof state[field] === 'string') validateExpression(state[field], `State "${name}" ${field}`, `${where}/${field}`, problems);
  }
  const check: StateCheck = { name, state, where, problems, target };
  validateErrorHandlers(check);
  switch (type) {
    case 'Task':
      validateTask(check);
      break;
    case 'Choice':
      validateChoice(check);
      break;
    case 'Wait':
      if (['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath'].filter((f) => state[f] !== undefined).length !== 1) {
        problems.push(`SCHEMA_VALIDATION_FAILED: Wait state "${name}" needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath at ${where}`);
      }
      break;
    case 'Parallel':
      if (!Array.isArray(state.Branches) || state.Branches.length === 0) {
        problems.push(`SCHEMA_VALIDATION_FAILED: Parallel state "${name}" needs Branches at ${where}/Branches`);
      } else {
        state.Branches.forEach((branch, i) => validateScope(branch, `${where}/Branches/${i}`, problems));
      }
      break;
    case 'Map':
      validateMap(check);
      break;
  }
}

function validateErrorHandlers({ name, state, where, problems, target }: StateCheck): void {
  for (const field of ['Retry', 'Catch'] as const) {
    const handlers = state[field];
    if (handlers === undefined) continue;
    if (!Array.isArray(handlers)) {
      problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}" ${field} must be an array at ${where}/${field}`);
      continue;
    }
    handlers.forEach((handler: Record<string, unknown>, i) => {
      if (!Array.isArray(handler?.ErrorEquals) || handler.ErrorEquals.length === 0) {
        problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}" ${field}[${i}] needs ErrorEquals at ${where}/${field}/${i}`);
      } else if (handler.ErrorEquals.includes('States.ALL') && handler.ErrorEquals.length > 1) {
        problems.push(`SCHEMA_VALIDATION_FAILED: States.ALL must appear alone in ErrorEquals at ${where}/${field}/${i}`);
      }
      if (field === 'Catch') target(`Catch[${i}].Next`, handler?.Next);
      if (field === 'Retry' && handler?.JitterStrategy !== undefined && !['FULL', 'NONE'].includes(handler.JitterStrategy as string)) {
        problems.push(`SCHEMA_VALIDATION_FAILED: JitterStrategy must be FULL or NONE at ${where}/Retry/${i}`);
      }
    });
  }
}

function validateTask({ name, state, where, problems }: StateCheck): void {
  const resource = state.Resource;
  if (typeof resource !== 'string' || !resource.startsWith('arn:')) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Task state "${name}" needs a Resource ARN at ${where}/Resource`);
  } else if (resource.endsWith('.waitForTaskToken')) {
    problems.push(`UNSUPPORTED_FEATURE: Task state "${name}": the callback pattern (.waitForTaskToken) is not supported at ${where}/Resource`);
  } else if (/^arn:[^:]+:states:[^:]*:[^:]*:activity:/.test(resource)) {
    problems.push(`UNSUPPORTED_FEATURE: Task state "${name}": activities are not supported at ${where}/Resource`);
  }
  if (state.TimeoutSeconds !== undefined && !isPositiveInteger(state.TimeoutSeconds)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: TimeoutSeconds must be a positive integer at ${where}/TimeoutSeconds`);
  }
}

function validateChoice({ name, state, where, problems, target }: StateCheck): void {
  if (!Array.isArray(state.Choices) || state.Choices.length === 0) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Choice state "${name}" needs Choices at ${where}/Choices`);
    return;
  }
  if (state.Default !== undefined) target('Default', state.Default);
  state.Choices.forEach((rule: Record<string, unknown>, i) => {
    for (const key of Object.keys(rule ?? {})) {
      if (UNSUPPORTED_FIELDS[key]) problems.push(`UNSUPPORTED_FEATURE: State "${name}" (Choice): ${UNSUPPORTED_FIELDS[key]} at ${where}/Choices/${i}/${key}`);
    }
    target(`Choices[${i}].Next`, rule?.Next);
    validateRule(rule, `${where}/Choices/${i}`, problems);
  });
}

function validateRule(rule: Record<string, unknown>, where: string, problems: string[]): void {
  if (Array.isArray(rule.And) || Array.isArray(rule.Or)) {
    ((rule.And ?? rule.Or) as Record<string, unknown>[]).forEach((r, i) => validateRule(r, `${where}/${rule.And ? 'And' : 'Or'}/${i}`, problems));
    return;
  }
  if (rule.Not) {
    validateRule(rule.Not as Record<string, unknown>, `${where}/Not`, problems);
    return;
  }
  const operators = Object.keys(rule).filter((key) => !['Variable', 'Next', 'Comment'].includes(key));
  if (operators.length !== 1 || !CHOICE_OPERATORS.includes(operators[0])) {
    problems.push(`SCHEMA_VALIDATION_FAILED: a choice rule needs exactly one supported comparison operator, got ${JSON.stringify(operators)} at ${where}`);
  }
  if (typeof rule.Variable !== 'string' || !isValidPathSyntax(rule.Variable)) {
    problems.push(`INVALID_JSON_PATH: a choice rule needs a Variable path at ${where}/Variable`);
  }
}

function validateMap(check: StateCheck): void {
  const { name, state, where, problems } = check;
  const processor = (state.ItemProcessor ?? state.Iterator) as Record<string, unknown> | undefined;
  if (!processor) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Map state "${name}" needs ItemProcessor (or Iterator) at ${where}`);
    return;
  }
  const config = processor.ProcessorConfig as Record<string, unknown> | undefined;
  if (config?.Mode === 'DISTRIBUTED') validateDistributedMap(check, config);
  else {
    for (const field of DISTRIBUTED_MAP_FIELDS.filter((f) => state[f] !== undefined)) {
      problems.push(`SCHEMA_VALIDATION_FAILED: Field "${field}" is only supported for a Map state in DISTRIBUTED mode at ${where}/${field}`);
    }
  }
  const { ProcessorConfig: _config, ...scope } = processor;
  validateScope(scope, `${where}/${state.ItemProcessor ? 'ItemProcessor' : 'Iterator'}`, problems);
  if (state.MaxConcurrency !== undefined && !(Number.isInteger(state.MaxConcurrency) && (state.MaxConcurrency as number) >= 0)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: MaxConcurrency must be a non-negative integer at ${where}/MaxConcurrency`);
  }
}

/** The Distributed Map fields distributed-map.ts runs, with the ranges of the ASL reference (Map state, Distributed mode). */
function validateDistributedMap({ state, where, problems }: StateCheck, config: Record<string, unknown>): void {
  if (config.ExecutionType !== 'STANDARD' && config.ExecutionType !== 'EXPRESS') {
    problems.push(`SCHEMA_VALIDATION_FAILED: ProcessorConfig.ExecutionType must be STANDARD or EXPRESS in DISTRIBUTED mode at ${where}/ItemProcessor/ProcessorConfig/ExecutionType`);
  }
  if (state.Label !== undefined && !(typeof state.Label === 'string' && /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,40}$/u.test(state.Label))) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Label must be 1-40 characters without whitespace or special characters at ${where}/Label`);
  }
  const percentage = state.ToleratedFailurePercentage;
  if (percentage !== undefined && !(typeof percentage === 'number' && percentage >= 0 && percentage <= 100)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: ToleratedFailurePercentage must be a number from 0 to 100 at ${where}/ToleratedFailurePercentage`);
  }
  if (state.ToleratedFailureCount !== undefined && !(Number.isInteger(state.ToleratedFailureCount) && (state.ToleratedFailureCount as number) >= 0)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: ToleratedFailureCount must be a non-negative integer at ${where}/ToleratedFailureCount`);
  }
  const batcher = state.ItemBatcher as Record<string, unknown> | undefined;
  if (batcher === undefined) return;
  const limits = ['MaxItemsPerBatch', 'MaxItemsPerBatchPath', 'MaxInputBytesPerBatch', 'MaxInputBytesPerBatchPath'];
  if (!limits.some((field) => batcher[field] !== undefined)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path) at ${where}/ItemBatcher`);
  }
  for (const key of Object.keys(batcher).filter((k) => ![...limits, 'BatchInput'].includes(k))) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Field "${key}" is not supported in ItemBatcher at ${where}/ItemBatcher/${key}`);
  }
  for (const field of ['MaxItemsPerBatch', 'MaxInputBytesPerBatch']) {
    if (batcher[field] !== undefined && !isPositiveInteger(batcher[field])) {
      problems.push(`SCHEMA_VALIDATION_FAILED: ${field} must be a positive integer at ${where}/ItemBatcher/${field}`);
    }
  }
  if (batcher.BatchInput !== undefined) validateTemplate(batcher.BatchInput, 'ItemBatcher BatchInput', `${where}/ItemBatcher/BatchInput`, problems);
}

function validateTemplate(template: unknown, what: string, where: string, problems: string[]): void {
  if (Array.isArray(template)) {
    template.forEach((item, i) => validateTemplate(item, what, `${where}/${i}`, problems));
    return;
  }
  if (template === null || typeof template !== 'object') return;
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      if (typeof value !== 'string') problems.push(`SCHEMA_VALIDATION_FAILED: ${what} field "${key}" must be a path string at ${where}/${key}`);
      else validateExpression(value, `${what} field "${key}"`, `${where}/${key}`, problems);
    } else {
      validateTemplate(value, what, `${where}/${key}`, problems);
    }
  }
}

function validateExpression(expression: string, what: string, where: string, problems: string[]): void {
  if (!isIntrinsic(expression)) {
    if (!isValidPathSyntax(expression)) problems.push(`INVALID_JSON_PATH: ${what} ${JSON.stringify(expression)} is not a valid path at ${where}`);
    return;
  }
  try {
    const unsupported = intrinsicNames(parseIntrinsic(expression)).filter((n) => !SUPPORTED_INTRINSICS.includes(n));
    if (unsupported.length > 0) problems.push(`UNSUPPORTED_FEATURE: ${what}: intrinsic ${unsupported.join(', ')} is not supported at ${where}`);
  } catch (error) {
    problems.push(`INVALID_INTRINSIC: ${what}: ${(error as Error).message} at ${where}`);
  }
}

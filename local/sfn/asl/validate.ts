/**
 * CreateStateMachine validation. Besides ASL structure (and the query-language and variable rules of
 * validate-query-language.ts and validate-variables.ts), it rejects every construct the emulator does
 * not run (S3 item readers and result writers, activities, Credentials...) naming the state and field,
 * so nothing is silently mis-executed.
 */
import { didYouMean } from '../../../core/schema-problems';
import { SfnApiError } from '../errors';
import { CHOICE_OPERATORS, RULE_FIELDS } from './choice-rules';
import type { ParsedDefinition } from './definition';
import { intrinsicNames, isIntrinsic, parseIntrinsic, SUPPORTED_INTRINSICS } from './intrinsics';
import { isValidPathSyntax, variablePath } from './json-path';
import { isJsonataExpression } from './jsonata';
import { isConcurrency } from './map-concurrency';
import { isJsonataState, processorLanguage, queryLanguageProblems, topLevelLanguageProblems } from './validate-query-language';
import { validateVariables } from './validate-variables';

const COMMON = ['Type', 'Comment', 'QueryLanguage'];
const IO = ['InputPath', 'OutputPath'];
const FLOW = ['Next', 'End'];
/** Every field a state type has in either query language; validate-query-language.ts refuses the other language's. */
/** Map fields that only a Distributed Map takes (ProcessorConfig.Mode DISTRIBUTED). */
const DISTRIBUTED_MAP_FIELDS = ['Label', 'ItemBatcher', 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath', 'ToleratedFailureCount', 'ToleratedFailureCountPath'];
const ALLOWED_FIELDS: Record<string, string[]> = {
  Pass: [...COMMON, ...IO, ...FLOW, 'Parameters', 'ResultPath', 'Result', 'Assign', 'Output'],
  Task: [...COMMON, ...IO, ...FLOW, 'Assign', 'Arguments', 'Output', 'Parameters', 'ResultSelector', 'ResultPath', 'Resource', 'Retry', 'Catch', 'TimeoutSeconds', 'TimeoutSecondsPath', 'HeartbeatSeconds', 'HeartbeatSecondsPath'],
  Choice: [...COMMON, ...IO, 'Choices', 'Default', 'Assign', 'Output'],
  Wait: [...COMMON, ...IO, ...FLOW, 'Assign', 'Output', 'Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath'],
  Succeed: [...COMMON, ...IO, 'Output'],
  Fail: [...COMMON, 'Error', 'ErrorPath', 'Cause', 'CausePath'],
  Parallel: [...COMMON, ...IO, ...FLOW, 'Assign', 'Arguments', 'Output', 'Parameters', 'ResultSelector', 'ResultPath', 'Branches', 'Retry', 'Catch'],
  Map: [...COMMON, ...IO, ...FLOW, 'Assign', 'Items', 'Output', 'ItemsPath', 'ItemSelector', 'Parameters', 'ResultSelector', 'ResultPath', 'MaxConcurrency', 'MaxConcurrencyPath', 'ItemProcessor', 'Iterator', 'Retry', 'Catch', ...DISTRIBUTED_MAP_FIELDS],
};

/** Fields that are valid ASL but not emulated, with the reason given to the user. */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  Credentials: 'cross-account Credentials are not supported',
  ItemReader: 'distributed Map ItemReader is not supported (no S3: items come from the state input through ItemsPath or Items)',
  ResultWriter: 'distributed Map ResultWriter is not supported (no S3: the Map state outputs the array of child outputs)',
};

const TOP_LEVEL_FIELDS = ['StartAt', 'States', 'Comment', 'Version', 'TimeoutSeconds', 'QueryLanguage'];
const PATH_FIELDS = ['InputPath', 'OutputPath', 'ResultPath', 'ItemsPath', 'SecondsPath', 'TimestampPath', 'TimeoutSecondsPath', 'HeartbeatSecondsPath', 'MaxConcurrencyPath', 'ToleratedFailurePercentagePath', 'ToleratedFailureCountPath'];

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
  problems.push(...topLevelLanguageProblems(top));
  if (top.TimeoutSeconds !== undefined && !isPositiveInteger(top.TimeoutSeconds)) {
    problems.push('SCHEMA_VALIDATION_FAILED: TimeoutSeconds must be a positive integer at /TimeoutSeconds');
  }
  validateScope(top, '', problems, top.QueryLanguage === 'JSONata');
  validateVariables(top, problems);
  problems.push(...duplicateLabels(top));
  return problems;
}

/** state-map-distributed.html, Label: "Labels ... must be unique within a state machine definition". */
function duplicateLabels(top: Record<string, unknown>): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  const visit = (scope: unknown, where: string): void => {
    const states = (scope as { States?: Record<string, Record<string, unknown>> } | undefined)?.States;
    if (!states || typeof states !== 'object') return;
    for (const [name, state] of Object.entries(states)) {
      if (typeof state?.Label === 'string') {
        if (seen.has(state.Label)) problems.push(`SCHEMA_VALIDATION_FAILED: Label "${state.Label}" is used by more than one Map state at ${where}/States/${name}/Label`);
        seen.add(state.Label);
      }
      (Array.isArray(state?.Branches) ? state.Branches : []).forEach((branch, i) => visit(branch, `${where}/States/${name}/Branches/${i}`));
      if (state?.ItemProcessor) visit(state.ItemProcessor, `${where}/States/${name}/ItemProcessor`);
      if (state?.Iterator) visit(state.Iterator, `${where}/States/${name}/Iterator`);
    }
  };
  visit(top, '');
  return problems;
}

function invalid(problems: string[]): SfnApiError {
  return new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: '${problems.join(', ')}'`);
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** `jsonataMachine`: the machine's QueryLanguage is JSONata, so states without their own are JSONata states. */
function validateScope(scope: Record<string, unknown>, where: string, problems: string[], jsonataMachine: boolean): void {
  const states = scope.States as Record<string, Record<string, unknown>> | undefined;
  if (!states || typeof states !== 'object' || Object.keys(states).length === 0) {
    problems.push(`SCHEMA_VALIDATION_FAILED: States must be a non-empty object at ${where}/States`);
    return;
  }
  if (typeof scope.StartAt !== 'string' || !(scope.StartAt in states)) {
    problems.push(`MISSING_TRANSITION_TARGET: StartAt ${JSON.stringify(scope.StartAt)} is not a state at ${where}/StartAt`);
  }
  for (const [name, state] of Object.entries(states)) {
    validateState(name, state, states, `${where}/States/${name}`, problems, jsonataMachine);
  }
}

/** One state under validation, with a helper that checks a transition target exists. */
interface StateCheck {
  name: string;
  state: Record<string, unknown>;
  where: string;
  problems: string[];
  target: (field: string, value: unknown) => void;
  jsonataMachine: boolean;
  /** The state's own query language is JSONata. */
  jsonata: boolean;
}

function validateState(
  name: string,
  state: Record<string, unknown>,
  siblings: Record<string, unknown>,
  where: string,
  problems: string[],
  jsonataMachine: boolean,
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
  problems.push(...queryLanguageProblems(name, state, where, jsonataMachine));
  const jsonata = isJsonataState(state, jsonataMachine);
  const target = (field: string, value: unknown) => {
    if (typeof value !== 'string' || !(value in siblings)) {
      problems.push(`MISSING_TRANSITION_TARGET: State "${name}" ${field} ${JSON.stringify(value)} is not a state at ${where}/${field}`);
    }
  };
  if (allowed.includes('Next')) {
    if (state.End === true && state.Next !== undefined) problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}" has both Next and End at ${where}`);
    else if (state.End !== true) target('Next', state.Next);
  }
  const check: StateCheck = { name, state, where, problems, target, jsonataMachine, jsonata };
  if (!jsonata) validateJsonPathFields(check);
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
        state.Branches.forEach((branch, i) => validateScope(branch, `${where}/Branches/${i}`, problems, jsonataMachine));
      }
      break;
    case 'Map':
      validateMap(check);
      break;
  }
}

/** Paths, `.$` templates and intrinsics of a JSONPath state. */
function validateJsonPathFields({ name, state, where, problems }: StateCheck): void {
  for (const field of PATH_FIELDS) {
    const value = state[field];
    if (value !== undefined && value !== null && (typeof value !== 'string' || !isValidPathSyntax(value))) {
      problems.push(`INVALID_JSON_PATH: State "${name}" ${field} ${JSON.stringify(value)} is not a valid path at ${where}/${field}`);
    }
  }
  if (typeof state.ResultPath === 'string' && variablePath(state.ResultPath)) {
    problems.push(`INVALID_JSON_PATH: State "${name}" ResultPath ${JSON.stringify(state.ResultPath)} cannot name a variable (use Assign) at ${where}/ResultPath`);
  }
  for (const field of ['Parameters', 'ResultSelector', 'ItemSelector', 'Assign']) {
    if (state[field] !== undefined) validateTemplate(state[field], `State "${name}" ${field}`, `${where}/${field}`, problems);
  }
  for (const field of ['ErrorPath', 'CausePath']) {
    if (typeof state[field] === 'string') validateExpression(state[field], `State "${name}" ${field}`, `${where}/${field}`, problems);
    // state-fail.html: "You can specify either Cause or CausePath, but not both" (and the same for Error).
    const literal = field.slice(0, -'Path'.length);
    if (state[field] !== undefined && state[literal] !== undefined) {
      problems.push(`SCHEMA_VALIDATION_FAILED: Fail state "${name}" may have ${literal} or ${field}, not both at ${where}`);
    }
  }
}

function validateErrorHandlers({ name, state, where, problems, target, jsonata }: StateCheck): void {
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
      if (field === 'Catch' && !jsonata && handler?.Assign !== undefined) validateTemplate(handler.Assign, `State "${name}" Catch[${i}].Assign`, `${where}/Catch/${i}/Assign`, problems);
      if (field === 'Retry' && handler?.JitterStrategy !== undefined && !['FULL', 'NONE'].includes(handler.JitterStrategy as string)) {
        problems.push(`SCHEMA_VALIDATION_FAILED: JitterStrategy must be FULL or NONE at ${where}/Retry/${i}`);
      }
    });
  }
}

function validateTask(check: StateCheck): void {
  const { name, state, where, problems } = check;
  const resource = state.Resource;
  if (typeof resource !== 'string' || !resource.startsWith('arn:')) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Task state "${name}" needs a Resource ARN at ${where}/Resource`);
  } else if (/^arn:[^:]+:states:[^:]*:[^:]*:activity:/.test(resource)) {
    problems.push(`UNSUPPORTED_FEATURE: Task state "${name}": activities are not supported at ${where}/Resource`);
  }
  // A JSONata state may compute its limits with an expression.
  const isLimit = (value: unknown) => isNumberOrExpression(check, value, isPositiveInteger);
  if (state.TimeoutSeconds !== undefined && !isLimit(state.TimeoutSeconds)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: TimeoutSeconds must be a positive integer at ${where}/TimeoutSeconds`);
  }
  validateHeartbeat({ name, state, where, problems }, isLimit);
}

/** ASL spec, Task state: HeartbeatSeconds is a positive integer smaller than TimeoutSeconds; at most one of it and its Path. */
function validateHeartbeat({ name, state, where, problems }: Pick<StateCheck, 'name' | 'state' | 'where' | 'problems'>, isLimit: (value: unknown) => boolean): void {
  if (state.HeartbeatSeconds !== undefined && state.HeartbeatSecondsPath !== undefined) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Task state "${name}" has both HeartbeatSeconds and HeartbeatSecondsPath at ${where}`);
  }
  if (state.HeartbeatSeconds === undefined) return;
  if (!isLimit(state.HeartbeatSeconds)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: HeartbeatSeconds must be a positive integer at ${where}/HeartbeatSeconds`);
  } else if (isPositiveInteger(state.TimeoutSeconds) && isPositiveInteger(state.HeartbeatSeconds) && (state.HeartbeatSeconds as number) >= (state.TimeoutSeconds as number)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: HeartbeatSeconds must be smaller than TimeoutSeconds in Task state "${name}" at ${where}/HeartbeatSeconds`);
  }
}

/** JSONata Choice rules: a Condition (an expression or a boolean), with their own Output and Assign. */
const JSONATA_RULE_FIELDS = ['Condition', 'Next', 'Comment', 'Assign', 'Output'];

function validateChoice({ name, state, where, problems, target, jsonata }: StateCheck): void {
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
    if (jsonata) {
      validateJsonataRule(name, rule ?? {}, `${where}/Choices/${i}`, problems);
      return;
    }
    if (rule?.Assign !== undefined) validateTemplate(rule.Assign, `State "${name}" Choices[${i}].Assign`, `${where}/Choices/${i}/Assign`, problems);
    validateRule(rule, `${where}/Choices/${i}`, problems);
  });
}

function validateJsonataRule(name: string, rule: Record<string, unknown>, where: string, problems: string[]): void {
  if (typeof rule.Condition !== 'boolean' && !isJsonataExpression(rule.Condition)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}": a JSONata choice rule needs a Condition ({% %} expression or boolean) at ${where}/Condition`);
  }
  for (const key of Object.keys(rule).filter((field) => !JSONATA_RULE_FIELDS.includes(field) && field !== 'Variable')) {
    problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}": Field "${key}" is not supported in a JSONata choice rule at ${where}/${key}`);
  }
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
  const operators = Object.keys(rule).filter((key) => !RULE_FIELDS.includes(key));
  if (operators.length !== 1 || !CHOICE_OPERATORS.includes(operators[0])) {
    problems.push(`SCHEMA_VALIDATION_FAILED: a choice rule needs exactly one supported comparison operator, got ${JSON.stringify(operators)} at ${where}`);
  }
  if (typeof rule.Variable !== 'string' || !isValidPathSyntax(rule.Variable)) {
    problems.push(`INVALID_JSON_PATH: a choice rule needs a Variable path at ${where}/Variable`);
  }
}

function validateMap(check: StateCheck): void {
  const { name, state, where, problems, jsonataMachine, jsonata } = check;
  const processor = (state.ItemProcessor ?? state.Iterator) as Record<string, unknown> | undefined;
  if (!processor) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Map state "${name}" needs ItemProcessor (or Iterator) at ${where}`);
    return;
  }
  const config = processor.ProcessorConfig as Record<string, unknown> | undefined;
  const distributed = config?.Mode === 'DISTRIBUTED';
  if (distributed) validateDistributedMap(check, config!);
  else {
    for (const field of DISTRIBUTED_MAP_FIELDS.filter((f) => state[f] !== undefined)) {
      problems.push(`SCHEMA_VALIDATION_FAILED: Field "${field}" is only supported for a Map state in DISTRIBUTED mode at ${where}/${field}`);
    }
  }
  const processorField = state.ItemProcessor ? 'ItemProcessor' : 'Iterator';
  const { ProcessorConfig: _config, QueryLanguage: _language, ...scope } = processor;
  const processorJsonata = processorLanguage(name, processor, `${where}/${processorField}`, jsonataMachine, distributed, problems);
  validateScope(scope, `${where}/${processorField}`, problems, processorJsonata);
  // "Items: a JSON array or a JSONata expression that must evaluate to an array" (state-map-distributed.html, input-output-fields-dist-map.html).
  if (jsonata && state.Items !== undefined && !Array.isArray(state.Items) && !isJsonataExpression(state.Items)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Items must be an array or a JSONata expression at ${where}/Items`);
  }
  if (state.MaxConcurrency !== undefined && !isNumberOrExpression(check, state.MaxConcurrency, isConcurrency)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: MaxConcurrency must be a non-negative integer at ${where}/MaxConcurrency`);
  }
  if (state.MaxConcurrency !== undefined && state.MaxConcurrencyPath !== undefined) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Map state "${name}" may have MaxConcurrency or MaxConcurrencyPath, not both at ${where}`);
  }
}

/** A limit given as a number, or in a JSONata state also as an expression evaluated at run time. */
function isNumberOrExpression({ jsonata }: StateCheck, value: unknown, valid: (value: unknown) => boolean): boolean {
  return valid(value) || (jsonata && isJsonataExpression(value));
}

/**
 * The Distributed Map fields distributed-map.ts runs, with the ranges of the ASL reference (Map state,
 * Distributed mode: https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html). In a
 * JSONata state the numbers may be `{% %}` expressions instead (validate-query-language.ts refuses their
 * `…Path` variants there).
 */
function validateDistributedMap(check: StateCheck, config: Record<string, unknown>): void {
  const { state, where, problems, jsonata } = check;
  if (config.ExecutionType !== 'STANDARD' && config.ExecutionType !== 'EXPRESS') {
    problems.push(`SCHEMA_VALIDATION_FAILED: ProcessorConfig.ExecutionType must be STANDARD or EXPRESS in DISTRIBUTED mode at ${where}/ItemProcessor/ProcessorConfig/ExecutionType`);
  }
  if (state.Label !== undefined && !(typeof state.Label === 'string' && /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,40}$/u.test(state.Label))) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Label must be 1-40 characters without whitespace or special characters at ${where}/Label`);
  }
  if (state.ToleratedFailurePercentage !== undefined && !isNumberOrExpression(check, state.ToleratedFailurePercentage, isPercentage)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: ToleratedFailurePercentage must be a number from 0 to 100 at ${where}/ToleratedFailurePercentage`);
  }
  if (state.ToleratedFailureCount !== undefined && !isNumberOrExpression(check, state.ToleratedFailureCount, isConcurrency)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: ToleratedFailureCount must be a non-negative integer at ${where}/ToleratedFailureCount`);
  }
  const batcher = state.ItemBatcher as Record<string, unknown> | undefined;
  // state-map-distributed.html and input-output-itembatcher.html: "either X or XPath, but not both".
  const pairs: Array<[Record<string, unknown> | undefined, string, string]> = [
    [state, 'ToleratedFailurePercentage', where],
    [state, 'ToleratedFailureCount', where],
    [batcher, 'MaxItemsPerBatch', `${where}/ItemBatcher`],
    [batcher, 'MaxInputBytesPerBatch', `${where}/ItemBatcher`],
  ];
  for (const [fields, field, at] of pairs) {
    if (fields?.[field] !== undefined && fields[`${field}Path`] !== undefined) {
      problems.push(`SCHEMA_VALIDATION_FAILED: ${field} and ${field}Path cannot both be set at ${at}`);
    }
  }
  if (batcher === undefined) return;
  const limits = jsonata ? ['MaxItemsPerBatch', 'MaxInputBytesPerBatch'] : ['MaxItemsPerBatch', 'MaxItemsPerBatchPath', 'MaxInputBytesPerBatch', 'MaxInputBytesPerBatchPath'];
  if (!limits.some((field) => batcher[field] !== undefined)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch${jsonata ? '' : ' (or their Path)'} at ${where}/ItemBatcher`);
  }
  const known = ['MaxItemsPerBatch', 'MaxItemsPerBatchPath', 'MaxInputBytesPerBatch', 'MaxInputBytesPerBatchPath', 'BatchInput'];
  for (const key of Object.keys(batcher).filter((k) => !known.includes(k))) {
    problems.push(`SCHEMA_VALIDATION_FAILED: Field "${key}" is not supported in ItemBatcher at ${where}/ItemBatcher/${key}`);
  }
  for (const field of ['MaxItemsPerBatch', 'MaxInputBytesPerBatch']) {
    if (batcher[field] !== undefined && !isNumberOrExpression(check, batcher[field], isPositiveInteger)) {
      problems.push(`SCHEMA_VALIDATION_FAILED: ${field} must be a positive integer at ${where}/ItemBatcher/${field}`);
    }
  }
  if (batcher.BatchInput !== undefined && !jsonata) validateTemplate(batcher.BatchInput, 'ItemBatcher BatchInput', `${where}/ItemBatcher/BatchInput`, problems);
}

const isPercentage = (value: unknown) => typeof value === 'number' && value >= 0 && value <= 100;

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

/**
 * CreateStateMachine checks of QueryLanguage, per "Transforming data with JSONata"
 * (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html) and the diagnostics
 * AWS gives for them:
 * - a state's language is its own QueryLanguage, else the machine's (states inside a Parallel or Map
 *   included: they do not inherit the enclosing state's);
 * - a JSONata machine cannot hold a JSONPath state: "'QueryLanguage' can not be 'JSONPath' if set to
 *   'JSONata' for whole state machine" (the other way round is allowed);
 * - a field of the other language is refused: "The QueryLanguage is set to 'JSONata', but field
 *   'Parameters' is only supported for the 'JSONPath' QueryLanguage"; Assign belongs to both;
 * - every `{% %}` expression of a JSONata state must parse and read no context item (validate-jsonata).
 */
import { jsonataProblems } from './validate-jsonata';

type Json = Record<string, unknown>;

const LANGUAGES = ['JSONPath', 'JSONata'];

/**
 * JSONata states carry Arguments and Output instead of these five, Items instead of ItemsPath, and take
 * the numbers of the `…Path` fields as values or expressions (a Map's MaxConcurrency and
 * ToleratedFailure*, an ItemBatcher's limits: "JSONPath only" in
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html and input-output-itembatcher.html).
 */
const JSONPATH_ONLY = [
  'InputPath', 'OutputPath', 'ResultPath', 'ResultSelector', 'Parameters', 'Result', 'ItemsPath', 'SecondsPath', 'TimestampPath', 'TimeoutSecondsPath', 'HeartbeatSecondsPath',
  'ErrorPath', 'CausePath', 'MaxConcurrencyPath', 'ToleratedFailurePercentagePath', 'ToleratedFailureCountPath',
];
const JSONPATH_ONLY_IN_ITEM_BATCHER = ['MaxItemsPerBatchPath', 'MaxInputBytesPerBatchPath'];
const JSONATA_ONLY = ['Arguments', 'Output', 'Items'];

/** State fields that are never expressions: structure, names and handlers checked on their own. */
const NOT_EXPRESSIONS = ['Type', 'Comment', 'QueryLanguage', 'Next', 'End', 'Resource', 'Default', 'Retry', 'Catch', 'Choices', 'Branches', 'ItemProcessor', 'Iterator'];

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

export function isJsonataState(state: Json, jsonataMachine: boolean): boolean {
  return state.QueryLanguage === undefined ? jsonataMachine : state.QueryLanguage !== 'JSONPath';
}

/** The machine's own QueryLanguage field. */
export function topLevelLanguageProblems(top: Json): string[] {
  return top.QueryLanguage === undefined || LANGUAGES.includes(top.QueryLanguage as string)
    ? []
    : [`SCHEMA_VALIDATION_FAILED: Value should be one of the following: [${LANGUAGES.join(', ')}] at /QueryLanguage`];
}

export function queryLanguageProblems(name: string, state: Json, where: string, jsonataMachine: boolean): string[] {
  const problems: string[] = [];
  if (state.QueryLanguage !== undefined && !LANGUAGES.includes(state.QueryLanguage as string)) {
    problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}": Value should be one of the following: [${LANGUAGES.join(', ')}] at ${where}/QueryLanguage`);
  }
  if (jsonataMachine && state.QueryLanguage === 'JSONPath') {
    return [...problems, `SCHEMA_VALIDATION_FAILED: State "${name}": 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine at ${where}`];
  }
  const jsonata = isJsonataState(state, jsonataMachine);
  const [language, foreign, foreignLanguage] = jsonata ? ['JSONata', JSONPATH_ONLY, 'JSONPath'] : ['JSONPath', JSONATA_ONLY, 'JSONata'];
  const misplaced = (fields: Json, at: string, names: string[]) =>
    names
      .filter((field) => fields[field] !== undefined)
      .map((field) => `SCHEMA_VALIDATION_FAILED: State "${name}": The QueryLanguage is set to '${language}', but field '${field}' is only supported for the '${foreignLanguage}' QueryLanguage at ${at}/${field}`);
  problems.push(...misplaced(state, where, foreign));
  if (jsonata && isObject(state.ItemBatcher)) problems.push(...misplaced(state.ItemBatcher, `${where}/ItemBatcher`, JSONPATH_ONLY_IN_ITEM_BATCHER));
  const catchers = Array.isArray(state.Catch) ? (state.Catch as Json[]) : [];
  const rules = Array.isArray(state.Choices) ? (state.Choices as Json[]) : [];
  catchers.forEach((catcher, i) => problems.push(...misplaced(catcher ?? {}, `${where}/Catch/${i}`, jsonata ? ['ResultPath'] : ['Output'])));
  rules.forEach((rule, i) => problems.push(...misplaced(rule ?? {}, `${where}/Choices/${i}`, jsonata ? ['Variable'] : ['Condition', 'Output'])));
  if (!jsonata) return problems;
  // $states.result: a Task's, Parallel's or Map's Output and Assign; $states.errorOutput: a catcher's.
  const hasResult = ['Task', 'Parallel', 'Map'].includes(state.Type as string);
  for (const [field, value] of Object.entries(state)) {
    const unavailable = hasResult && (field === 'Output' || field === 'Assign') ? ['errorOutput'] : ['result', 'errorOutput'];
    if (!NOT_EXPRESSIONS.includes(field)) problems.push(...jsonataProblems(value, `${where}/${field}`, unavailable));
  }
  catchers.forEach((catcher, i) => problems.push(...jsonataProblems({ Output: catcher?.Output, Assign: catcher?.Assign }, `${where}/Catch/${i}`, ['result'])));
  rules.forEach((rule, i) => problems.push(...jsonataProblems({ Condition: rule?.Condition, Output: rule?.Output, Assign: rule?.Assign }, `${where}/Choices/${i}`, ['result', 'errorOutput'])));
  return problems;
}

/**
 * The language a Map's ItemProcessor states default to: a Distributed Map's ItemProcessor may name the
 * QueryLanguage its child executions run in, else they follow the machine's, as nested states do. As for a
 * state, JSONPath is refused under a JSONata machine; an inline ItemProcessor takes no QueryLanguage.
 */
export function processorLanguage(name: string, processor: Json, where: string, jsonataMachine: boolean, distributed: boolean, problems: string[]): boolean {
  const language = processor.QueryLanguage;
  if (language === undefined) return jsonataMachine;
  const at = `${where}/QueryLanguage`;
  if (!distributed) problems.push(`SCHEMA_VALIDATION_FAILED: Map state "${name}": Field "QueryLanguage" is only supported in the ItemProcessor of a Map state in DISTRIBUTED mode at ${at}`);
  else if (!LANGUAGES.includes(language as string)) problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}": Value should be one of the following: [${LANGUAGES.join(', ')}] at ${at}`);
  else if (jsonataMachine && language === 'JSONPath') problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}": 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine at ${at}`);
  else return language === 'JSONata';
  return jsonataMachine;
}

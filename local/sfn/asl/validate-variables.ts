/**
 * CreateStateMachine checks of workflow variables (JSONPath and JSONata states alike), per
 * https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html : names are letters,
 * digits and underscores and never the reserved `states`; a Parallel branch or Map iteration may read
 * the variables of the scopes around it but not assign them, so a name assigned outside may not be
 * assigned inside.
 */
import { RESERVED_VARIABLE, VARIABLE_NAME } from './variables';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

export function validateVariables(definition: Json, problems: string[]): void {
  checkScope(definition, '', new Set(), problems);
}

/** Every Assign of a state: its own, its Choice rules' and its catchers', with JSON pointers. */
function assignsOf(state: Json, where: string): Array<{ assign: unknown; at: string }> {
  const nested = (field: 'Choices' | 'Catch') =>
    (Array.isArray(state[field]) ? (state[field] as unknown[]) : []).flatMap((entry, i) =>
      isObject(entry) && entry.Assign !== undefined ? [{ assign: entry.Assign, at: `${where}/${field}/${i}/Assign` }] : [],
    );
  return [...(state.Assign !== undefined ? [{ assign: state.Assign, at: `${where}/Assign` }] : []), ...nested('Choices'), ...nested('Catch')];
}

/** The scopes nested in a state: Parallel branches and the Map's item processor. */
function innerScopesOf(state: Json, where: string): Array<{ scope: Json; at: string }> {
  if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
    return state.Branches.flatMap((branch, i) => (isObject(branch) ? [{ scope: branch, at: `${where}/Branches/${i}` }] : []));
  }
  const processorField = state.ItemProcessor !== undefined ? 'ItemProcessor' : 'Iterator';
  if (state.Type === 'Map' && isObject(state[processorField])) return [{ scope: state[processorField] as Json, at: `${where}/${processorField}` }];
  return [];
}

function checkScope(scope: Json, where: string, outer: ReadonlySet<string>, problems: string[]): void {
  if (!isObject(scope.States)) return;
  const states = Object.entries(scope.States).filter((entry): entry is [string, Json] => isObject(entry[1]));
  const own = new Set<string>();
  for (const [name, state] of states) {
    for (const { assign, at } of assignsOf(state, `${where}/States/${name}`)) {
      if (!isObject(assign)) {
        problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}" Assign must be a JSON object at ${at}`);
        continue;
      }
      for (const key of Object.keys(assign)) {
        const variable = key.endsWith('.$') ? key.slice(0, -2) : key;
        // workflow-variables.html: "The maximum length of a variable name is 80."
        if (!VARIABLE_NAME.test(variable) || variable === RESERVED_VARIABLE || [...variable].length > 80) {
          problems.push(`INVALID_VARIABLE_NAME: State "${name}" assigns "${variable}", which is not a variable name (at most 80 letters, digits and _, not starting with a digit, not "states") at ${at}/${key}`);
        } else if (outer.has(variable)) {
          problems.push(`SCHEMA_VALIDATION_FAILED: State "${name}" assigns $${variable}, which an outer scope assigns: a Parallel branch or Map iteration can read outer variables but not assign them at ${at}/${key}`);
        }
        own.add(variable);
      }
    }
  }
  const visible = new Set([...outer, ...own]);
  for (const [name, state] of states) {
    for (const { scope: inner, at } of innerScopesOf(state, `${where}/States/${name}`)) checkScope(inner, at, visible, problems);
  }
}

/**
 * CreateStateMachine checks of JSONata expressions. An expression runs with no context item, so a path
 * whose first step is a field name, and `$$`, read nothing; AWS refuses them, and expressions that do
 * not parse, with its own codes and messages, e.g.
 * `UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not supported. at /States/E/Output/v`.
 * A later path step, a predicate, a sort term or a grouping reads relative to the step before it and
 * is fine (`$states.input.items[value > 3]`).
 */
import { compile, expressionText, isJsonataExpression } from './jsonata';

/** An AST node: the library's types miss some node types (`path`, `bind`), so only what is read is typed. */
type Node = { type?: string; value?: unknown; steps?: unknown[] };

/**
 * Problems of every `{% %}` string in `template` (a field value, at any depth), at their JSON pointers.
 * `unavailable` names the `$states` members the field cannot read: "Attempting to access $states.result or
 * $states.errorOutput in fields and states where they are not accessible will be caught at creation"
 * (transforming-data.html).
 */
export function jsonataProblems(template: unknown, where: string, unavailable: readonly string[] = []): string[] {
  if (isJsonataExpression(template)) return expressionProblems(template, where, unavailable);
  if (Array.isArray(template)) return template.flatMap((item, i) => jsonataProblems(item, `${where}/${i}`, unavailable));
  if (template === null || typeof template !== 'object') return [];
  return Object.entries(template).flatMap(([key, value]) => jsonataProblems(value, `${where}/${key}`, unavailable));
}

function expressionProblems(value: string, where: string, unavailable: readonly string[]): string[] {
  let ast: Node;
  try {
    ast = compile(expressionText(value)).ast() as Node;
  } catch (error) {
    return [`INVALID_JSONATA_EXPRESSION: ${(error as Error).message} at ${where}`];
  }
  return [...unsupportedReferences(ast, true), ...unavailableStates(ast, unavailable)].map((why) => `UNSUPPORTED_JSONATA_EXPRESSION: ${why} at ${where}`);
}

/** `$states.<member>` paths reading a member the field has no access to (the wording is ours: AWS's is not documented). */
function unavailableStates(node: unknown, unavailable: readonly string[]): string[] {
  if (Array.isArray(node)) return node.flatMap((child) => unavailableStates(child, unavailable));
  if (node === null || typeof node !== 'object') return [];
  const [first, second] = (node as Node).type === 'path' ? ((node as Node).steps as Node[]) ?? [] : [];
  const member = first?.type === 'variable' && first.value === 'states' && second?.type === 'name' ? String(second.value) : undefined;
  const own = member !== undefined && unavailable.includes(member) ? [`'$states.${member}' is not accessible in this field.`] : [];
  return [...own, ...Object.values(node).flatMap((child) => unavailableStates(child, unavailable))];
}

/** Members of a node that are evaluated against something other than the expression's own context. */
const RELATIVE_MEMBERS = new Set(['stages', 'predicate', 'group', 'terms']);

function unsupportedReferences(node: unknown, topLevel: boolean): string[] {
  if (Array.isArray(node)) return node.flatMap((child) => unsupportedReferences(child, topLevel));
  if (node === null || typeof node !== 'object') return [];
  const { type, value } = node as Node;
  if (type === 'variable' && value === '$') return ["Reference to '$$' is not supported."];
  if (type === 'name' && topLevel) return [`Reference to '${String(value)}' at the top level is not supported.`];
  if (type === 'path') {
    const [first, ...rest] = (node as Node).steps ?? [];
    return [...unsupportedReferences(first, topLevel), ...unsupportedReferences(rest, false)];
  }
  return Object.entries(node).flatMap(([member, child]) =>
    member === 'value' ? [] : unsupportedReferences(child, topLevel && !RELATIVE_MEMBERS.has(member)),
  );
}

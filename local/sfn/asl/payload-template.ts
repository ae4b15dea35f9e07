/** Parameters / ItemSelector / ResultSelector: copies the template, resolving `"key.$"` paths and intrinsics. */
import { evaluateIntrinsic, isIntrinsic, type IntrinsicEnv } from './intrinsics';
import { readPath } from './json-path';

export function applyPayloadTemplate(template: unknown, env: IntrinsicEnv): unknown {
  if (Array.isArray(template)) return template.map((item) => applyPayloadTemplate(item, env));
  if (template === null || typeof template !== 'object') return template;
  const output: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && typeof value === 'string') {
      output[key.slice(0, -2)] = resolveExpression(value, env);
    } else {
      output[key] = applyPayloadTemplate(value, env);
    }
  }
  return output;
}

/** A `.$` value, ErrorPath or CausePath: a JSONPath or an intrinsic function. */
export function resolveExpression(expression: string, env: IntrinsicEnv): unknown {
  return isIntrinsic(expression) ? evaluateIntrinsic(expression, env) : readPath(expression, env.data, env.context);
}

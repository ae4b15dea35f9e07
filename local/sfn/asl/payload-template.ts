/** Parameters / ItemSelector / ResultSelector: copies the template, resolving `"key.$"` paths and intrinsics. */
import { evaluateIntrinsic, isIntrinsic, type IntrinsicEnv } from './intrinsics';
import { fieldNotFound, PathNotFound, readField } from './json-path';

export function applyPayloadTemplate(template: unknown, env: IntrinsicEnv): unknown {
  if (Array.isArray(template)) return template.map((item) => applyPayloadTemplate(item, env));
  if (template === null || typeof template !== 'object') return template;
  const output: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && typeof value === 'string') {
      output[key.slice(0, -2)] = resolveExpression(key, value, env);
    } else {
      output[key] = applyPayloadTemplate(value, env);
    }
  }
  return output;
}

/** The value of `field` (a `.$` key, ErrorPath or CausePath): a JSONPath or an intrinsic function. */
export function resolveExpression(field: string, expression: string, env: IntrinsicEnv): unknown {
  if (!isIntrinsic(expression)) return readField(field, expression, env.data, env.context);
  try {
    return evaluateIntrinsic(expression, env);
  } catch (error) {
    throw error instanceof PathNotFound ? fieldNotFound(field, error, env.data) : error;
  }
}

/**
 * SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat: answers to `.waitForTaskToken` tasks.
 * Member limits and errors as in API_SendTaskSuccess / API_SendTaskFailure / API_SendTaskHeartbeat:
 * taskToken 1–2048 characters, output at most 262,144 (and JSON, else InvalidOutput), error 256,
 * cause 32,768. Each answers `{}`; a heartbeat writes no history event.
 */
import type { EmulatorContext } from '../context';
import type { CallbackAnswer } from '../callbacks';
import { SfnApiError } from '../errors';
import { optionalString, requiredString, type ApiRequest } from './request';

const MAX_TOKEN_LENGTH = 2048;

function answer(ctx: EmulatorContext, request: ApiRequest, reply: CallbackAnswer): unknown {
  ctx.callbacks.answer(requiredString(request, 'taskToken', MAX_TOKEN_LENGTH), reply);
  return {};
}

export function sendTaskSuccess(ctx: EmulatorContext, request: ApiRequest): unknown {
  const outputText = requiredString(request, 'output', 262_144);
  let output: unknown;
  try {
    output = JSON.parse(outputText);
  } catch (error) {
    throw new SfnApiError('InvalidOutput', `Invalid Output: '${(error as Error).message}'`);
  }
  return answer(ctx, request, { kind: 'success', output });
}

export function sendTaskFailure(ctx: EmulatorContext, request: ApiRequest): unknown {
  const error = optionalString(request, 'error', 256) ?? '';
  const cause = optionalString(request, 'cause', 32_768) ?? '';
  return answer(ctx, request, { kind: 'failure', error, cause });
}

export function sendTaskHeartbeat(ctx: EmulatorContext, request: ApiRequest): unknown {
  return answer(ctx, request, { kind: 'heartbeat' });
}

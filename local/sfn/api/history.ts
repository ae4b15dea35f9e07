/** GetExecutionHistory: sequential ids from 1, paging in either order, optional execution data. */
import type { EmulatorContext } from '../context';
import { findExecution } from './lookup';
import { optionalBoolean, pageSize, requiredString, type ApiRequest } from './request';
import { historyEventView } from './views';

export function getExecutionHistory(ctx: EmulatorContext, request: ApiRequest): unknown {
  const executionArn = requiredString(request, 'executionArn');
  const execution = findExecution(ctx, executionArn);
  const limit = pageSize(request);
  const reverse = optionalBoolean(request, 'reverseOrder') ?? false;
  const includeData = optionalBoolean(request, 'includeExecutionData') ?? true;
  const scope = JSON.stringify(['GetExecutionHistory', executionArn, reverse]);
  const history = execution.history;
  const firstId =
    typeof request.nextToken === 'string' ? ctx.pageTokens.read<number>(request.nextToken, scope) : reverse ? history.length : 1;
  const step = reverse ? -1 : 1;
  const events = [];
  let id = firstId;
  for (; id >= 1 && id <= history.length && events.length < limit; id += step) {
    events.push(historyEventView(history.get(id), includeData));
  }
  const more = id >= 1 && id <= history.length;
  return { events, ...(more && { nextToken: ctx.pageTokens.issue(scope, id) }) };
}

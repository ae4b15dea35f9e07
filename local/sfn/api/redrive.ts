/**
 * RedriveExecution: client-token idempotency first (a valid reused token returns the original
 * redriveDate without redriving), then eligibility, the open-execution quota, and the redrive itself.
 */
import type { EmulatorContext } from '../context';
import { apiErrors, SfnApiError } from '../errors';
import type { ExecutionRecord } from '../store';
import { redrivabilityOf, rememberToken, reusableToken } from '../redrive-rules';
import { checkOpenExecutionQuota, findExecution } from './lookup';
import { optionalString, requiredString, type ApiRequest } from './request';
import { epochSeconds } from './views';

export function redriveExecution(ctx: EmulatorContext, request: ApiRequest): unknown {
  const execution = findExecution(ctx, requiredString(request, 'executionArn'), { allowExpress: true });
  const clientToken = optionalString(request, 'clientToken', 64);
  if (clientToken !== undefined && !/^[!-~]+$/.test(clientToken)) {
    throw apiErrors.validation(`1 validation error detected: Value at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [!-~]+`);
  }
  const nowMs = ctx.clock.nowMs();
  const reused = clientToken !== undefined ? reusableToken(execution, clientToken, nowMs) : undefined;
  if (reused) return { redriveDate: epochSeconds(reused.firstUsedMs) };
  const { redriveStatus, redriveStatusReason } = redrivabilityOf(execution, nowMs);
  if (redriveStatus === 'REDRIVABLE_BY_MAP_RUN') {
    throw new SfnApiError('ExecutionNotRedrivable', 'Execution can only be redriven by redriving the Map Run that started it');
  }
  if (redriveStatus === 'NOT_REDRIVABLE') throw new SfnApiError('ExecutionNotRedrivable', redriveStatusReason!);
  checkOpenExecutionQuota(ctx);
  if (clientToken !== undefined) rememberToken(execution, clientToken, nowMs);
  reopenForRedrive(ctx, execution, nowMs);
  return { redriveDate: epochSeconds(nowMs) };
}

/**
 * The redrive itself, also how a Map Run redrives its Standard children: counted, dated, reopened with
 * ExecutionRedriven and a RUNNING status event, and resumed from what its last run left behind.
 */
export function reopenForRedrive(ctx: EmulatorContext, execution: ExecutionRecord, nowMs: number): void {
  execution.redriveCount++;
  execution.redriveDateMs = nowMs;
  execution.status = 'RUNNING';
  execution.stopDateMs = undefined;
  execution.output = undefined;
  execution.error = undefined;
  execution.cause = undefined;
  execution.history.append('ExecutionRedriven', nowMs, { redriveCount: execution.redriveCount });
  ctx.store.markOpen(execution);
  ctx.notifier.emit(execution);
  ctx.runner.launch(execution, execution.lastRun);
}

/**
 * The approval endpoint's work: a Slack click becomes an approval message on the intake queue, or a
 * clear 4xx that changes nothing. It must answer within Slack's 3 seconds, so it only checks (the
 * signature and clicker in core/slack-interaction.ts, then one ledger read) and enqueues; the worker
 * decides under the ledger's conditional claim, which alone makes two clicks one redrive.
 */
import type { IntakeQueue } from '../adapters/intake-queue';
import type { Ledger } from '../adapters/ledger';
import type { Clock } from '../core/clock';
import type { AutoRedriveConfig } from '../core/config';
import { formatDuration, REDRIVE_WINDOW_MS } from '../core/decide';
import { approvalFromInteraction, type InteractionRequest } from '../core/slack-interaction';
import type { EngineLogger } from './redrive-engine';

export interface ApprovalIntakeDeps {
  config: AutoRedriveConfig;
  clock: Clock;
  ledger: Pick<Ledger, 'get'>;
  queue: Pick<IntakeQueue, 'sendApproval'>;
  signingSecret: () => Promise<string>;
  /** Where Slack's response_url may point (SLACK_RESPONSE_URL_PREFIX). */
  responseUrlPrefix: string;
  /** Members of approvals.allowedSlackUserGroupIds (adapters/slack-user-groups.ts); asked only for a clicker not listed by ID. */
  userGroupMembers?: () => Promise<string[]>;
  logger: EngineLogger;
}

export interface HttpAnswer {
  statusCode: number;
  body: string;
}

const answer = (statusCode: number, message: string): HttpAnswer => ({ statusCode, body: JSON.stringify({ message }) });

export async function receiveInteraction(request: InteractionRequest, deps: ApprovalIntakeDeps): Promise<HttpAnswer> {
  const { config, clock, ledger, queue, logger } = deps;
  const nowMs = clock.nowMs();
  const policy = { signingSecret: await deps.signingSecret(), allowedUserIds: config.approvals.allowedSlackUserIds, nowMs, responseUrlPrefix: deps.responseUrlPrefix };
  let result = approvalFromInteraction(request, policy);
  // Only a signed, fresh click by someone not listed by ID costs a look at the groups.
  if (!result.ok && result.refusal.status === 403 && deps.userGroupMembers) {
    let members: string[];
    try {
      members = await deps.userGroupMembers();
    } catch (error) {
      logger.error('Could not read the allow-listed Slack user groups', { error: (error as Error).message });
      return answer(503, 'could not read the allow-listed Slack user groups; try again');
    }
    result = approvalFromInteraction(request, { ...policy, allowedUserIds: [...policy.allowedUserIds, ...members] });
  }
  if (!result.ok) {
    logger.warn('Refused a Slack interaction', { status: result.refusal.status, problem: result.refusal.message });
    return answer(result.refusal.status, result.refusal.message);
  }
  const { approval } = result;
  const keys = { executionArn: approval.executionArn, generation: approval.generation, verdict: approval.verdict, by: approval.by };
  // Checked here only to answer the clicker at once; the worker checks again under its claim.
  const record = await ledger.get(approval.executionArn);
  if (!record) {
    logger.warn('Approval for an execution the ledger does not know', keys);
    return answer(404, `no approval is pending for ${approval.executionArn}: the ledger has no entry`);
  }
  if (record.generation !== approval.generation || record.phase !== 'APPROVAL_PENDING') {
    logger.info('Approval for a generation no longer pending', { ...keys, phase: record.phase, ledgerGeneration: record.generation });
    return answer(409, `no approval is pending for generation ${approval.generation}: it is ${record.phase} (${record.reason}) at generation ${record.generation}`);
  }
  if (record.stopDateMs !== undefined) {
    const safeEndMs = record.stopDateMs + REDRIVE_WINDOW_MS - config.windowSafetyMarginSeconds * 1000;
    if (approval.verdict === 'APPROVED' && safeEndMs <= nowMs) {
      logger.info('Approval after the redrive window closed', keys);
      return answer(410, `the redrive window (less the ${formatDuration(config.windowSafetyMarginSeconds * 1000)} safety margin) closed ${formatDuration(nowMs - safeEndMs)} ago`);
    }
  }
  await queue.sendApproval(approval);
  logger.info('Approval handed to the worker', keys);
  return { statusCode: 200, body: '' };
}

/** The approval endpoint's checks after the signature: unknown execution, not pending, window closed. */
import type { ApprovalMessage } from '../../core/messages';
import type { LedgerRecord } from '../../core/ledger-record';
import { approvalButtonValue, APPROVAL_ACTIONS, slackSignature } from '../../core/slack-interaction';
import { receiveInteraction } from '../../engine/approval-intake';
import { config, executionArn, ledgerRecord, NOW_MS } from '../support/fixtures';

const SECRET = 'test-signing-secret';
const DAY_MS = 86_400_000;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function click(nowMs: number, generation = 0, actionId: string = APPROVAL_ACTIONS.approve, userId = 'U024BE7LH') {
  const payload = { type: 'block_actions', user: { id: userId, username: 'alice' }, actions: [{ action_id: actionId, value: approvalButtonValue(executionArn(), generation) }], response_url: 'https://hooks.slack.com/actions/T1/2/x' };
  const rawBody = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const timestamp = String(Math.floor(nowMs / 1000));
  return { headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(SECRET, timestamp, rawBody) }, rawBody };
}

function intake(record: LedgerRecord | undefined, nowMs = NOW_MS, userGroupMembers?: () => Promise<string[]>) {
  const sent: ApprovalMessage[] = [];
  const deps = {
    config: config({ approvals: { slackSigningSecretName: 'slack/signing', allowedSlackUserIds: ['U024BE7LH'] } }),
    clock: { nowMs: () => nowMs },
    ledger: { get: async () => record },
    queue: { sendApproval: async (message: ApprovalMessage) => void sent.push(message) },
    signingSecret: async () => SECRET,
    responseUrlPrefix: 'https://hooks.slack.com/',
    userGroupMembers,
    logger: silent,
  };
  return { deps, sent };
}

const pending = ledgerRecord({ phase: 'APPROVAL_PENDING', reason: 'APPROVAL_REQUIRED', stopDateMs: NOW_MS - 60_000 });

describe('receiveInteraction', () => {
  it('enqueues a valid click for the worker and answers 200', async () => {
    const { deps, sent } = intake(pending);
    expect(await receiveInteraction(click(NOW_MS), deps)).toEqual({ statusCode: 200, body: '' });
    expect(sent).toEqual([expect.objectContaining({ executionArn: executionArn(), generation: 0, verdict: 'APPROVED', by: 'U024BE7LH' })]);
  });

  it('refuses a bad signature before reading anything', async () => {
    const { deps, sent } = intake(pending);
    const request = click(NOW_MS);
    const answer = await receiveInteraction({ ...request, rawBody: `${request.rawBody}&x=1` }, deps);
    expect(answer).toEqual({ statusCode: 401, body: JSON.stringify({ message: 'signature does not match' }) });
    expect(sent).toEqual([]);
  });

  it('an unknown execution: 404, nothing enqueued', async () => {
    const { deps, sent } = intake(undefined);
    expect(await receiveInteraction(click(NOW_MS), deps)).toEqual({
      statusCode: 404,
      body: JSON.stringify({ message: `no approval is pending for ${executionArn()}: the ledger has no entry` }),
    });
    expect(sent).toEqual([]);
  });

  it('a decided or older generation: 409, nothing enqueued', async () => {
    const { deps, sent } = intake(ledgerRecord({ phase: 'REDRIVEN', reason: 'ELIGIBLE', generation: 0 }));
    expect(await receiveInteraction(click(NOW_MS), deps)).toEqual({
      statusCode: 409,
      body: JSON.stringify({ message: 'no approval is pending for generation 0: it is REDRIVEN (ELIGIBLE) at generation 0' }),
    });
    const later = intake({ ...pending, generation: 1 });
    expect((await receiveInteraction(click(NOW_MS, 0), later.deps)).statusCode).toBe(409);
    expect([...sent, ...later.sent]).toEqual([]);
  });

  it('an approval after the window (less the 900 s margin) closed: 410; a Skip still goes through', async () => {
    const nowMs = NOW_MS - 60_000 + 14 * DAY_MS - 900_000 + 120_000;
    const { deps, sent } = intake(pending, nowMs);
    expect(await receiveInteraction(click(nowMs), deps)).toEqual({ statusCode: 410, body: JSON.stringify({ message: 'the redrive window (less the 15m safety margin) closed 2m ago' }) });
    expect(sent).toEqual([]);
    expect((await receiveInteraction(click(nowMs, 0, APPROVAL_ACTIONS.reject), deps)).statusCode).toBe(200);
    expect(sent.map((m) => m.verdict)).toEqual(['REJECTED']);
  });

  it('a clicker not listed by ID counts when a listed user group has them; the groups are read only then', async () => {
    let lookups = 0;
    const members = async () => (lookups++, ['U0CAROL00']);
    const { deps, sent } = intake(pending, NOW_MS, members);
    expect((await receiveInteraction(click(NOW_MS), deps)).statusCode).toBe(200);
    expect(lookups).toBe(0);
    expect((await receiveInteraction(click(NOW_MS, 0, APPROVAL_ACTIONS.approve, 'U0CAROL00'), deps)).statusCode).toBe(200);
    expect((await receiveInteraction(click(NOW_MS, 0, APPROVAL_ACTIONS.approve, 'U0MALLORY'), deps)).statusCode).toBe(403);
    expect(sent.map((m) => m.by)).toEqual(['U024BE7LH', 'U0CAROL00']);
  });

  it('answers 503 and enqueues nothing when the user groups cannot be read', async () => {
    const { deps, sent } = intake(pending, NOW_MS, async () => {
      throw new Error('Slack usergroups.users.list for S0614TZR7 answered invalid_auth');
    });
    expect(await receiveInteraction(click(NOW_MS, 0, APPROVAL_ACTIONS.approve, 'U0CAROL00'), deps)).toEqual({
      statusCode: 503,
      body: JSON.stringify({ message: 'could not read the allow-listed Slack user groups; try again' }),
    });
    expect(sent).toEqual([]);
  });
});

/**
 * A Slack click becomes an approval only when signed, fresh, by an allowed user, on one of our buttons.
 * Slack's own example (https://api.slack.com/authentication/verifying-requests-from-slack) is the
 * signature test vector, written out.
 */
import { APPROVAL_ACTIONS, approvalButtonValue, approvalFromInteraction, slackSignature } from '../../core/slack-interaction';

const SLACK_DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const SLACK_DOC_TIMESTAMP = '1531420618';
const SLACK_DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SLACK_DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

const SECRET = 'test-signing-secret';
const NOW_S = 1_795_000_000;
const ARN = 'arn:aws:states:us-east-1:123456789012:execution:orders-flow:order-42';
const RESPONSE_URL = 'https://hooks.slack.com/actions/T024BE7LD/1234567890/abcdefABCDEF';

function clickBody(overrides: { actionId?: string; value?: string; userId?: string } = {}): string {
  const payload = {
    type: 'block_actions',
    user: { id: overrides.userId ?? 'U024BE7LH', username: 'alice', name: 'alice', team_id: 'T024BE7LD' },
    actions: [{ type: 'button', action_id: overrides.actionId ?? APPROVAL_ACTIONS.approve, block_id: 'decide', value: overrides.value ?? approvalButtonValue(ARN, 2), action_ts: '1795000000.000100' }],
    response_url: RESPONSE_URL,
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

function signed(rawBody: string, timestamp = String(NOW_S)) {
  return { headers: { 'X-Slack-Request-Timestamp': timestamp, 'X-Slack-Signature': slackSignature(SECRET, timestamp, rawBody) }, rawBody };
}

const policy = { signingSecret: SECRET, allowedUserIds: ['U024BE7LH'], nowMs: NOW_S * 1000, responseUrlPrefix: 'https://hooks.slack.com/' };

describe('Slack request signatures', () => {
  it('computes Slack\'s documented example signature', () => {
    expect(slackSignature(SLACK_DOC_SECRET, SLACK_DOC_TIMESTAMP, SLACK_DOC_BODY)).toBe(SLACK_DOC_SIGNATURE);
  });
});

describe('approvalFromInteraction', () => {
  it('a signed, fresh click by an allowed user becomes an approval of the generation its button names', () => {
    expect(approvalFromInteraction(signed(clickBody()), policy)).toEqual({
      ok: true,
      approval: { kind: 'sfn-autoredrive.approval', executionArn: ARN, generation: 2, verdict: 'APPROVED', via: 'slack', by: 'U024BE7LH', byName: 'alice', decidedAtMs: NOW_S * 1000, responseUrl: RESPONSE_URL },
    });
    const skip = approvalFromInteraction(signed(clickBody({ actionId: APPROVAL_ACTIONS.reject })), policy);
    expect(skip).toMatchObject({ ok: true, approval: { verdict: 'REJECTED' } });
  });

  it('keeps a response_url only where Slack\'s are', () => {
    const elsewhere = approvalFromInteraction(signed(clickBody()), { ...policy, responseUrlPrefix: 'http://127.0.0.1:4000/' });
    expect(elsewhere).toMatchObject({ ok: true });
    expect(elsewhere.ok && elsewhere.approval.responseUrl).toBeUndefined();
  });

  it('header names are matched in any case (Function URLs lower-case them)', () => {
    const request = signed(clickBody());
    const lower = { rawBody: request.rawBody, headers: { 'x-slack-request-timestamp': request.headers['X-Slack-Request-Timestamp'], 'x-slack-signature': request.headers['X-Slack-Signature'] } };
    expect(approvalFromInteraction(lower, policy).ok).toBe(true);
  });

  it('a wrong signature: 401', () => {
    const request = signed(clickBody());
    request.headers['X-Slack-Signature'] = slackSignature('another-secret', String(NOW_S), request.rawBody);
    expect(approvalFromInteraction(request, policy)).toEqual({ ok: false, refusal: { status: 401, message: 'signature does not match' } });
    expect(approvalFromInteraction({ ...request, headers: {} }, policy)).toMatchObject({ refusal: { status: 401 } });
  });

  it('a tampered payload (signed, then the button value changed): 401', () => {
    const request = signed(clickBody());
    const tampered = { ...request, rawBody: clickBody({ value: approvalButtonValue('arn:aws:states:us-east-1:123456789012:execution:orders-flow:order-43', 2) }) };
    expect(approvalFromInteraction(tampered, policy)).toEqual({ ok: false, refusal: { status: 401, message: 'signature does not match' } });
  });

  it('an old timestamp, correctly signed: 401 as a possible replay; five minutes is still fine', () => {
    expect(approvalFromInteraction(signed(clickBody(), String(NOW_S - 301)), policy)).toEqual({
      ok: false,
      refusal: { status: 401, message: 'request timestamp is 301 s from now, more than 300 s: refused as a possible replay' },
    });
    expect(approvalFromInteraction(signed(clickBody(), String(NOW_S - 300)), policy).ok).toBe(true);
  });

  it('an unknown user: 403', () => {
    expect(approvalFromInteraction(signed(clickBody({ userId: 'U0MALLORY' })), policy)).toEqual({
      ok: false,
      refusal: { status: 403, message: 'Slack user U0MALLORY is not in approvals.allowedSlackUserIds or its user groups' },
    });
  });

  it('a signed request that is not one of our clicks: 400', () => {
    expect(approvalFromInteraction(signed('payload=not-json'), policy)).toMatchObject({ refusal: { status: 400, message: 'body has no JSON payload field' } });
    expect(approvalFromInteraction(signed(clickBody({ actionId: 'someone.else' })), policy)).toMatchObject({ refusal: { status: 400, message: 'not one of the approval buttons' } });
    expect(approvalFromInteraction(signed(clickBody({ value: '2 not-an-arn' })), policy)).toMatchObject({ refusal: { status: 400 } });
  });
});

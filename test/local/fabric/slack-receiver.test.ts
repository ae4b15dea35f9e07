import { VirtualClock } from '../../../local/clock';
import { slackSignature } from '../../../core/slack-interaction';
import { LocalSlackReceiver } from '../../../local/fabric/slack-receiver';

describe('LocalSlackReceiver', () => {
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 1) });
  let slack: LocalSlackReceiver;
  const post = (payload: unknown, url = slack.url) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });

  beforeEach(async () => {
    slack = await LocalSlackReceiver.start({ clock });
  });
  afterEach(async () => {
    await slack.stop();
  });

  it('records text and blocks posts with the stack-clock time and answers ok', async () => {
    expect(slack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/services\/T000\/B000\/XXXX$/);
    const response = await post({ text: 'redrive failed' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    await clock.advance(5000);
    await post({ blocks: [{ type: 'section' }] });
    expect(slack.posts).toEqual([
      expect.objectContaining({ text: 'redrive failed', receivedAtMs: Date.UTC(2026, 0, 1) }),
      expect.objectContaining({ blocks: [{ type: 'section' }], receivedAtMs: Date.UTC(2026, 0, 1) + 5000 }),
    ]);
  });

  it('answers like Slack to bad requests', async () => {
    const invalidJson = await fetch(slack.url, { method: 'POST', body: '{not json' });
    expect([invalidJson.status, await invalidJson.text()]).toEqual([400, 'invalid_payload']);
    const noText = await post({ username: 'x' });
    expect([noText.status, await noText.text()]).toEqual([400, 'no_text']);
    const wrongHook = await post({ text: 'x' }, slack.url.replace('XXXX', 'YYYY'));
    expect([wrongHook.status, await wrongHook.text()]).toEqual([404, 'no_service']);
    expect(slack.posts).toEqual([]);
    expect(slack.counters.invalid).toBe(2);
  });

  it('refuses the next K posts with 429 and Retry-After', async () => {
    slack.rejectNext(2, 7);
    const first = await post({ text: 'a' });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect((await post({ text: 'a' })).status).toBe(429);
    expect((await post({ text: 'a' })).status).toBe(200);
    expect(slack.counters).toMatchObject({ rateLimited: 2, accepted: 1 });
  });

  it('enforces 1 message per second on the stack clock', async () => {
    slack.enforceRateLimit({ messagesPerSecond: 1 });
    expect((await post({ text: '1' })).status).toBe(200);
    await clock.advance(400);
    const tooSoon = await post({ text: '2' });
    expect(tooSoon.status).toBe(429);
    expect(tooSoon.headers.get('retry-after')).toBe('1');
    await clock.advance(600);
    expect((await post({ text: '2' })).status).toBe(200);
    expect(slack.posts.map((p) => p.text)).toEqual(['1', '2']);
  });

  it('takes up to five posts on a response_url within 30 minutes, then answers expired_url', async () => {
    const responseUrl = slack.issueResponseUrl();
    expect(responseUrl.startsWith(slack.responseUrlPrefix)).toBe(true);
    for (let i = 0; i < 5; i++) expect((await post({ text: `update ${i}`, replace_original: true }, responseUrl)).status).toBe(200);
    const sixth = await post({ text: 'update 5' }, responseUrl);
    expect([sixth.status, await sixth.text()]).toEqual([404, 'expired_url']);
    const late = slack.issueResponseUrl();
    await clock.advance(30 * 60_000 + 1);
    expect((await post({ text: 'too late' }, late)).status).toBe(404);
    expect(slack.posts.map((p) => p.responseUrl)).toEqual(Array(5).fill(responseUrl));
  });

  it('clicks a button of an approval message as Slack would: signed, with a fresh response_url', async () => {
    const delivered: Array<{ headers: Record<string, string>; rawBody: string }> = [];
    slack.configureInteractivity({ signingSecret: 'local-secret', deliver: async (request) => (delivered.push(request), { statusCode: 200, body: '' }) });
    const value = '0 arn:aws:states:us-east-1:123456789012:execution:orders-flow:order-7';
    await post({ text: 'Approve redrive?: order-7', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'sfn-autoredrive.redrive', value }] }] });
    const click = await fetch(slack.clickUrl, { method: 'POST', body: JSON.stringify({ execution: 'order-7', button: 'Redrive', user: { id: 'U0ALICE00', name: 'alice' } }) });
    expect(click.status).toBe(200);
    const [request] = delivered;
    expect(request.headers['x-slack-request-timestamp']).toBe(String(Math.floor(clock.nowMs() / 1000)));
    expect(request.headers['x-slack-signature']).toBe(slackSignature('local-secret', request.headers['x-slack-request-timestamp'], request.rawBody));
    const payload = JSON.parse(new URLSearchParams(request.rawBody).get('payload')!);
    expect(payload).toMatchObject({ type: 'block_actions', user: { id: 'U0ALICE00', username: 'alice' }, actions: [{ action_id: 'sfn-autoredrive.redrive', value }] });
    expect(payload.response_url.startsWith(slack.responseUrlPrefix)).toBe(true);
    const missing = await fetch(slack.clickUrl, { method: 'POST', body: JSON.stringify({ execution: 'order-8', button: 'Skip', user: { id: 'U0ALICE00', name: 'alice' } }) });
    expect([missing.status, await missing.text()]).toEqual([404, 'no approval message with buttons for order-8']);
  });
});

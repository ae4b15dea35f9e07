import { VirtualClock } from '../../../local/clock';
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
});

/** Members of the allow-listed user groups, read with Slack's usergroups.users.list and kept a minute. */
import { SlackUserGroups } from '../../adapters/slack-user-groups';

// Slack's documented answer (https://api.slack.com/methods/usergroups.users.list), written out.
const SLACK_EXAMPLE = { ok: true, users: ['U060R4BJ4', 'W123A4BC5'] };

describe('SlackUserGroups', () => {
  it('asks Slack per group with the bot token, and keeps the answer for a minute', async () => {
    const calls: Array<{ url: string; authorization: string | null }> = [];
    let nowMs = 0;
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push({ url, authorization: new Headers(init.headers).get('authorization') });
      return new Response(JSON.stringify(SLACK_EXAMPLE));
    }) as typeof fetch;
    const groups = new SlackUserGroups({ groupIds: ['S0614TZR7'], token: async () => 'xoxb-test', nowMs: () => nowMs, fetchImpl });
    expect(await groups.members()).toEqual(['U060R4BJ4', 'W123A4BC5']);
    nowMs = 59_999;
    await groups.members();
    expect(calls).toEqual([{ url: 'https://slack.com/api/usergroups.users.list?usergroup=S0614TZR7', authorization: 'Bearer xoxb-test' }]);
    nowMs = 60_000;
    await groups.members();
    expect(calls).toHaveLength(2);
  });

  it('throws Slack\'s error, so a refused token is never read as an empty group', async () => {
    const fetchImpl = (async () => new Response(JSON.stringify({ ok: false, error: 'missing_scope' }))) as unknown as typeof fetch;
    const groups = new SlackUserGroups({ groupIds: ['S0614TZR7'], token: async () => 'xoxb-test', nowMs: () => 0, fetchImpl });
    await expect(groups.members()).rejects.toThrow('Slack usergroups.users.list for S0614TZR7 answered missing_scope');
  });
});

/**
 * Members of Slack user groups, for the approval allow-list: `usergroups.users.list` with a bot token
 * (scope `usergroups:read`), https://api.slack.com/methods/usergroups.users.list. The approval endpoint
 * must answer within Slack's 3 seconds, so one request may take a second at most, and the answer is
 * kept for a minute.
 */
export const USER_GROUP_LOOKUP = { timeoutMs: 1000, cacheMs: 60_000, url: 'https://slack.com/api/usergroups.users.list' } as const;

export class SlackUserGroups {
  private cached?: { atMs: number; members: string[] };

  constructor(
    private readonly options: { groupIds: readonly string[]; token: () => Promise<string>; nowMs: () => number; fetchImpl?: typeof fetch },
  ) {}

  /** The user IDs of every member of every group; throws if Slack does not answer ok. */
  async members(): Promise<string[]> {
    const { groupIds, token, nowMs, fetchImpl = fetch } = this.options;
    if (this.cached && nowMs() - this.cached.atMs < USER_GROUP_LOOKUP.cacheMs) return this.cached.members;
    const bearer = await token();
    const members = await Promise.all(
      groupIds.map(async (groupId) => {
        const response = await fetchImpl(`${USER_GROUP_LOOKUP.url}?usergroup=${encodeURIComponent(groupId)}`, {
          headers: { authorization: `Bearer ${bearer}` },
          signal: AbortSignal.timeout(USER_GROUP_LOOKUP.timeoutMs),
        });
        const body = (await response.json()) as { ok?: boolean; users?: unknown; error?: string };
        if (!body.ok || !Array.isArray(body.users)) throw new Error(`Slack usergroups.users.list for ${groupId} answered ${body.error ?? `HTTP ${response.status}`}`);
        return body.users.filter((user): user is string => typeof user === 'string');
      }),
    );
    this.cached = { atMs: nowMs(), members: members.flat() };
    return this.cached.members;
  }
}

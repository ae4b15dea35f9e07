/**
 * The built-in approvals scenario end to end, through the real local stack: the worker asks in Slack,
 * signed clicks reach the approval endpoint, the worker redrives once however many people click, the
 * clicked message is replaced through its response_url, and the accounting places every failure.
 */
import type { SlackPost } from '../../../local/fabric/slack-receiver';
import { runScenario, type DemoReport } from '../../../local/demo/runner';
import { APPROVALS_SCENARIO_PATH, loadScenarioFile } from '../../../local/demo/scenario';
import { exitCodeFor } from '../../../local/demo/summary';

describe('npm run demo -- --scenario approvals', () => {
  let report: DemoReport;
  const notes: string[] = [];
  let posts: SlackPost[] = [];
  let redriveCalls = 0;

  beforeAll(async () => {
    report = await runScenario(loadScenarioFile(APPROVALS_SCENARIO_PATH), {
      onNote: (text) => notes.push(text),
      beforeStop: async (stack) => {
        posts = [...stack.slack!.posts];
        redriveCalls = stack.sfn.stats().apis.RedriveExecution.calls;
      },
    });
  });

  const placesOf = (name: string) => report.accounting.executions.find((e) => e.name === name)!.failures.map((f) => [f.place, f.reason]);

  it('accounts for every failure, approvals included, with their places', () => {
    expect(report.accounting.totals).toMatchObject({ failuresSeen: 6, redriven: 2, approved: 1, rejected: 1, approvalPending: 2, unaccountedFailures: 0, duplicateRedrives: 0 });
    // alice and bob clicked at once: whichever claim won is the approver.
    expect(placesOf('pay-0003')).toEqual([['APPROVED', expect.stringMatching(/^by U0(ALICE00|BOB0000) via slack$/)]]);
    expect(placesOf('pay-0004')).toEqual([['REJECTED', 'by U0BOB0000 via slack']]);
    expect(placesOf('pay-0005')).toEqual([['APPROVAL_PENDING', 'APPROVAL_REQUIRED']]);
    expect(exitCodeFor(report)).toBe(0);
  });

  it('two people clicking Redrive at once make one redrive; the gateway timeouts are redriven without asking', () => {
    expect(redriveCalls).toBe(3);
    expect(report.accounting.executions.map((e) => [e.name, e.redriveCount])).toEqual([
      ['pay-0001', 1],
      ['pay-0002', 1],
      ['pay-0003', 1],
      ['pay-0004', 0],
      ['pay-0005', 0],
      ['pay-0006', 0],
    ]);
  });

  it('refuses a click by someone not on the allow-list with a 403, and changes nothing', () => {
    expect(notes).toContain('@mallory clicked Redrive on pay-0005: HTTP 403 {"message":"Slack user U0MALLORY is not in approvals.allowedSlackUserIds or its user groups"}');
    expect(notes.filter((n) => n.endsWith('HTTP 200'))).toHaveLength(3);
  });

  it('replaces each clicked message with the decision through its response_url, and later with how the rerun ended', () => {
    const replaced = posts.filter((p) => p.responseUrl !== undefined);
    expect(replaced.map((p) => p.payload.replace_original)).toEqual([true, true, true]);
    const texts = replaced.map((p) => JSON.stringify(p.blocks));
    const approved = /Redrive approved by @(alice|bob) \(U0(ALICE00|BOB0000)\) via slack at 2026-11-24T09:05:00.000Z → /;
    expect(texts.filter((t) => approved.test(t)).map((t) => /→ ([A-Z]+)/.exec(t)![1])).toEqual(['REDRIVEN', 'SUCCEEDED']);
    expect(texts.some((t) => t.includes('Skipped by @bob (U0BOB0000) via slack at 2026-11-24T09:05:00.000Z → REJECTED'))).toBe(true);
    // The outcome replaces the very message the approver clicked.
    const [decided, ended] = replaced.filter((p) => approved.test(JSON.stringify(p.blocks)));
    expect(ended.responseUrl).toBe(decided.responseUrl);
  });
});

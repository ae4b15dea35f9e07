/**
 * Slack rendering of hostile alert values: whatever a workflow puts in its error, cause or name, and
 * whatever AWS or an alarm quotes in a detail, reaches Slack as text. No mention, no link, no forged
 * field, no broken entity.
 */
import { buildExecutionAlert, buildPipelineErrorAlert, type Alert } from '../../core/alerts';
import { escapeMrkdwn, slackDigest, slackMessageForAlert, truncateMrkdwn, type SlackMessage } from '../../core/slack-message';
import { config, evidence, executionArn, NOW_MS } from '../support/fixtures';
import { HOSTILE_CAUSES, markupProblems, mrkdwnTexts } from '../support/slack-markup';

// AWS's name rule already forbids < > & in execution names (core/names.ts); the name is escaped anyway,
// so the hostile name is put in the evidence's name field, beside a legal ARN.
const alertWith = (overrides: { error?: string; cause?: string; executionName?: string }): Alert =>
  buildExecutionAlert(
    'GAVE_UP',
    evidence({ error: overrides.error ?? 'PaymentGatewayTimeout', cause: overrides.cause, executionName: overrides.executionName ?? 'order-1', executionArn: executionArn('order-1') }),
    'MAX_ATTEMPTS_REACHED',
    '3 of 3 attempts used',
    3,
    config(),
    NOW_MS,
  );

const unescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const sectionTexts = (message: SlackMessage) => mrkdwnTexts({ blocks: message.blocks });

describe('escapeMrkdwn and truncateMrkdwn', () => {
  it('escape exactly &, < and >, so escaped text is shown as typed', () => {
    expect(escapeMrkdwn('<!channel> & <@U1> &lt;')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt; &amp;lt;');
    expect(escapeMrkdwn('*bold* _it_ ~s~ "q" \'a\'')).toBe('*bold* _it_ ~s~ "q" \'a\'');
  });

  it('never cut an entity or a surrogate pair in half', () => {
    const escaped = escapeMrkdwn('abcd&efgh');
    // a b c d & a m p ; e f g h: every cut inside "&amp;" falls back to before the "&".
    for (let max = 5; max <= 9; max++) expect(truncateMrkdwn(escaped, max)).toBe('abcd…');
    expect(truncateMrkdwn(escaped, 10)).toBe('abcd&amp;…');
    expect(truncateMrkdwn(escapeMrkdwn('ab😀cd'), 4)).toBe('ab…');
    expect(truncateMrkdwn('short', 10)).toBe('short');
  });
});

describe('a single alert', () => {
  it.each(HOSTILE_CAUSES)('keeps the cause %j as text in its own code block', (cause) => {
    const message = slackMessageForAlert(alertWith({ cause }));
    expect(markupProblems(message)).toEqual([]);
    const causeSection = sectionTexts(message).find((t) => t.startsWith('*Cause:*'))!;
    expect(causeSection).toMatch(/^\*Cause:\*\n```[^`]*```$/);
    expect(unescape(causeSection.slice('*Cause:*\n```'.length, -3))).toBe(cause.replaceAll('`', 'ˋ'));
  });

  it.each(HOSTILE_CAUSES)('keeps the error %j on its one line as inline code', (error) => {
    const message = slackMessageForAlert(alertWith({ error }));
    expect(markupProblems(message)).toEqual([]);
    const lines = sectionTexts(message)[0].split('\n');
    // Every line of the fields section is one of ours: a forged "*Execution:*" line cannot appear.
    expect(lines.map((line) => /^\*([A-Za-z ]+):\*/.exec(line)?.[1])).toEqual(['Reason', 'Execution', 'State machine', 'Error', 'Attempts', 'Redrive window', 'Console']);
    const errorLine = lines.find((line) => line.startsWith('*Error:*'))!;
    expect(errorLine).toMatch(/^\*Error:\* `[^`]+`$/);
  });

  it('escapes the execution name and a pipeline detail, in the fallback text too', () => {
    const named = slackMessageForAlert(alertWith({ executionName: 'order_<!channel>_1' }));
    expect(markupProblems(named)).toEqual([]);
    expect(named.text).toContain('&lt;!channel&gt;');
    const pipeline = slackMessageForAlert(buildPipelineErrorAlert('CloudWatch alarm <!here> is ALARM: <http://x|y>\n*Console:* forged', NOW_MS));
    expect(markupProblems(pipeline)).toEqual([]);
    expect(sectionTexts(pipeline)[0].split('\n')).toHaveLength(1);
  });

  it('cuts a long cause after escaping, inside the section limit, never through an entity', () => {
    // Put a "&" exactly where the cut falls, for every offset an entity could be split at.
    for (let shift = 0; shift < 6; shift++) {
      const cause = `${'x'.repeat(2980 - shift)}&${'&'.repeat(3000)}`;
      const message = slackMessageForAlert({ ...alertWith({}), cause });
      expect(markupProblems(message)).toEqual([]);
      for (const text of sectionTexts(message)) expect(text.length).toBeLessThanOrEqual(3000);
      const causeSection = sectionTexts(message).find((t) => t.startsWith('*Cause:*'))!;
      expect(causeSection.endsWith('…```')).toBe(true);
    }
  });

  it('links only an https console URL, with | and control characters encoded', () => {
    const alert = alertWith({});
    expect(sectionTexts(slackMessageForAlert({ ...alert, consoleUrl: 'javascript:alert(1)' }))[0]).not.toContain('Console');
    const odd = sectionTexts(slackMessageForAlert({ ...alert, consoleUrl: 'https://x.example/a|b>c' }))[0];
    expect(odd).toContain('<https://x.example/a%7Cb&gt;c|Open in the Step Functions console>');
  });
});

describe('long values on-call must read whole', () => {
  it('a failed Map Run gets a section of its own: the whole ARN, ten child names and the whole command', () => {
    const mapRunArn = `arn:aws:states:us-east-1:123456789012:mapRun:${'m'.repeat(80)}/${'L'.repeat(40)}:6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a40`;
    const children = Array.from({ length: 10 }, (_, i) => `6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4${i}`);
    const alert: Alert = { ...alertWith({ error: 'States.ExceedToleratedFailureThreshold' }), mapRun: { mapRunArn, failed: 12, timedOut: 0, aborted: 3, listedStatus: 'FAILED', children } };
    const sections = sectionTexts(slackMessageForAlert(alert));
    const mapRunSection = sections.find((text) => text.startsWith('*Map Run:*'))!;
    expect(mapRunSection).toContain(`\`${mapRunArn}\``);
    expect(mapRunSection).toContain(`\`12 failed, 3 aborted; FAILED: ${children.join(', ')} … and 2 more\``);
    expect(mapRunSection).toContain(`\`aws stepfunctions list-executions --region us-east-1 --map-run-arn ${mapRunArn} --status-filter FAILED\``);
    expect(sections[0]).not.toContain('Map Run');
    for (const text of sections) expect(text.length).toBeLessThanOrEqual(3000);
  });

  it('the Decision line keeps the outcome of a rerun, with a long name and error', () => {
    const outcome = `FAILED (${'Payments.CardDeclinedByIssuer'.padEnd(120, 'X')})`;
    const alert: Alert = { ...alertWith({}), kind: 'APPROVAL_DECIDED', decision: { verdict: 'APPROVED', by: 'U024BE7LH', byName: 'alice.martin.'.padEnd(80, 'z'), via: 'slack', decidedAtMs: NOW_MS, outcome } };
    const decisionLine = sectionTexts(slackMessageForAlert(alert))[0].split('\n').find((line) => line.startsWith('*Decision:*'))!;
    expect(decisionLine).toContain(`→ ${outcome}`);
  });
});

describe('a digest', () => {
  it('names every alert in order, escaped, within Slack limits', () => {
    const alerts = Array.from({ length: 100 }, (_, i) => alertWith({ executionName: `order-${i}`, error: HOSTILE_CAUSES[i % HOSTILE_CAUSES.length] }));
    alerts.push(buildPipelineErrorAlert('alarm <!channel> & <http://x|y>', NOW_MS));
    const digest = slackDigest(alerts);
    expect(markupProblems(digest)).toEqual([]);
    expect(digest.blocks.length).toBeLessThanOrEqual(50);
    const text = sectionTexts(digest).join('\n');
    for (const text of sectionTexts(digest)) expect(text.length).toBeLessThanOrEqual(3000);
    const named = [...text.matchAll(/• `(order-\d+)`/g)].map((m) => m[1]);
    expect(named).toEqual(alerts.slice(0, 100).map((a) => a.executionName));
    expect(text).toContain('*100× GAVE_UP*');
    expect(text).toContain('*1× PIPELINE_ERROR* · pipeline');
  });

  it('counts what does not fit in 50 blocks', () => {
    const alerts = Array.from({ length: 2000 }, (_, i) => alertWith({ executionName: `order-${i}-${'n'.repeat(60)}`, error: 'E'.repeat(80) }));
    const digest = slackDigest(alerts);
    expect(digest.blocks).toHaveLength(50);
    const text = sectionTexts(digest).join('\n');
    const named = [...text.matchAll(/• `order-(\d+)-/g)].length;
    expect(text).toContain(`…and ${2000 - named} more`);
  });
});

describe('approval messages', () => {
  const ask: Alert = {
    ...buildExecutionAlert('APPROVAL_NEEDED', evidence({ error: 'CardDeclined', cause: '<!channel> card declined', executionName: 'order-1', executionArn: executionArn('order-1') }), 'APPROVAL_REQUIRED', 'matches errorPolicy.rules[0] pattern CardDeclined: approve', 0, config(), NOW_MS),
    generation: 2,
    failedState: 'Charge<@U1>',
    commands: [`sfn-autoredrive approve ${executionArn('order-1')} --reason "…"`, `sfn-autoredrive reject ${executionArn('order-1')} --reason "…"`],
  };

  it('with the endpoint deployed, carries Redrive and Skip buttons naming the generation they decide', () => {
    const message = slackMessageForAlert(ask, { interactive: true });
    const actions = message.blocks.find((b) => (b as { type: string }).type === 'actions');
    const value = `2 ${executionArn('order-1')}`;
    expect(actions).toEqual({
      type: 'actions',
      block_id: 'sfn-autoredrive.decide',
      elements: [
        { type: 'button', text: { type: 'plain_text', text: 'Redrive', emoji: false }, action_id: 'sfn-autoredrive.redrive', value, style: 'primary' },
        { type: 'button', text: { type: 'plain_text', text: 'Skip', emoji: false }, action_id: 'sfn-autoredrive.skip', value, style: 'danger' },
      ],
    });
    const text = JSON.stringify(message.blocks);
    for (const expected of ['Approve redrive?: order-1', 'CardDeclined', '0 used, 3 left', '13d 23h left', 'Open in the Step Functions console', `sfn-autoredrive approve ${executionArn('order-1')}`]) {
      expect(text).toContain(expected);
    }
    expect(markupProblems(message)).toEqual([]);
  });

  it('without the endpoint, has no buttons but the CLI commands', () => {
    const message = slackMessageForAlert(ask);
    expect(message.blocks.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(sectionTexts(message).join('\n')).toContain(`*Reject with:* \`sfn-autoredrive reject ${executionArn('order-1')} --reason "…"\``);
  });

  it('a decision reads "by whom, via what, when → outcome", names escaped', () => {
    const decided: Alert = {
      ...buildExecutionAlert('APPROVAL_DECIDED', evidence({ executionArn: executionArn('order-1') }), 'ELIGIBLE', 'approved redrive', 1, config(), NOW_MS),
      decision: { verdict: 'APPROVED', by: 'U024BE7LH', byName: 'alice<!here>', via: 'slack', decidedAtMs: Date.parse('2026-11-24T10:42:00Z'), outcome: 'REDRIVEN' },
    };
    const message = slackMessageForAlert(decided);
    expect(sectionTexts(message).join('\n')).toContain('*Decision:* `Redrive approved by @alice&lt;!here&gt; (U024BE7LH) via slack at 2026-11-24T10:42:00.000Z → REDRIVEN`');
    expect(markupProblems(message)).toEqual([]);
  });
});

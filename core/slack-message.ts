/**
 * Alerts rendered as Slack Block Kit messages. Every value an alert carries may come from a user's
 * workflow (error, cause, execution name, details quoted from AWS or a CloudWatch alarm), so none of it
 * is ever sent as mrkdwn markup:
 *
 * - `&`, `<` and `>` are Slack's control characters and are sent as `&amp;`, `&lt;`, `&gt;`. Slack decodes
 *   exactly these three entities for display, so an already escaped `&lt;` in a cause is shown as typed,
 *   and `<!channel>`, `<!here>`, `<@U123>` or `<http://x|y>` stay text: no ping, no link.
 *   https://api.slack.com/reference/surfaces/formatting#escaping
 * - Escaping comes first and truncation second, on the escaped text, and a cut never splits an entity.
 * - Values sit in inline code or a code block, where `*`, `_` and `~` are shown as typed. A backtick would
 *   end the code span, so it becomes U+02CB (ˋ); one-line values lose their line breaks, so a cause cannot
 *   forge a field of its own.
 */
import { alertFields, alertTitle, type Alert, type AlertKind } from './alerts';
import { APPROVAL_ACTIONS, approvalButtonValue } from './slack-interaction';

export interface SlackMessage {
  /** Notification and fallback text; Slack parses it as mrkdwn too. */
  text: string;
  blocks: unknown[];
  /** Posted to an interaction's response_url: replaces the clicked message instead of adding one. */
  replace_original?: boolean;
}

export interface SlackRenderOptions {
  /** The approval endpoint is deployed: an APPROVAL_NEEDED message carries Redrive and Skip buttons. */
  interactive?: boolean;
}

/** The failed Map Run's fields share a section of their own: its ARN, up to ten child names and the command are long. */
const MAP_RUN_BUDGETS: Record<string, number> = { 'Map Run': 400, 'Failing children': 1500, 'List them with': 700 };
/** Fields shown in a section of their own, not in the main one. */
const OWN_SECTION_FIELDS = new Set(['Cause', 'Approve with', 'Reject with', ...Object.keys(MAP_RUN_BUDGETS)]);

/** A section's text may be 3000 characters; a header's 150; a message 50 blocks. https://api.slack.com/reference/block-kit/blocks */
export const SLACK_SECTION_LIMIT = 3000;
export const SLACK_HEADER_LIMIT = 150;
export const SLACK_MAX_BLOCKS = 50;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Slack's three control characters as the entities Slack decodes. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (c) => ENTITIES[c]);
}

/**
 * Cuts escaped mrkdwn to at most `max` characters, ending in `…`, without splitting one of the entities
 * escapeMrkdwn writes or a surrogate pair.
 */
export function truncateMrkdwn(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  let cut = Math.max(0, max - 1);
  // The longest entity is `&amp;` (5 characters): an `&` in the last four kept ones may have lost its `;`.
  const amp = escaped.lastIndexOf('&', cut - 1);
  if (amp >= 0 && amp > cut - 5 && escaped.indexOf(';', amp) >= cut) cut = amp;
  const last = escaped.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${escaped.slice(0, cut)}…`;
}

const BACKTICK_STANDIN = '\u02cb';

/** One line of user text for inline code: escaped, no backticks, no line breaks, at most `max` characters. */
function inlineCode(text: string, max: number): string {
  const value = escapeMrkdwn(text.replaceAll('`', BACKTICK_STANDIN).replace(/\s*[\r\n]+\s*/g, ' ').trim());
  return `\`${truncateMrkdwn(value, max) || ' '}\``;
}

/** Multi-line user text as a code block: escaped, no backticks, at most `max` characters inside. */
function codeBlock(text: string, max: number): string {
  return `\`\`\`${truncateMrkdwn(escapeMrkdwn(text.replaceAll('`', BACKTICK_STANDIN)), max)}\`\`\``;
}

/** Plain one-line text (not code): escaped, no backticks, no line breaks. */
function plainLine(text: string, max: number): string {
  return truncateMrkdwn(escapeMrkdwn(text.replaceAll('`', BACKTICK_STANDIN).replace(/\s*[\r\n]+\s*/g, ' ')), max);
}

/** `<url|label>` for an https URL only; `|` and the control characters in it are encoded. */
function link(url: string, label: string): string | undefined {
  if (!/^https:\/\/[^\s]+$/.test(url)) return undefined;
  return `<${escapeMrkdwn(url.replaceAll('|', '%7C'))}|${escapeMrkdwn(label)}>`;
}

/**
 * Escaped budgets per field: together (with labels and the console link) under one section's limit
 * whatever the alert holds. ARNs are at most 256 characters, AWS's errors 256.
 */
const FIELD_BUDGETS: Record<string, number> = { Reason: 600, Execution: 300, 'State machine': 300, Error: 300, Decision: 400, 'Restarted as': 300, 'Restart of': 300 };
const DEFAULT_FIELD_BUDGET = 100;

function fieldValue(label: string, value: string): string | undefined {
  if (label === 'Console') return link(value, 'Open in the Step Functions console');
  const budget = FIELD_BUDGETS[label] ?? DEFAULT_FIELD_BUDGET;
  return label === 'Reason' ? plainLine(value, budget) : inlineCode(value, budget);
}

function mrkdwnSection(text: string): unknown {
  return { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(text, SLACK_SECTION_LIMIT) } };
}

function header(title: string): unknown {
  // plain_text is not parsed for mentions or links; Slack limits it to 150 characters.
  const text = title.length > SLACK_HEADER_LIMIT ? `${title.slice(0, SLACK_HEADER_LIMIT - 1)}…` : title;
  return { type: 'header', text: { type: 'plain_text', text, emoji: false } };
}

export function slackMessageForAlert(alert: Alert, options: SlackRenderOptions = {}): SlackMessage {
  const title = alertTitle(alert);
  const fields = alertFields(alert);
  const lines = fields
    .filter(([label]) => !OWN_SECTION_FIELDS.has(label))
    .map(([label, value]) => [label, fieldValue(label, value)] as const)
    .filter((field): field is readonly [string, string] => field[1] !== undefined)
    .map(([label, value]) => `*${label}:* ${value}`);
  const blocks: unknown[] = [header(title), mrkdwnSection(lines.join('\n'))];
  const cause = fields.find(([label]) => label === 'Cause')?.[1];
  // The cause gets a section of its own: the longest value, and the one most likely to hold markup.
  if (cause !== undefined) blocks.push(mrkdwnSection(`*Cause:*\n${codeBlock(cause, SLACK_SECTION_LIMIT - 20)}`));
  const mapRun = fields.filter(([label]) => label in MAP_RUN_BUDGETS).map(([label, value]) => `*${label}:* ${inlineCode(value, MAP_RUN_BUDGETS[label])}`);
  if (mapRun.length > 0) blocks.push(mrkdwnSection(mapRun.join('\n')));
  blocks.push(...approvalBlocks(alert, fields, options));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `sfn-autoredrive · ${new Date(alert.atMs).toISOString()}` }] });
  return { text: plainLine(title, 300), blocks };
}

/**
 * An approval request: Redrive and Skip buttons when the endpoint is deployed (each naming the failure
 * generation it decides), and the CLI commands always, for whoever cannot click.
 */
function approvalBlocks(alert: Alert, fields: Array<[string, string]>, options: SlackRenderOptions): unknown[] {
  if (alert.kind !== 'APPROVAL_NEEDED' || !alert.executionArn || alert.generation === undefined) return [];
  const value = approvalButtonValue(alert.executionArn, alert.generation);
  const button = (text: string, actionId: string, style: 'primary' | 'danger') => ({ type: 'button', text: { type: 'plain_text', text, emoji: false }, action_id: actionId, value, style });
  const blocks: unknown[] = [];
  if (options.interactive) {
    blocks.push({ type: 'actions', block_id: 'sfn-autoredrive.decide', elements: [button('Redrive', APPROVAL_ACTIONS.approve, 'primary'), button('Skip', APPROVAL_ACTIONS.reject, 'danger')] });
  }
  const commands = fields.filter(([label]) => label === 'Approve with' || label === 'Reject with').map(([label, command]) => `*${label}:* ${inlineCode(command, 600)}`);
  if (commands.length > 0) blocks.push(mrkdwnSection(commands.join('\n')));
  return blocks;
}

/** How one alert is named in a digest: its execution, or what the pipeline error says. */
function digestLine(alert: Alert): string {
  const what = alert.executionName ? inlineCode(alert.executionName, 100) : plainLine(alert.detail, 160);
  return alert.error ? `• ${what} ${inlineCode(alert.error, 80)}` : `• ${what}`;
}

/**
 * Many alerts at once (a storm) become one digest message: grouped by kind and state machine, in the
 * order the alerts came, naming every alert. Lines fill sections of up to 3000 characters; only past
 * Slack's 50 blocks would the rest be counted instead of named (100 alerts, the notifier's batch, fill
 * about five).
 */
export function slackDigest(alerts: Alert[]): SlackMessage {
  const groups = new Map<string, { kind: AlertKind; stateMachineArn?: string; alerts: Alert[] }>();
  for (const alert of alerts) {
    const key = `${alert.kind} ${alert.stateMachineArn ?? ''}`;
    const group = groups.get(key) ?? { kind: alert.kind, stateMachineArn: alert.stateMachineArn, alerts: [] };
    group.alerts.push(alert);
    groups.set(key, group);
  }
  const lines: string[] = [];
  for (const group of groups.values()) {
    const where = group.stateMachineArn ? ` · ${inlineCode(group.stateMachineArn, 300)}` : ' · pipeline';
    lines.push(`*${group.alerts.length}× ${group.kind}*${where}`);
    lines.push(...group.alerts.map(digestLine));
  }
  const title = `${alerts.length} sfn-autoredrive alerts`;
  const sections: string[] = [];
  for (const [i, line] of lines.entries()) {
    const current = sections.at(-1);
    const last = sections.length === SLACK_MAX_BLOCKS - 1;
    // The last section keeps room to count what it cannot name.
    if (current !== undefined && current.length + 1 + line.length <= SLACK_SECTION_LIMIT - (last ? 40 : 0)) {
      sections[sections.length - 1] = `${current}\n${line}`;
    } else if (!last) {
      sections.push(line);
    } else {
      sections[sections.length - 1] = `${current}\n…and ${lines.slice(i).filter((l) => l.startsWith('•')).length} more`;
      break;
    }
  }
  return { text: title, blocks: [header(title), ...sections.map(mrkdwnSection)] };
}

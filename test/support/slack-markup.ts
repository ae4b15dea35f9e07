/** Hostile alert values, and checks that a Slack payload shows them as text (see core/slack-message.ts). */

export const HOSTILE_CAUSES = [
  'Payment failed <!channel> please look',
  'wake up <!here> and <!everyone>',
  'ping <@U123> and <#C123> and <!subteam^S123>',
  'click <http://x|y> or <https://evil.example/login|the console>',
  'already escaped &lt;b&gt; &amp; stays as typed',
  'a `backtick` and ```a fence``` and a lone `',
  'line one\n*Execution:* forged\n> quote\n```\n<!channel>',
] as const;

/** Every mrkdwn string in a message: the fallback text, sections and context elements. */
export function mrkdwnTexts(message: { text?: string; blocks?: unknown[] }): string[] {
  const texts = message.text === undefined ? [] : [message.text];
  for (const block of (message.blocks ?? []) as Array<{ text?: { type: string; text: string }; elements?: Array<{ type: string; text: string }> }>) {
    if (block.text?.type === 'mrkdwn') texts.push(block.text.text);
    for (const element of block.elements ?? []) if (element.type === 'mrkdwn') texts.push(element.text);
  }
  return texts;
}

/** What Slack would treat as markup: any `<…>` other than our own console link, and any bare `&`. */
export function markupProblems(message: { text?: string; blocks?: unknown[] }): string[] {
  const problems: string[] = [];
  for (const text of mrkdwnTexts(message)) {
    const withoutConsoleLink = text.replace(/<https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/states\/[^<>|\s]*\|Open in the Step Functions console>/g, '');
    if (/[<>]/.test(withoutConsoleLink)) problems.push(`control character in ${JSON.stringify(text)}`);
    if (/&(?!amp;|lt;|gt;)/.test(text)) problems.push(`bare or broken entity in ${JSON.stringify(text)}`);
  }
  return problems;
}


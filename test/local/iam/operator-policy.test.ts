/** The operator policy docs/operating.md shows is the file the local stack enforces, placeholders and all. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { operatorPolicy } from '../../../local/iam/principals';

const DOCS = join(__dirname, '..', '..', '..', 'docs');

it('docs/operating.md lists exactly docs/operator-policy.json', () => {
  const operating = readFileSync(join(DOCS, 'operating.md'), 'utf8');
  const section = operating.slice(operating.indexOf('## IAM for operators'));
  const listed = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  expect(JSON.parse(listed ?? 'null')).toEqual(JSON.parse(readFileSync(join(DOCS, 'operator-policy.json'), 'utf8')));
});

it('the local stack fills every placeholder with its own ARNs', () => {
  const filled = JSON.stringify(
    operatorPolicy({ LedgerTableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/t', IntakeQueueArn: 'arn:q', AlertTopicArn: 'arn:t', AlertKeyArn: 'arn:k' }),
  );
  expect(filled).not.toContain('${');
  expect(filled).toContain('"arn:aws:dynamodb:us-east-1:123456789012:table/t/index/*"');
  expect(filled).toContain('"arn:aws:states:us-east-1:123456789012:execution:*:*"');
});

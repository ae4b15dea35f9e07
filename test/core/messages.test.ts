import fc from 'fast-check';
import { evidenceFromEvent, MalformedMessageError, parseIntakeMessage, RECHECK_KIND } from '../../core/messages';
import { executionArn, statusChangeEvent } from '../support/fixtures';

describe('intake message parsing', () => {
  it('reads a status-change event into evidence, keeping absent fields absent', () => {
    const message = parseIntakeMessage(JSON.stringify(statusChangeEvent({ redriveCount: undefined, redriveStatus: null, error: null })));
    expect(message.type).toBe('event');
    if (message.type !== 'event') return;
    const evidence = evidenceFromEvent(message.event);
    expect(evidence).toMatchObject({ executionArn: executionArn(), status: 'FAILED', sources: ['event'] });
    expect(evidence.redriveCount).toBeUndefined();
    expect(evidence.redriveStatus).toBeUndefined();
    expect(evidence.error).toBeUndefined();
  });

  it('reads a recheck', () => {
    const body = JSON.stringify({ kind: RECHECK_KIND, executionArn: executionArn(), generation: 2, dueAtMs: 5 });
    expect(parseIntakeMessage(body)).toEqual({ type: 'recheck', recheck: { kind: RECHECK_KIND, executionArn: executionArn(), generation: 2, dueAtMs: 5 } });
  });

  it.each([
    ['broken JSON', '{"detail":', /body is not JSON/],
    ['wrong source', JSON.stringify({ ...statusChangeEvent(), source: 'aws.ec2' }), /source/],
    ['wrong detail-type', JSON.stringify({ ...statusChangeEvent(), 'detail-type': 'Other' }), /detail-type/],
    ['a bad ARN', JSON.stringify(statusChangeEvent({ executionArn: 'arn:aws:s3:::bucket' })), /detail.executionArn: not a Step Functions execution ARN/],
    ['a mistyped start date', JSON.stringify(statusChangeEvent({ startDate: '2024-01-01' })), /detail.startDate/],
    ['an unknown status', JSON.stringify(statusChangeEvent({ status: 'EXPLODED' })), /detail.status/],
    ['a bad recheck', JSON.stringify({ kind: RECHECK_KIND, executionArn: executionArn(), generation: -1 }), /generation/],
  ])('rejects %s, naming the problem', (_label, body, problem) => {
    expect(() => parseIntakeMessage(body)).toThrow(MalformedMessageError);
    expect(() => parseIntakeMessage(body)).toThrow(problem);
  });

  it('never throws anything but MalformedMessageError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ ...statusChangeEvent(), detail: v }))), (body) => {
        try {
          parseIntakeMessage(body);
          return true;
        } catch (error) {
          return error instanceof MalformedMessageError && error.message.length < 5000;
        }
      }),
      { numRuns: 1000 },
    );
  });
});

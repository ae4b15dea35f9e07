import fc from 'fast-check';
import { evidenceFromEvent, MalformedMessageError, parseIntakeMessage, RECHECK_KIND, RERUN_WATCH_KIND } from '../../core/messages';
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

  it.each([
    ['a dotted state machine', 'orders.v2', 'run-1'],
    ['non-ASCII names', 'commandes-été', '注文-été-1'],
  ])('reads an event of %s', (_label, stateMachine, name) => {
    const arn = executionArn(name, stateMachine);
    const stateMachineArn = `arn:aws:states:us-east-1:123456789012:stateMachine:${stateMachine}`;
    const message = parseIntakeMessage(JSON.stringify({ ...statusChangeEvent({ executionArn: arn, stateMachineArn, name }), resources: [arn] }));
    expect(message.type === 'event' && evidenceFromEvent(message.event)).toMatchObject({ executionArn: arn, stateMachineArn, executionName: name });
  });

  it('reads an event of a Map Run child, whose stateMachineArn carries the label', () => {
    const arn = 'arn:aws:states:us-east-1:123456789012:execution:orders.v2/Traiter.lots:enfant-1';
    const stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders.v2/Traiter.lots';
    expect(parseIntakeMessage(JSON.stringify(statusChangeEvent({ executionArn: arn, stateMachineArn, name: 'enfant-1' }))).type).toBe('event');
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
    ['a state machine ARN with a space in the name', JSON.stringify(statusChangeEvent({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Orders Process' })), /detail.stateMachineArn/],
    ['a state machine ARN with extra parts', JSON.stringify(statusChangeEvent({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:a:b:c' })), /detail.stateMachineArn/],
    ['an execution name with a forbidden character', JSON.stringify(statusChangeEvent({ name: 'exec#1' })), /detail.name/],
    ['a mistyped start date', JSON.stringify(statusChangeEvent({ startDate: '2024-01-01' })), /detail.startDate/],
    ['an unknown status', JSON.stringify(statusChangeEvent({ status: 'EXPLODED' })), /detail.status/],
    ['a bad recheck', JSON.stringify({ kind: RECHECK_KIND, executionArn: executionArn(), generation: -1 }), /generation/],
    ['a rerun watch with a response_url that is not a URL', JSON.stringify({ kind: RERUN_WATCH_KIND, executionArn: executionArn(), generation: 0, checks: 0, dueAtMs: 1, responseUrl: 'javascript:alert(1)' }), /responseUrl: must be a URL/],
    ['a rerun watch without its due time', JSON.stringify({ kind: RERUN_WATCH_KIND, executionArn: executionArn(), generation: 0, checks: 0 }), /dueAtMs/],
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

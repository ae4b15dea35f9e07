import { buildEventPattern } from '../../../core/event-pattern';
import { matchesEventPattern } from '../../../local/fabric/event-pattern-matcher';

const env = { partition: 'aws', region: 'us-east-1', account: '123456789012' };
const smArn = (name: string) => `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`;

function statusChange(detail: Record<string, unknown>) {
  return {
    version: '0',
    id: 'e1',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:states:us-east-1:123456789012:execution:orders-v2:run-1'],
    detail: { status: 'FAILED', stateMachineArn: smArn('orders-v2'), ...detail },
  };
}

describe('matchesEventPattern', () => {
  describe('the exact pattern buildEventPattern deploys', () => {
    const pattern = buildEventPattern(
      {
        watch: { all: false, stateMachineArns: [smArn('billing')], stateMachineNamePrefixes: ['orders-'] },
        statuses: ['FAILED', 'TIMED_OUT'],
      } as unknown as Parameters<typeof buildEventPattern>[0],
      env,
    );

    it.each([
      ['a watched status on a prefix-matched state machine', {}, true],
      ['TIMED_OUT', { status: 'TIMED_OUT' }, true],
      ['an exact ARN', { stateMachineArn: smArn('billing') }, true],
      ['an unwatched status', { status: 'SUCCEEDED' }, false],
      ['ABORTED (opt-in only)', { status: 'ABORTED' }, false],
      ['a state machine outside the prefix', { stateMachineArn: smArn('inventory') }, false],
      ['an ARN that only extends an exact ARN', { stateMachineArn: smArn('billing-2') }, false],
      ['the prefix in another account', { stateMachineArn: 'arn:aws:states:us-east-1:999999999999:stateMachine:orders-v2' }, false],
      ['a missing stateMachineArn', { stateMachineArn: undefined }, false],
    ])('%s → %s', (_label, detail, expected) => {
      // The JSON round trip drops undefined fields, as on the wire.
      const event: unknown = JSON.parse(JSON.stringify(statusChange(detail)));
      expect(matchesEventPattern(pattern, event)).toBe(expected);
    });

    it('rejects another source or detail-type', () => {
      expect(matchesEventPattern(pattern, { ...statusChange({}), source: 'aws.ec2' })).toBe(false);
      expect(matchesEventPattern(pattern, { ...statusChange({}), 'detail-type': 'Other' })).toBe(false);
    });

    it('watch.all leaves the state machine unconstrained', () => {
      const all = buildEventPattern(
        { watch: { all: true, stateMachineArns: [], stateMachineNamePrefixes: [] }, statuses: ['FAILED'] } as unknown as Parameters<
          typeof buildEventPattern
        >[0],
        env,
      );
      expect(matchesEventPattern(all, statusChange({ stateMachineArn: smArn('anything') }))).toBe(true);
    });
  });

  it.each([
    ['exact string', { a: ['x'] }, { a: 'x' }, true],
    ['exact is case-sensitive', { a: ['X'] }, { a: 'x' }, false],
    ['string does not equal number', { a: ['5'] }, { a: 5 }, false],
    ['number', { a: [5] }, { a: 5.0 }, true],
    ['null', { a: [null] }, { a: null }, true],
    ['empty string is not null', { a: [''] }, { a: null }, false],
    ['array in event: any element', { a: ['y'] }, { a: ['x', 'y'] }, true],
    ['array in event: none', { a: ['z'] }, { a: ['x', 'y'] }, false],
    ['prefix', { a: [{ prefix: 'arn:aws:states' }] }, { a: 'arn:aws:states:x' }, true],
    ['prefix on a number', { a: [{ prefix: '1' }] }, { a: 12 }, false],
    ['prefix ignoring case', { a: [{ prefix: { 'equals-ignore-case': 'ARN:' } }] }, { a: 'arn:x' }, true],
    ['suffix', { a: [{ suffix: '.png' }] }, { a: 'img.png' }, true],
    ['suffix miss', { a: [{ suffix: '.png' }] }, { a: 'img.jpg' }, false],
    ['equals-ignore-case', { a: [{ 'equals-ignore-case': 'FaIlEd' }] }, { a: 'failed' }, true],
    ['wildcard', { a: [{ wildcard: 'orders-*-prod' }] }, { a: 'orders-eu-prod' }, true],
    ['wildcard anchors', { a: [{ wildcard: 'orders-*' }] }, { a: 'x-orders-1' }, false],
    ['wildcard escaped star', { a: [{ wildcard: 'a\\*b' }] }, { a: 'axb' }, false],
    ['anything-but value', { a: [{ 'anything-but': 'SUCCEEDED' }] }, { a: 'FAILED' }, true],
    ['anything-but excluded', { a: [{ 'anything-but': ['SUCCEEDED', 'RUNNING'] }] }, { a: 'RUNNING' }, false],
    ['anything-but prefix', { a: [{ 'anything-but': { prefix: 'tmp-' } }] }, { a: 'tmp-1' }, false],
    ['anything-but needs the field', { a: [{ 'anything-but': 'x' }] }, {}, false],
    ['exists true', { a: [{ exists: true }] }, { a: 'v' }, true],
    ['exists true, missing', { a: [{ exists: true }] }, {}, false],
    ['exists false, missing', { a: [{ exists: false }] }, { b: 1 }, true],
    ['exists false on a non-leaf', { a: [{ exists: false }] }, { a: { c: 1 } }, true],
    ['numeric range', { a: [{ numeric: ['>', 0, '<=', 5] }] }, { a: 5 }, true],
    ['numeric range miss', { a: [{ numeric: ['>', 0, '<=', 5] }] }, { a: 6 }, false],
    ['numeric on a string', { a: [{ numeric: ['>', 0] }] }, { a: '6' }, false],
    ['nested', { d: { s: ['x'] } }, { d: { s: 'x' } }, true],
    ['nested missing', { d: { s: ['x'] } }, { d: 'flat' }, false],
    ['nested in an array of objects', { d: { s: ['x'] } }, { d: [{ s: 'y' }, { s: 'x' }] }, true],
    ['$or first', { $or: [{ a: ['1'] }, { b: ['2'] }] }, { a: '1' }, true],
    ['$or second', { $or: [{ a: ['1'] }, { b: ['2'] }] }, { b: '2' }, true],
    ['$or none', { $or: [{ a: ['1'] }, { b: ['2'] }] }, { a: '2' }, false],
    ['fields are ANDed', { a: ['1'], b: ['2'] }, { a: '1', b: '3' }, false],
  ])('%s', (_label, pattern, event, expected) => {
    expect(matchesEventPattern(pattern, event)).toBe(expected);
  });

  it('throws on an operator it cannot evaluate instead of silently not matching', () => {
    expect(() => matchesEventPattern({ a: [{ cidr: '10.0.0.0/8' }] }, { a: '10.0.0.1' })).toThrow(/unsupported operator "cidr"/);
    expect(() => matchesEventPattern({ a: 'x' }, { a: 'x' })).toThrow(/must be an array or an object/);
  });
});

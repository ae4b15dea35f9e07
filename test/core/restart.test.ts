import fc from 'fast-check';
import { isValidStepFunctionsName } from '../../core/names';
import { describeRestartTarget, parseRestartTarget, restartExecutionArn, restartExecutionName, restartsBefore, restartTargetArn } from '../../core/restart';

const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders.v2';

describe('restart targets', () => {
  it.each([
    ['latest', { kind: 'latest' }, SM],
    ['version:3', { kind: 'version', version: 3 }, `${SM}:3`],
    ['alias:prod', { kind: 'alias', alias: 'prod' }, `${SM}:prod`],
    ['alias:blue.green-2', { kind: 'alias', alias: 'blue.green-2' }, `${SM}:blue.green-2`],
  ])('%s parses, prints back and names the StartExecution ARN', (text, target, arn) => {
    expect(parseRestartTarget(text)).toEqual(target);
    expect(describeRestartTarget(parseRestartTarget(text))).toBe(text);
    expect(restartTargetArn(SM, parseRestartTarget(text))).toBe(arn);
  });

  it.each(['', 'Latest', 'version:0', 'version:x', 'version:-1', 'alias:', 'alias:42', 'alias:a b', 'alias:a:b', 'prod'])('%j is refused, naming the forms', (text) => {
    expect(() => parseRestartTarget(text)).toThrow(`restart target ${JSON.stringify(text)} is not "latest", "version:<number>" or "alias:<name>"`);
  });
});

describe('restart names', () => {
  it('count the restarts that lead to an execution', () => {
    expect([restartsBefore('order-42'), restartsBefore('order-42-restart-1'), restartsBefore('order-42-restart-12'), restartsBefore('a-restart-0')]).toEqual([0, 1, 12, 0]);
  });

  it('count on from the original, and a restart of a restart counts on', () => {
    expect(restartExecutionName('order-42')).toBe('order-42-restart-1');
    expect(restartExecutionName('order-42-restart-1')).toBe('order-42-restart-2');
    expect(restartExecutionName('order-42-restart-9')).toBe('order-42-restart-10');
    expect(restartExecutionName('a-restart-0')).toBe('a-restart-0-restart-1');
  });

  it('stay within 80 characters with a hash of the original when it is long, never splitting a character', () => {
    const long = 'x'.repeat(80);
    const name = restartExecutionName(long);
    expect(name).toHaveLength(80);
    expect(name).toMatch(/^x{61}-[0-9a-f]{8}-restart-1$/);
    expect(restartExecutionName(`${'x'.repeat(79)}y`)).not.toBe(name);
    const emoji = restartExecutionName('😀'.repeat(40));
    expect(emoji.length).toBeLessThanOrEqual(80);
    expect(isValidStepFunctionsName(emoji)).toBe(true);
  });

  it('are legal, at most 80 characters and distinct for distinct legal names (property)', () => {
    const nameArb = fc.string({ unit: fc.constantFrom('a', 'b', '-', '.', '1', 'é', '注', '😀'), minLength: 1, maxLength: 40 }).filter((n) => n.length <= 80 && isValidStepFunctionsName(n));
    fc.assert(
      fc.property(nameArb, nameArb, (a, b) => {
        const ra = restartExecutionName(a);
        expect(isValidStepFunctionsName(ra)).toBe(true);
        expect(ra.length).toBeLessThanOrEqual(80);
        if (a !== b) expect(ra).not.toBe(restartExecutionName(b));
      }),
      { numRuns: 500 },
    );
  });

  it('give the ARN under the state machine, and refuse Express and Map Run children', () => {
    expect(restartExecutionArn('arn:aws:states:us-east-1:123456789012:execution:orders.v2:order-42')).toBe('arn:aws:states:us-east-1:123456789012:execution:orders.v2:order-42-restart-1');
    expect(() => restartExecutionArn('arn:aws:states:us-east-1:123456789012:express:orders:e1:0b6a3c55-6d0c-4bd2-9d4b-0d5b2a0d8f11')).toThrow('cannot be restarted');
    expect(() => restartExecutionArn('arn:aws:states:us-east-1:123456789012:execution:orders/map:child-1')).toThrow('cannot be restarted');
  });
});

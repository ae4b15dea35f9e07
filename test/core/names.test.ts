/**
 * Step Functions names and the ARNs built from them. The legal and forbidden characters are written out
 * here from the StartExecution API reference (`name`), not taken from core/names.ts, so the two are
 * checked against each other.
 */
import { isExecutionArn, isExecutionStateMachineArn, isStateMachineArn, parseExecutionArn, parseStateMachineArn } from '../../core/arn';
import { isValidStepFunctionsName } from '../../core/names';

const HEAD = 'arn:aws:states:us-east-1:123456789012';
const executionArnOf = (stateMachine: string, name: string) => `${HEAD}:execution:${stateMachine}:${name}`;

/** "A name must not contain: white space, brackets < > { } [ ], wildcard characters ? *, special characters " # % \ ^ | ~ ` $ & , ; : /, control characters (U+0000-001F, U+007F-009F, U+FFFE-FFFF), surrogates (U+D800-DFFF) ..." */
const FORBIDDEN: Array<[string, string]> = [
  ['a space', ' '],
  ['a tab', '\t'],
  ['a newline', '\n'],
  ...['<', '>', '{', '}', '[', ']'].map((c): [string, string] => [`the bracket ${c}`, c]),
  ...['?', '*'].map((c): [string, string] => [`the wildcard ${c}`, c]),
  ...['"', '#', '%', '\\', '^', '|', '~', '`', '$', '&', ',', ';', ':', '/'].map((c): [string, string] => [`the special character ${c}`, c]),
  ['U+0000', '\u0000'],
  ['U+001F', '\u001f'],
  ['U+007F', '\u007f'],
  ['U+0085', '\u0085'],
  ['U+009F', '\u009f'],
  ['U+FFFE', '\ufffe'],
  ['U+FFFF', '\uffff'],
  ['an unpaired high surrogate', '\ud83d'],
  ['an unpaired low surrogate', '\ude00'],
];

const LEGAL = ['orders.v2', 'commandes-été', '注文', 'Ünïcödé_名前-1', "it's(1)+@=!", 'emoji-😀', 'x'.repeat(80)];

describe('Step Functions names', () => {
  it.each(LEGAL)('accepts the legal name %j', (name) => {
    expect(isValidStepFunctionsName(name)).toBe(true);
  });

  it.each(FORBIDDEN)('rejects a name with %s', (_label, c) => {
    expect(isValidStepFunctionsName(`order${c}1`)).toBe(false);
    expect(isValidStepFunctionsName(c)).toBe(false);
  });

  it('allows 80 characters, not 81, counting a character beyond U+FFFF as one', () => {
    expect(isValidStepFunctionsName('a'.repeat(80))).toBe(true);
    expect(isValidStepFunctionsName('a'.repeat(81))).toBe(false);
    expect(isValidStepFunctionsName('😀'.repeat(80))).toBe(true);
    expect(isValidStepFunctionsName('😀'.repeat(81))).toBe(false);
    expect(isValidStepFunctionsName('')).toBe(false);
  });
});

describe('execution ARNs with any legal name', () => {
  it('parses a dotted state machine name', () => {
    expect(parseExecutionArn(executionArnOf('orders.v2', 'run-1'))).toEqual({
      partition: 'aws',
      region: 'us-east-1',
      account: '123456789012',
      resourceType: 'execution',
      stateMachineName: 'orders.v2',
      mapRunLabel: undefined,
      executionName: 'run-1',
      stateMachineArn: `${HEAD}:stateMachine:orders.v2`,
    });
  });

  it.each([
    ['commandes-été', 'été-1'],
    ['注文', '注文-42'],
    ['orders.v2', 'emoji-😀'],
  ])('parses non-ASCII names: %s / %s', (stateMachine, name) => {
    expect(parseExecutionArn(executionArnOf(stateMachine, name))).toMatchObject({ stateMachineName: stateMachine, executionName: name, stateMachineArn: `${HEAD}:stateMachine:${stateMachine}` });
  });

  it('parses a Map Run child and an Express execution of a dotted machine', () => {
    expect(parseExecutionArn(`${HEAD}:execution:orders.v2/Traiter.lots:enfant-été`)).toMatchObject({
      stateMachineName: 'orders.v2',
      mapRunLabel: 'Traiter.lots',
      executionName: 'enfant-été',
      stateMachineArn: `${HEAD}:stateMachine:orders.v2`,
    });
    expect(parseExecutionArn(`${HEAD}:express:注文:run.1:0d4f8f8e-9e1c-4b7a-8f6e-0123456789ab`)).toMatchObject({
      resourceType: 'express',
      stateMachineName: '注文',
      executionName: 'run.1',
    });
  });

  it.each(FORBIDDEN)('rejects an execution name with %s', (_label, c) => {
    expect(isExecutionArn(executionArnOf('orders-v2', `run${c}1`))).toBe(false);
    expect(() => parseExecutionArn(executionArnOf('orders-v2', `run${c}1`))).toThrow(/Invalid execution ARN/);
  });

  it.each(FORBIDDEN.filter(([, c]) => c !== '/'))('rejects a state machine name with %s', (_label, c) => {
    expect(isExecutionArn(executionArnOf(`orders${c}v2`, 'run-1'))).toBe(false);
  });

  it('takes names of 80 characters, not 81', () => {
    expect(parseExecutionArn(executionArnOf('é'.repeat(80), '注'.repeat(80)))).toMatchObject({ stateMachineName: 'é'.repeat(80), executionName: '注'.repeat(80) });
    expect(isExecutionArn(executionArnOf('é'.repeat(81), 'e'))).toBe(false);
    expect(isExecutionArn(executionArnOf('é', '注'.repeat(81)))).toBe(false);
  });

  it('keeps the 256-character bound on the whole ARN', () => {
    // 37 + 11 + 80 + 1 + 47 + 1 + 79 = 256 characters; one more is too long.
    const child = (name: string) => `${HEAD}:execution:${'m'.repeat(80)}/${'l'.repeat(47)}:${name}`;
    expect(child('e'.repeat(79))).toHaveLength(256);
    expect(isExecutionArn(child('e'.repeat(79)))).toBe(true);
    expect(() => parseExecutionArn(child('e'.repeat(80)))).toThrow(/longer than 256 characters/);
    // Characters, not UTF-16 units: 79 emoji are 79 characters.
    expect(isExecutionArn(child('😀'.repeat(79)))).toBe(true);
    expect(isExecutionArn(child('😀'.repeat(80)))).toBe(false);
  });
});

describe('state machine ARNs with any legal name', () => {
  it('parses dotted and non-ASCII names', () => {
    expect(parseStateMachineArn(`${HEAD}:stateMachine:orders.v2`)).toEqual({ partition: 'aws', region: 'us-east-1', account: '123456789012', name: 'orders.v2' });
    expect(parseStateMachineArn(`${HEAD}:stateMachine:commandes-été`).name).toBe('commandes-été');
    expect(isStateMachineArn(`${HEAD}:stateMachine:注文`)).toBe(true);
  });

  it('rejects forbidden characters, 81 characters and qualifiers in a plain state machine ARN', () => {
    expect(isStateMachineArn(`${HEAD}:stateMachine:has space`)).toBe(false);
    expect(isStateMachineArn(`${HEAD}:stateMachine:a#b`)).toBe(false);
    expect(isStateMachineArn(`${HEAD}:stateMachine:a\ud800`)).toBe(false);
    expect(isStateMachineArn(`${HEAD}:stateMachine:${'m'.repeat(81)}`)).toBe(false);
    expect(isStateMachineArn(`${HEAD}:stateMachine:orders.v2:1`)).toBe(false);
    expect(() => parseStateMachineArn(`${HEAD}:stateMachine:a/b`)).toThrow(/expected arn:/);
  });

  it('an execution may report its state machine with a Map Run label or a version', () => {
    expect(isExecutionStateMachineArn(`${HEAD}:stateMachine:orders.v2`)).toBe(true);
    expect(isExecutionStateMachineArn(`${HEAD}:stateMachine:orders.v2/Traiter.lots`)).toBe(true);
    expect(isExecutionStateMachineArn(`${HEAD}:stateMachine:注文:3`)).toBe(true);
    expect(isExecutionStateMachineArn(`${HEAD}:stateMachine:a:b:c`)).toBe(false);
    expect(isExecutionStateMachineArn(`${HEAD}:stateMachine:has space`)).toBe(false);
    expect(isExecutionStateMachineArn(`${HEAD}:stateMachine:${'x'.repeat(300)}`)).toBe(false);
  });
});

/**
 * fast-check arbitraries for hostile intake messages. Every message carries at least one poison (bad
 * JSON, a missing or mistyped field, a wrong source, an ARN outside the deployment, an Express or Map
 * Run child ARN, or an execution that does not exist), so none may ever lead to a redrive; decorations
 * (huge payload strings, unicode) ride on top of the poison.
 */
import fc from 'fast-check';
import type { ReasonCode } from '../../../core/reasons';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../../local/fabric/aws-names';

export type Poison = 'brokenJson' | 'missingField' | 'mistypedField' | 'oversizedArn' | 'wrongSource' | 'foreignArn' | 'expressOrMapRunChild' | 'unknownExecution';

export interface HostileMessage {
  poison: Poison;
  body: string;
}

/** Where each poison must end: parked in the DLQ as malformed, or skipped with one of these reasons. */
export const EXPECTED_END: Record<Poison, 'PARKED' | ReadonlySet<ReasonCode>> = {
  brokenJson: 'PARKED',
  missingField: 'PARKED',
  mistypedField: 'PARKED',
  oversizedArn: 'PARKED',
  wrongSource: 'PARKED',
  foreignArn: new Set<ReasonCode>(['OUT_OF_SCOPE']),
  // The fuzzer repeats ARNs, so a ledgered skip may meet its own earlier record: ALREADY_HANDLED.
  expressOrMapRunChild: new Set<ReasonCode>(['EXPRESS_STATE_MACHINE', 'MAP_RUN_CHILD', 'ALREADY_HANDLED']),
  unknownExecution: new Set<ReasonCode>(['EXECUTION_NOT_FOUND', 'ALREADY_HANDLED']),
};

const STATE_MACHINE = 'orders-fulfil';
const homeArn = (resource: 'execution' | 'express', name: string, { partition = 'aws', region = LOCAL_REGION, account = LOCAL_ACCOUNT, stateMachine = STATE_MACHINE } = {}) =>
  `arn:${partition}:states:${region}:${account}:${resource}:${stateMachine}:${name}`;

type Json = Record<string, unknown>;

/** A status-change event as EventBridge delivers it, for a failed execution of the watched machine. */
export function failureEvent(executionArn: string, nowMs: number): Json {
  return {
    version: '0',
    id: 'b0b7a1f6-0000-4000-8000-000000000000',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: LOCAL_ACCOUNT,
    time: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE}`,
      name: executionArn.split(':').pop(),
      status: 'FAILED',
      startDate: nowMs - 120_000,
      stopDate: nowMs - 60_000,
      input: '{}',
      output: null,
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
      redriveStatusReason: null,
      error: 'PaymentGatewayTimeout',
      cause: 'gateway is down',
    },
  };
}

const REQUIRED_ENVELOPE = ['version', 'id', 'source', 'detail-type', 'account', 'time', 'region', 'resources', 'detail'];
const REQUIRED_DETAIL = ['executionArn', 'stateMachineArn', 'name', 'status', 'startDate'];
const requiredPath = fc.oneof(
  fc.constantFrom(...REQUIRED_ENVELOPE).map((key) => [key]),
  fc.constantFrom(...REQUIRED_DETAIL).map((key) => ['detail', key]),
);

function withPath(event: Json, path: string[], change: (parent: Json, key: string) => void): Json {
  const copy = structuredClone(event);
  const parent = path.length === 2 ? (copy[path[0]] as Json | undefined) : copy;
  // An earlier change may have removed `detail` itself.
  if (parent && typeof parent === 'object') change(parent, path[path.length - 1]);
  return copy;
}

/** A value whose JSON type differs from the original's (so the field is mistyped, not merely odd). */
function wrongTypeFor(original: unknown): fc.Arbitrary<unknown> {
  // A non-empty array of numbers fits no required field (`resources` wants strings); `[]` would.
  const kinds: Array<fc.Arbitrary<unknown>> = [fc.constant(null), fc.boolean(), fc.array(fc.integer(), { minLength: 1, maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 })];
  if (typeof original === 'number') kinds.push(fc.string(), fc.constant(-1), fc.constant(1.5));
  else kinds.push(fc.integer());
  return fc.oneof(...kinds);
}

const unicodeText = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
/** Up to ~100 KB, cheap to generate: a repeated unicode chunk. */
const repeatedText = (minTimes: number) =>
  fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.integer({ min: minTimes, max: 12_000 })).map(([chunk, times]) => chunk.repeat(times));
const hugeText = repeatedText(1);

/** Huge and unicode payload fields, applied before the poison. */
const decorations = fc.record(
  { input: hugeText, output: hugeText, cause: hugeText, error: unicodeText(300), redriveStatusReason: unicodeText(50) },
  { requiredKeys: [] },
);

/**
 * Characters AWS allows in names besides A-Z, a-z, 0-9, _ and - (StartExecution API reference: anything
 * but white space, brackets, wildcards, " # % \ ^ | ~ ` $ & , ; : /, control characters and surrogates):
 * dots and other punctuation, non-ASCII letters, and characters beyond U+FFFF (two UTF-16 units each).
 */
const OTHER_LEGAL_NAME_CHARS = ['.', '!', "'", '(', ')', '+', '=', '@', 'é', 'ü', 'ß', 'ø', 'д', 'ع', '注', '文', '😀', '𝒜'];
const legalNameChar = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]$/), fc.constantFrom(...OTHER_LEGAL_NAME_CHARS));
/** A legal name of 1-40 characters, so it fits the 80-character limit even when prefixed. */
const executionName = fc.array(legalNameChar, { minLength: 1, maxLength: 40 }).map((chars) => chars.join(''));

export function hostileMessage(victimArn: string, nowMs: number): fc.Arbitrary<HostileMessage> {
  const victim = failureEvent(victimArn, nowMs);
  const decorated = decorations.map((extra) => withPath(victim, ['detail'], (detail, key) => Object.assign(detail[key] as Json, extra)));
  const event = (poison: Poison, arbitrary: fc.Arbitrary<Json>) => arbitrary.map((e) => ({ poison, body: JSON.stringify(e) }));
  const withArn = (arn: string, dropRedriveCount: boolean) => (e: Json) =>
    withPath(e, ['detail', 'executionArn'], (detail, key) => {
      detail[key] = arn;
      detail.name = arn.split(':').pop();
      if (dropRedriveCount) delete detail.redriveCount;
    });

  const victimBody = JSON.stringify(victim);
  return fc.oneof(
    fc.oneof(
      fc.integer({ min: 0, max: victimBody.length - 2 }).map((cut) => victimBody.slice(0, cut)),
      unicodeText(200).filter((text) => !isJson(text)),
      fc.constantFrom('null', '[]', '42', '"FAILED"', '{}', 'true'),
    ).map((body) => ({ poison: 'brokenJson' as const, body })),
    event('missingField', fc.tuple(decorated, fc.uniqueArray(requiredPath, { minLength: 1, maxLength: 3, selector: (p) => p.join('.') })).map(([e, paths]) =>
      paths.reduce((acc, path) => withPath(acc, path, (parent, key) => delete parent[key]), e),
    )),
    event('mistypedField', fc.tuple(decorated, requiredPath).chain(([e, path]) => {
      const original = path.length === 2 ? (e.detail as Json)[path[1]] : e[path[0]];
      return wrongTypeFor(original).map((value) => withPath(e, path, (parent, key) => (parent[key] = value)));
    })),
    event('oversizedArn', fc.tuple(decorated, repeatedText(257)).map(([e, text]) =>
      withPath(e, ['detail', 'stateMachineArn'], (detail, key) => (detail[key] = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${text}`)),
    )),
    event('wrongSource', fc.tuple(decorated, fc.constantFrom('source', 'detail-type'), fc.oneof(unicodeText(40), fc.constantFrom('aws.events', 'aws.lambda', 'Step Functions Execution Status Change ', 'AWS.STATES')))
      .filter(([e, key, value]) => e[key] !== value)
      .map(([e, key, value]) => ({ ...e, [key]: value }))),
    event('foreignArn', fc.tuple(
      decorated,
      fc.oneof(
        fc.stringMatching(/^\d{12}$/).filter((account) => account !== LOCAL_ACCOUNT).map((account) => ({ account })),
        fc.constantFrom('us-west-2', 'eu-west-1', 'ap-southeast-2').map((region) => ({ region })),
        fc.constantFrom('aws-cn', 'aws-us-gov', 'aws-iso').map((partition) => ({ partition })),
      ),
      executionName,
      fc.boolean(),
    ).map(([e, where, name, dropRedriveCount]) => withArn(homeArn('execution', name, where), dropRedriveCount)(e))),
    event('expressOrMapRunChild', fc.tuple(
      decorated,
      fc.oneof(
        executionName.map((name) => homeArn('express', `${name}:0d4f8f8e-9e1c-4b7a-8f6e-0123456789ab`)),
        fc.tuple(executionName, executionName).map(([label, name]) => homeArn('execution', name, { stateMachine: `${STATE_MACHINE}/${label}` })),
      ),
      fc.boolean(),
    ).map(([e, arn, dropRedriveCount]) => withArn(arn, dropRedriveCount)(e))),
    event('unknownExecution', fc.tuple(decorated, executionName, fc.boolean()).map(([e, name, dropRedriveCount]) =>
      withArn(homeArn('execution', `ghost-${name}`), dropRedriveCount)(e),
    )),
  );
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

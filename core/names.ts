/**
 * The one rule for state machine and execution names, used by the ARN parsers, the config schema, the
 * intake message schema, the emulator and the demo scenario schema.
 *
 * AWS Step Functions API Reference, StartExecution, request parameter `name`
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html), and the same
 * text for CreateStateMachine `name`: 1-80 characters; "A name must not contain: white space, brackets
 * < > { } [ ], wildcard characters ? *, special characters " # % \ ^ | ~ ` $ & , ; : /, control characters
 * (U+0000-001F, U+007F-009F, U+FFFE-FFFF), surrogates (U+D800-DFFF), invalid characters (U+10FFFF)".
 * Anything else is allowed, non-ASCII letters included (`orders.v2`, `commandes-été`, `注文`).
 *
 * Every pattern here is for a regex with the `u` flag: it then reads code points, so a paired surrogate
 * (a character beyond U+FFFF) is one allowed character and only an unpaired surrogate is refused, and
 * lengths count characters (code points), as the API model's length constraint does.
 */

const NAME_MAX_LENGTH = 80;

/** One character AWS allows in a name. Contains neither `:` nor `/`, so ARNs split unambiguously. */
const NAME_CHAR = String.raw`[^\s<>{}\[\]?*"#%\\^|~${'`'}$&,;:/\u{0}-\u{1F}\u{7F}-\u{9F}\u{FFFE}\u{FFFF}\u{D800}-\u{DFFF}\u{10FFFF}]`;

/** A whole name (1-80 allowed characters), to embed in a larger `u`-flag pattern such as an ARN. */
export const NAME_SOURCE = `${NAME_CHAR}{1,${NAME_MAX_LENGTH}}`;

const NAME = new RegExp(`^${NAME_SOURCE}$`, 'u');

/** The rule in words, for error messages. */
export const NAME_RULE =
  '1-80 characters, none of them white space, a bracket < > { } [ ], a wildcard ? *, a control character (U+0000-001F, U+007F-009F, U+FFFE-FFFF), an unpaired surrogate or one of " # % \\ ^ | ~ ` $ & , ; : /';

/** True if AWS accepts `name` as a state machine or execution name. */
export function isValidStepFunctionsName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/**
 * A state machine name prefix (config `stateMachineNamePrefixes`, the scenario's `namePrefix`): a
 * non-empty prefix of a legal name. The rule is per character, so that is itself a legal name.
 */
export const isValidNamePrefix = isValidStepFunctionsName;

/**
 * Workflow variables (`Assign`, read as `$name`), per "Passing data between states with variables"
 * https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html :
 * - the top-level states share one scope; each Parallel branch and Map iteration gets its own, which
 *   reads the outer ones but never writes them, and whose values are gone when it ends (data leaves
 *   a branch or iteration only through its output);
 * - every expression of an Assign reads the values from when the state was entered; the new values
 *   take effect when the state is left;
 * - a variable holds at most 256 KiB, one Assign at most 256 KiB in all, an execution at most 10 MiB.
 */
import { runtimeError, type StatesError } from './states-error';

export const MAX_VARIABLE_BYTES = 256 * 1024;
export const MAX_ASSIGN_BYTES = 256 * 1024;
export const MAX_TOTAL_BYTES = 10 * 1024 * 1024;

/** A variable name: letters, digits and underscores, not starting with a digit. */
export const VARIABLE_NAME_SOURCE = '[\\p{L}_][\\p{L}\\p{N}_]*';
export const VARIABLE_NAME = new RegExp(`^${VARIABLE_NAME_SOURCE}$`, 'u');
/** `$states` is reserved for the query language's own use. */
export const RESERVED_VARIABLE = 'states';

const sizeOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');

export class VariableScope {
  private readonly values: Map<string, unknown>;

  /** `restored`: the scope's own values as a redrive found them (see snapshot). */
  constructor(
    private readonly outer?: VariableScope,
    restored: Record<string, unknown> = {},
  ) {
    this.values = new Map(Object.entries(structuredClone(restored)));
  }

  /** A Parallel branch's or Map iteration's scope. */
  inner(restored?: Record<string, unknown>): VariableScope {
    return new VariableScope(this, restored);
  }

  /** The value of `$name` here or in an outer scope; a name never assigned is States.Runtime. */
  read(name: string): unknown {
    if (this.values.has(name)) return this.values.get(name);
    if (this.outer) return this.outer.read(name);
    throw runtimeError(`The variable '$${name}' is not defined`);
  }

  /** Every variable this scope can read, inner values shadowing none (names are unique across scopes). */
  visible(): Record<string, unknown> {
    return { ...this.outer?.visible(), ...Object.fromEntries(this.values) };
  }

  /** This scope's own values, copied: what a redrive restores when it re-enters a state of this scope. */
  snapshot(): Record<string, unknown> {
    return structuredClone(Object.fromEntries(this.values));
  }

  /** Stores the values an Assign evaluated, after checking AWS's size limits. */
  assign(assigned: Record<string, unknown>): void {
    let assignBytes = 0;
    for (const [name, value] of Object.entries(assigned)) {
      const bytes = sizeOf(value);
      if (bytes > MAX_VARIABLE_BYTES) throw sizeError(`The variable '$${name}' is ${bytes} bytes, over the limit of ${MAX_VARIABLE_BYTES} bytes`);
      assignBytes += bytes;
    }
    if (assignBytes > MAX_ASSIGN_BYTES) throw sizeError(`Assign sets ${assignBytes} bytes of variables, over the limit of ${MAX_ASSIGN_BYTES} bytes`);
    const total = sizeOf({ ...this.visible(), ...assigned });
    if (total > MAX_TOTAL_BYTES) throw sizeError(`The execution's variables would take ${total} bytes, over the limit of ${MAX_TOTAL_BYTES} bytes`);
    for (const [name, value] of Object.entries(assigned)) this.values.set(name, value);
  }
}

/** States.Runtime, whose cause the interpreter prefixes with the state and its entering event, as AWS does. */
function sizeError(cause: string): StatesError {
  return runtimeError(cause);
}

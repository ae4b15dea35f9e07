/** A runtime error inside an execution (`States.*` or a task's own error), as Retry/Catch see it. */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(`${error}: ${causeText}`);
    this.name = 'StatesError';
  }
}

/**
 * A States.Runtime error not yet attributed to its state: the interpreter prefixes its cause with the
 * state and the id of the event that entered it, as AWS does ("An error occurred while executing the
 * state 'Check Address' (entered at the event id #7). The JSONPath ...").
 */
export class RuntimeFault extends StatesError {
  constructor(cause: string) {
    super('States.Runtime', cause);
  }

  attributedTo(stateName: string, enteredEventId: number): StatesError {
    return new StatesError(this.error, `An error occurred while executing the state '${stateName}' (entered at the event id #${enteredEventId}). ${this.causeText}`);
  }
}

export const runtimeError = (cause: string): StatesError => new RuntimeFault(cause);

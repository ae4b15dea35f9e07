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

export const runtimeError = (cause: string) => new StatesError('States.Runtime', cause);

/** Cooperative cancellation of a running scope: stopping an execution, or a sibling branch failing. */
export class RunCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'RunCancelled';
  }
}

export class Cancellation {
  private cancelled = false;
  private readonly listeners = new Set<() => void>();
  private readonly detachFromParent?: () => void;

  constructor(parent?: Cancellation) {
    if (parent) this.detachFromParent = parent.onCancel(() => this.cancel());
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const listener of [...this.listeners]) listener();
    this.listeners.clear();
  }

  /** Calls `listener` on cancellation (at once if already cancelled). Returns an unsubscribe function. */
  onCancel(listener: () => void): () => void {
    if (this.cancelled) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  throwIfCancelled(): void {
    if (this.cancelled) throw new RunCancelled();
  }

  /** Settles like `promise`, or rejects with RunCancelled as soon as this is cancelled. */
  race<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const unsubscribe = this.onCancel(() => reject(new RunCancelled()));
      promise.then(
        (value) => (unsubscribe(), resolve(value)),
        (error) => (unsubscribe(), reject(error)),
      );
    });
  }

  /** Stops listening to the parent; call when the scope is done so long runs do not pile up listeners. */
  dispose(): void {
    this.detachFromParent?.();
  }
}

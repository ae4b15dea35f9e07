/** The one clock. Everything that needs "now" takes a Clock, so tests and the local stack can move time. */
export interface Clock {
  /** Epoch milliseconds. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/**
 * Clocks for the local stack. Wait states, retry intervals, SQS timers, visibility timeouts and
 * throttling buckets all run on one StackClock, which is either real time or virtual time.
 *
 * Virtual time runs at `speed` times real time (0 = only when advanced by hand), and `advance()`
 * jumps it forward, firing every timer that falls due in order. So a scenario can jump 15 days
 * ahead to test the redrive window without waiting.
 */
import type { Clock } from '../core/clock';

export interface StackClock extends Clock {
  /** Runs `callback` when the clock reaches `dueMs`. Returns a cancel function. */
  setTimer(dueMs: number, callback: () => void): () => void;
  /** Resolves when the clock reaches `dueMs`. */
  sleepUntil(dueMs: number): Promise<void>;
  /** True for a VirtualClock. */
  readonly virtual: boolean;
}

/**
 * Node runs a setTimeout delay above 2^31 - 1 ms (about 24.8 days) after 1 ms instead
 * (https://nodejs.org/api/timers.html#settimeoutcallback-delay-args), so longer timers wait in steps.
 */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class RealClock implements StackClock {
  readonly virtual = false;
  nowMs(): number {
    return Date.now();
  }
  setTimer(dueMs: number, callback: () => void): () => void {
    let handle: NodeJS.Timeout;
    const arm = () => {
      const delayMs = Math.max(0, dueMs - Date.now());
      handle = setTimeout(delayMs > MAX_TIMEOUT_MS ? arm : callback, Math.min(delayMs, MAX_TIMEOUT_MS));
      handle.unref?.();
    };
    arm();
    return () => clearTimeout(handle);
  }
  sleepUntil(dueMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(dueMs, resolve));
  }
}

interface Timer {
  id: number;
  dueMs: number;
  callback: () => void;
}

export interface VirtualClockOptions {
  /** Virtual start time, epoch ms. @default Date.now() */
  startMs?: number;
  /** Virtual milliseconds per real millisecond. 0: time moves only through advance(). @default 0 */
  speed?: number;
}

export class VirtualClock implements StackClock {
  readonly virtual = true;
  private baseVirtualMs: number;
  private baseRealMs = Date.now();
  /** Virtual milliseconds per real millisecond; 0 when only advance() moves it. */
  readonly speed: number;
  private timers: Timer[] = [];
  private nextId = 1;
  private realTimer?: NodeJS.Timeout;

  constructor(options: VirtualClockOptions = {}) {
    this.baseVirtualMs = options.startMs ?? Date.now();
    this.speed = options.speed ?? 0;
  }

  nowMs(): number {
    return Math.floor(this.baseVirtualMs + (Date.now() - this.baseRealMs) * this.speed);
  }

  setTimer(dueMs: number, callback: () => void): () => void {
    if (dueMs <= this.nowMs()) {
      // Already due: the clock has reached it, so run it as soon as the event loop allows.
      const handle = setImmediate(callback);
      return () => clearImmediate(handle);
    }
    const timer: Timer = { id: this.nextId++, dueMs, callback };
    this.timers.push(timer);
    this.timers.sort((a, b) => a.dueMs - b.dueMs || a.id - b.id);
    this.arm();
    return () => {
      this.timers = this.timers.filter((t) => t.id !== timer.id);
      this.arm();
    };
  }

  sleepUntil(dueMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(dueMs, resolve));
  }

  /** Jumps forward by `ms`, firing due timers in order; resolves once their callbacks' microtasks ran. */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError('a clock cannot go backwards');
    const target = this.nowMs() + ms;
    for (;;) {
      const next = this.timers[0];
      if (!next || next.dueMs > target) break;
      this.setNow(Math.max(next.dueMs, this.nowMs()));
      this.timers.shift();
      next.callback();
      // Let the callback's promise chain run before the next timer, as real time would.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.setNow(target);
    this.arm();
  }

  /** Number of pending timers (useful to tell whether a scenario is idle). */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Due time of the earliest pending timer, if any. */
  nextDueMs(): number | undefined {
    return this.timers[0]?.dueMs;
  }

  private setNow(virtualMs: number): void {
    this.baseVirtualMs = virtualMs;
    this.baseRealMs = Date.now();
  }

  private arm(): void {
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    const next = this.timers[0];
    if (!next || this.speed <= 0) return;
    // A longer delay would fire at once; fireDue then finds nothing due and arms again.
    const realDelay = Math.min(Math.max(0, (next.dueMs - this.nowMs()) / this.speed), MAX_TIMEOUT_MS);
    this.realTimer = setTimeout(() => this.fireDue(), realDelay);
    this.realTimer.unref?.();
  }

  private fireDue(): void {
    const now = this.nowMs();
    while (this.timers[0] && this.timers[0].dueMs <= now) {
      this.timers.shift()!.callback();
    }
    this.arm();
  }
}

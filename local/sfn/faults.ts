/** Fault injection, changeable at runtime: latency, random 5xx faults, forced API errors, dropped events. */
import { SfnApiError } from './errors';
import { seededRandom, type Random } from './rng';
import type { StatusChangeEvent } from './status-events';

export interface ForcedError {
  /** Error code, e.g. `ExecutionLimitExceeded`, `ThrottlingException`, `ServiceUnavailable`. */
  code: string;
  message?: string;
  /** How many of the next calls fail. */
  count: number;
}

export interface FaultConfig {
  /** Real milliseconds added before every response. */
  latencyMs: number;
  /** Share (0..1) of calls answered with a 500 InternalServerError or 503 ServiceUnavailable. */
  serverErrorRate: number;
  /** Per API name: fail the next `count` calls with `code`. */
  forcedErrors: Record<string, ForcedError>;
  /** Drop status-change events: a share (0..1) or a predicate returning true to drop. */
  dropStatusEvents: number | ((event: StatusChangeEvent) => boolean);
}

const SERVER_FAULTS = new Set(['InternalServerError', 'ServiceUnavailable', 'InternalFailure']);

export class FaultInjector {
  private config: FaultConfig = { latencyMs: 0, serverErrorRate: 0, forcedErrors: {}, dropStatusEvents: 0 };
  private readonly random: Random;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  set(partial: Partial<FaultConfig>): void {
    this.config = {
      ...this.config,
      ...partial,
      forcedErrors: partial.forcedErrors ? structuredClone(partial.forcedErrors) : this.config.forcedErrors,
    };
  }

  get latencyMs(): number {
    return this.config.latencyMs;
  }

  /** The injected error for this call of `api`, if any (consumes a forced error). */
  faultFor(api: string): SfnApiError | undefined {
    const forced = this.config.forcedErrors[api];
    if (forced && forced.count > 0) {
      forced.count--;
      const status = SERVER_FAULTS.has(forced.code) ? (forced.code === 'ServiceUnavailable' ? 503 : 500) : 400;
      return new SfnApiError(forced.code, forced.message ?? `Injected ${forced.code}`, status);
    }
    if (this.config.serverErrorRate > 0 && this.random() < this.config.serverErrorRate) {
      return this.random() < 0.5
        ? new SfnApiError('InternalServerError', 'Injected internal server error', 500)
        : new SfnApiError('ServiceUnavailable', 'Injected service unavailable', 503);
    }
    return undefined;
  }

  shouldDrop(event: StatusChangeEvent): boolean {
    const drop = this.config.dropStatusEvents;
    return typeof drop === 'function' ? drop(event) : drop > 0 && this.random() < drop;
  }
}

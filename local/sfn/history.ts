/**
 * An execution's event history. Ids are sequential from 1. Seeded executions can claim a large history
 * cheaply: a run of synthetic filler events is described by its length and materialised only when read.
 */
/** History events say whether data was cut (`truncated`), unlike DescribeExecution's `included`. */
export const NOT_TRUNCATED = Object.freeze({ truncated: false });

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestampMs: number;
  type: string;
  /** The `...EventDetails` member, keyed as AWS names it (see detailsMemberFor). */
  details?: Record<string, unknown>;
}

/** `TaskStateEntered` -> `stateEnteredEventDetails`, `TaskFailed` -> `taskFailedEventDetails`, as in the API. */
export function detailsMemberFor(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type[0].toLowerCase()}${type.slice(1)}EventDetails`;
}

export class History {
  private readonly head: HistoryEvent[] = [];
  private fillerCount = 0;
  private fillerTimestampMs = 0;
  private readonly tail: HistoryEvent[] = [];

  get length(): number {
    return this.head.length + this.fillerCount + this.tail.length;
  }

  append(type: string, timestampMs: number, details?: Record<string, unknown>, previousEventId?: number): HistoryEvent {
    const id = this.length + 1;
    const event: HistoryEvent = { id, previousEventId: previousEventId ?? id - 1, timestampMs, type, details };
    (this.fillerCount === 0 && this.tail.length === 0 ? this.head : this.tail).push(event);
    return event;
  }

  /** Adds `count` synthetic events after what is there (seeded executions only). */
  appendFiller(count: number, timestampMs: number): void {
    if (this.tail.length > 0) throw new Error('filler can only follow the head of a history');
    this.fillerCount += count;
    this.fillerTimestampMs = timestampMs;
  }

  /** Event by id (1-based). */
  get(id: number): HistoryEvent {
    if (id <= this.head.length) return this.head[id - 1];
    const fillerIndex = id - this.head.length;
    if (fillerIndex <= this.fillerCount) {
      // Synthetic Pass state transitions, paired so the run ends on an exit: cheap stand-ins that keep the count honest.
      const type = (this.fillerCount - fillerIndex) % 2 === 0 ? 'PassStateExited' : 'PassStateEntered';
      return {
        id,
        previousEventId: id - 1,
        timestampMs: this.fillerTimestampMs,
        type,
        details: { name: 'SeededFiller', [type.endsWith('Entered') ? 'input' : 'output']: '{}' },
      };
    }
    return this.tail[id - this.head.length - this.fillerCount - 1];
  }
}

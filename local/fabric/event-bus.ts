/**
 * A local EventBridge bus: rules with event patterns, targets that are local queues (the message body
 * is the event JSON, as EventBridge sends it) or in-process callbacks. Fault hooks reproduce what
 * EventBridge documents: best-effort delivery (drops), duplicates, and out-of-order arrival.
 */
import { randomUUID } from 'node:crypto';
import type { StackClock } from '../clock';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './aws-names';
import { matchesEventPattern, type EventPattern } from './event-pattern-matcher';
import type { LocalQueue } from './queue';

export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** What a producer supplies; the bus fills in id, time, account, region and version like EventBridge. */
export type BusEventInput = Pick<BusEvent, 'source' | 'detail-type' | 'detail'> &
  Partial<Pick<BusEvent, 'id' | 'time' | 'account' | 'region' | 'resources'>>;

export type BusTarget = LocalQueue | ((event: BusEvent) => void | Promise<void>);

export interface BusRule {
  name: string;
  pattern: EventPattern;
  target: BusTarget;
}

export interface BusFaults {
  /** Each matched event is delivered this many times. @default 1 */
  deliveriesPerEvent?: number;
  /** Fraction (0-1) of deliveries dropped. @default 0 */
  dropRate?: number;
  /** Each delivery waits a random 0..this on the stack clock, which also reorders events. @default 0 */
  maxDeliveryDelayMs?: number;
  /** Random source for drops and delays, for reproducible runs. @default Math.random */
  random?: () => number;
}

export interface BusCounters {
  put: number;
  /** Rule matches (one event matching two rules counts twice). */
  matched: number;
  delivered: number;
  /** Deliveries beyond the first per match. */
  duplicated: number;
  dropped: number;
  /** Target rejected the event (e.g. over the queue's size limit). */
  failed: number;
}

export class LocalEventBus {
  readonly counters: BusCounters = { put: 0, matched: 0, delivered: 0, duplicated: 0, dropped: 0, failed: 0 };
  private readonly rules = new Map<string, BusRule>();
  private faults: BusFaults = {};
  private scheduledDeliveries = 0;

  constructor(private readonly clock: StackClock) {}

  addRule(rule: BusRule): void {
    this.rules.set(rule.name, rule);
  }

  removeRule(name: string): void {
    this.rules.delete(name);
  }

  setFaults(faults: BusFaults): void {
    this.faults = faults;
  }

  /** Deliveries waiting on a fault delay. */
  pendingDeliveries(): number {
    return this.scheduledDeliveries;
  }

  putEvent(input: BusEventInput): BusEvent {
    const event: BusEvent = {
      version: '0',
      id: input.id ?? randomUUID(),
      'detail-type': input['detail-type'],
      source: input.source,
      account: input.account ?? LOCAL_ACCOUNT,
      // EventBridge's time has second precision.
      time: input.time ?? new Date(this.clock.nowMs()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: input.region ?? LOCAL_REGION,
      resources: input.resources ?? [],
      detail: input.detail,
    };
    this.counters.put++;
    for (const rule of this.rules.values()) {
      if (!matchesEventPattern(rule.pattern, event)) continue;
      this.counters.matched++;
      const deliveries = this.faults.deliveriesPerEvent ?? 1;
      this.counters.duplicated += deliveries - 1;
      for (let i = 0; i < deliveries; i++) this.scheduleDelivery(rule.target, event);
    }
    return event;
  }

  private scheduleDelivery(target: BusTarget, event: BusEvent): void {
    const random = this.faults.random ?? Math.random;
    if (random() < (this.faults.dropRate ?? 0)) {
      this.counters.dropped++;
      return;
    }
    const delayMs = Math.floor(random() * (this.faults.maxDeliveryDelayMs ?? 0));
    if (delayMs === 0) {
      void this.deliver(target, event);
      return;
    }
    this.scheduledDeliveries++;
    this.clock.setTimer(this.clock.nowMs() + delayMs, () => {
      this.scheduledDeliveries--;
      void this.deliver(target, event);
    });
  }

  private async deliver(target: BusTarget, event: BusEvent): Promise<void> {
    try {
      if (typeof target === 'function') await target(event);
      else target.send({ body: JSON.stringify(event) });
      this.counters.delivered++;
    } catch {
      this.counters.failed++;
    }
  }
}

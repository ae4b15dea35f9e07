import { VirtualClock } from '../../../local/clock';
import { LocalEventBus, type BusEvent } from '../../../local/fabric/event-bus';
import { LocalQueue } from '../../../local/fabric/queue';

const START_MS = Date.UTC(2026, 0, 1, 12, 0, 0, 345);
const failedPattern = { source: ['aws.states'], detail: { status: ['FAILED'] } };

function setup() {
  const clock = new VirtualClock({ startMs: START_MS });
  const bus = new LocalEventBus(clock);
  const queue = new LocalQueue({ name: 'intake', clock });
  bus.addRule({ name: 'failed', pattern: failedPattern, target: queue });
  const put = (status: string, name = 'run') =>
    bus.putEvent({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { status, name } });
  const bodies = () => queue.receiveNow({ maxNumberOfMessages: 10 }).map((m) => JSON.parse(m.body) as BusEvent);
  return { clock, bus, queue, put, bodies };
}

describe('LocalEventBus', () => {
  it('delivers matching events to the target queue as the EventBridge event JSON', () => {
    const { put, bodies, bus } = setup();
    const event = put('FAILED');
    put('SUCCEEDED');
    expect(bodies()).toEqual([
      {
        version: '0',
        id: event.id,
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        account: '123456789012',
        time: '2026-01-01T12:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail: { status: 'FAILED', name: 'run' },
      },
    ]);
    expect(bus.counters).toMatchObject({ put: 2, matched: 1, delivered: 1 });
  });

  it('delivers to callbacks and to every matching rule', async () => {
    const { bus, put, bodies } = setup();
    const seen: string[] = [];
    bus.addRule({ name: 'audit', pattern: { source: ['aws.states'] }, target: (e) => void seen.push(String(e.detail.status)) });
    put('FAILED');
    put('RUNNING');
    expect(seen).toEqual(['FAILED', 'RUNNING']);
    expect(bodies()).toHaveLength(1);
    bus.removeRule('audit');
    put('FAILED');
    expect(seen).toHaveLength(2);
  });

  it('duplicates each delivery when asked', () => {
    const { bus, put, bodies } = setup();
    bus.setFaults({ deliveriesPerEvent: 3 });
    const event = put('FAILED');
    expect(bodies().map((e) => e.id)).toEqual([event.id, event.id, event.id]);
    expect(bus.counters).toMatchObject({ duplicated: 2, delivered: 3 });
  });

  it('drops the configured share of deliveries', () => {
    const { bus, put, bodies } = setup();
    bus.setFaults({ dropRate: 0.5, random: nextDraw([0.1, 0.9, 0]) });
    put('FAILED', 'dropped');
    put('FAILED', 'kept');
    expect(bodies().map((e) => e.detail.name)).toEqual(['kept']);
    expect(bus.counters.dropped).toBe(1);
  });

  it('delays deliveries on the stack clock, which can reorder events', async () => {
    const { clock, bus, put, bodies } = setup();
    bus.setFaults({ maxDeliveryDelayMs: 10_000, random: nextDraw([0, 0.9, 0, 0.1]) });
    put('FAILED', 'first');
    put('FAILED', 'second');
    expect(bus.pendingDeliveries()).toBe(2);
    expect(bodies()).toEqual([]);
    await clock.advance(1000);
    expect(bodies().map((e) => e.detail.name)).toEqual(['second']);
    await clock.advance(8000);
    expect(bodies().map((e) => e.detail.name)).toEqual(['first']);
    expect(bus.pendingDeliveries()).toBe(0);
  });

  it('counts a delivery the target rejects as failed', () => {
    const { bus, put } = setup();
    const tiny = new LocalQueue({ name: 'tiny', clock: new VirtualClock(), maximumMessageSizeBytes: 1024 });
    bus.addRule({ name: 'tiny', pattern: failedPattern, target: tiny });
    bus.putEvent({ source: 'aws.states', 'detail-type': 'x', detail: { status: 'FAILED', pad: 'x'.repeat(2000) } });
    expect(bus.counters.failed).toBe(1);
    put('FAILED');
    expect(bus.counters.failed).toBe(1);
  });
});

/** Random draws in order: each delivery draws once for the drop decision, once for the delay. */
function nextDraw(draws: number[]): () => number {
  return () => draws.shift() ?? 0;
}

/** Stack clocks keep timers longer than Node's setTimeout limit (2^31 - 1 ms, about 24.8 days). */
import { RealClock, VirtualClock, type StackClock } from '../../local/clock';

const DAY_MS = 86_400_000;

describe('stack clocks and long timers', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.UTC(2025, 0, 15) }));
  afterEach(() => jest.useRealTimers());

  it.each([
    ['RealClock', () => new RealClock()],
    ['a running VirtualClock', () => new VirtualClock({ speed: 1 })],
  ])('%s fires a 30-day timer after 30 days, not after 1 ms', (_name, makeClock: () => StackClock) => {
    const clock = makeClock();
    const fired = jest.fn();
    clock.setTimer(clock.nowMs() + 30 * DAY_MS, fired);
    jest.advanceTimersByTime(29 * DAY_MS);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(DAY_MS);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('RealClock can cancel a long timer while it waits in steps', () => {
    const clock = new RealClock();
    const fired = jest.fn();
    const cancel = clock.setTimer(clock.nowMs() + 60 * DAY_MS, fired);
    jest.advanceTimersByTime(30 * DAY_MS);
    cancel();
    jest.advanceTimersByTime(60 * DAY_MS);
    expect(fired).not.toHaveBeenCalled();
  });
});

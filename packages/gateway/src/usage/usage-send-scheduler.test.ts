import { UsageSendScheduler } from './usage-send-scheduler.js';

function scheduler(ready = true, lingerMs = 0): { s: UsageSendScheduler; pumps: () => number } {
  let pumps = 0;
  const s = new UsageSendScheduler({
    lingerMs,
    retryInitialMs: 100,
    retryMaxMs: 100,
    ready: () => ready,
    pump: () => {
      pumps++;
    },
  });
  return { s, pumps: () => pumps };
}

describe('UsageSendScheduler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('pumps once in a later turn however often it is scheduled', () => {
    const { s, pumps } = scheduler();
    s.schedule();
    s.schedule();
    expect(pumps()).toBe(0);
    jest.runOnlyPendingTimers();
    expect(pumps()).toBe(1);
  });

  it('does not pump while not ready', () => {
    const { s, pumps } = scheduler(false);
    s.schedule();
    jest.runAllTimers();
    expect(pumps()).toBe(0);
  });

  it('after a failure pumps again only once the backoff delay passed', () => {
    const { s, pumps } = scheduler();
    expect(s.pause()).toBe(true);
    expect(s.sending).toBe(false);
    s.schedule();
    jest.advanceTimersByTime(49); // the delay is between half and all of 100 ms
    expect(s.sending).toBe(false);
    expect(pumps()).toBe(0);
    jest.runOnlyPendingTimers(); // the delay ends and schedules; the pump runs next turn
    expect(s.sending).toBe(true);
    jest.runOnlyPendingTimers();
    expect(pumps()).toBe(1);
  });

  it('reports an outage once: begun by the first failure, ended by the next success', () => {
    const { s } = scheduler();
    expect(s.pause()).toBe(true);
    expect(s.pause()).toBe(false); // already paused
    jest.runOnlyPendingTimers();
    expect(s.pause()).toBe(false); // same outage
    expect(s.succeeded()).toBe(true);
    expect(s.succeeded()).toBe(false);
  });

  it('resume sends at once without waiting out the delay', () => {
    const { s, pumps } = scheduler();
    s.pause();
    s.resume();
    expect(s.sending).toBe(true);
    jest.runOnlyPendingTimers();
    expect(pumps()).toBe(1);
  });

  it('after stop never pumps, and a pending retry is cancelled', () => {
    const { s, pumps } = scheduler();
    s.pause();
    s.stop();
    s.schedule();
    expect(s.pause()).toBe(false);
    expect(s.stopped).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
    expect(pumps()).toBe(0);
  });

  it('with a linger pumps once, lingerMs after the first schedule', () => {
    const { s, pumps } = scheduler(true, 20);
    s.schedule();
    jest.advanceTimersByTime(10);
    s.schedule(); // does not restart the wait
    jest.advanceTimersByTime(9);
    expect(pumps()).toBe(0);
    jest.advanceTimersByTime(1);
    expect(pumps()).toBe(1);
    jest.runAllTimers();
    expect(pumps()).toBe(1);
  });

  it('scheduleNow cuts a linger short and pumps once in the next turn', () => {
    const { s, pumps } = scheduler(true, 1_000);
    s.schedule();
    s.scheduleNow();
    s.scheduleNow();
    jest.advanceTimersByTime(0);
    jest.runOnlyPendingTimers();
    expect(pumps()).toBe(1);
    expect(jest.getTimerCount()).toBe(0); // the linger timer is gone
  });

  it('stop cancels a lingering pump', () => {
    const { s, pumps } = scheduler(true, 20);
    s.schedule();
    s.stop();
    jest.runAllTimers();
    expect(pumps()).toBe(0);
  });
});

import { BreakerState, CircuitBreaker } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  const settings = { failureThreshold: 3, coolDownMs: 1_000 };

  it('opens after the threshold of consecutive failures and keeps the target out for the cool-down', () => {
    const breaker = new CircuitBreaker(settings);
    expect(breaker.failure(0)).toBe(false);
    expect(breaker.failure(1)).toBe(false);
    expect(breaker.tryAcquire(2)).toBe(true);
    expect(breaker.failure(2)).toBe(true);
    expect(breaker.state(3)).toBe(BreakerState.Open);
    expect(breaker.tryAcquire(500)).toBe(false);
    expect(breaker.retryInMs(500)).toBe(502);
  });

  it('a success resets the count: failures must be consecutive', () => {
    const breaker = new CircuitBreaker(settings);
    breaker.failure(0);
    breaker.failure(0);
    breaker.success();
    breaker.failure(0);
    breaker.failure(0);
    expect(breaker.state(0)).toBe(BreakerState.Closed);
  });

  it('after the cool-down lets exactly one probe through; its success closes the breaker', () => {
    const breaker = new CircuitBreaker(settings);
    for (let i = 0; i < 3; i++) breaker.failure(0);
    expect(breaker.state(1_000)).toBe(BreakerState.HalfOpen);
    expect(breaker.tryAcquire(1_000)).toBe(true);
    expect(breaker.tryAcquire(1_001)).toBe(false); // the probe is in flight
    breaker.success();
    expect(breaker.state(1_002)).toBe(BreakerState.Closed);
    expect(breaker.tryAcquire(1_002)).toBe(true);
    expect(breaker.tryAcquire(1_002)).toBe(true);
  });

  it('a failed probe opens the breaker for another cool-down', () => {
    const breaker = new CircuitBreaker(settings);
    for (let i = 0; i < 3; i++) breaker.failure(0);
    expect(breaker.tryAcquire(1_000)).toBe(true);
    expect(breaker.failure(1_010)).toBe(true);
    expect(breaker.tryAcquire(1_500)).toBe(false);
    expect(breaker.tryAcquire(2_010)).toBe(true);
  });

  it('a probe released without a verdict lets the next request probe', () => {
    const breaker = new CircuitBreaker(settings);
    for (let i = 0; i < 3; i++) breaker.failure(0);
    expect(breaker.tryAcquire(1_000)).toBe(true);
    breaker.release();
    expect(breaker.tryAcquire(1_001)).toBe(true);
    expect(breaker.tryAcquire(1_001)).toBe(false);
  });
});

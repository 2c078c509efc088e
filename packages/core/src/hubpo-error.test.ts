import { HubpoError } from './hubpo-error.js';

describe('HubpoError', () => {
  it('carries the stable code, status and retryability of its kind', () => {
    const e = new HubpoError('RATE_LIMITED', 'slow down');
    expect(e.code).toBe('HUBPO_ERR_RATE_LIMITED');
    expect(e.status).toBe(429);
    expect(e.retryable).toBe(true);
  });

  it('wraps unknown errors as INTERNAL without leaking their message', () => {
    const e = HubpoError.from(new Error('connect ECONNREFUSED 10.0.0.3:5432'));
    expect(e.code).toBe('HUBPO_ERR_INTERNAL');
    expect(e.message).toBe('internal error');
    expect((e.cause as Error).message).toContain('ECONNREFUSED');
  });

  it('keeps field issues', () => {
    const e = new HubpoError('VALIDATION', 'invalid', { issues: [{ path: '/spec/x', message: 'bad' }] });
    expect(e.issues).toEqual([{ path: '/spec/x', message: 'bad' }]);
    expect(HubpoError.is(e, 'VALIDATION')).toBe(true);
    expect(HubpoError.is(e, 'NOT_FOUND')).toBe(false);
  });
});

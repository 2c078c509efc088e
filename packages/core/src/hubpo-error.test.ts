import { ErrorCodes, HubpoError } from './hubpo-error.js';

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

  it('gives every kind its own code, so clients can tell refusals with the same status apart', () => {
    const codes = Object.values(ErrorCodes).map((def) => def.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(ErrorCodes.URI_TOO_LONG).toEqual({
      code: 'HUBPO_ERR_URI_TOO_LONG',
      status: 414,
      retryable: false,
    });
    expect(ErrorCodes.HEADERS_TOO_LARGE).toMatchObject({ code: 'HUBPO_ERR_HEADERS_TOO_LARGE', status: 431 });
  });
});

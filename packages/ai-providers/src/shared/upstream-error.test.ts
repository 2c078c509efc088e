import { upstreamError } from './upstream-error.js';

describe('upstreamError', () => {
  it.each([
    [400, 'BAD_REQUEST', false, 400],
    [422, 'BAD_REQUEST', false, 400],
    [401, 'PROVIDER_AUTH', false, 502],
    [403, 'PROVIDER_AUTH', false, 502],
    [404, 'MODEL_NOT_FOUND', false, 404],
    [408, 'PROVIDER_TIMEOUT', true, 504],
    [413, 'PAYLOAD_TOO_LARGE', false, 413],
    [429, 'PROVIDER_RATE_LIMITED', true, 429],
    [500, 'PROVIDER_ERROR', true, 502],
    [502, 'PROVIDER_ERROR', true, 502],
    [503, 'UNAVAILABLE', true, 503],
    [504, 'PROVIDER_TIMEOUT', true, 504],
    [529, 'UNAVAILABLE', true, 503],
  ] as const)('maps HTTP %i to %s (retryable %s, status %i)', (status, kind, retryable, shown) => {
    const err = upstreamError({ provider: 'openai', status, message: 'x' });
    expect([err.kind, err.retryable, err.status]).toEqual([kind, retryable, shown]);
    expect(err.details['providerStatus']).toBe(status);
  });

  it('recognizes context overflow from the message when no code says so', () => {
    expect(
      upstreamError({
        provider: 'anthropic',
        status: 400,
        message: 'prompt is too long: 210000 tokens > 200000 maximum',
      }).kind,
    ).toBe('CONTEXT_LENGTH_EXCEEDED');
  });

  it('keeps Retry-After: milliseconds header first, then seconds, then the body hint; raw HTTP-dates kept as is', () => {
    expect(
      upstreamError({
        provider: 'openai',
        status: 429,
        headers: { 'retry-after-ms': '120', 'retry-after': '9' },
      }).details['retryAfterMs'],
    ).toBe(120);
    expect(
      upstreamError({ provider: 'openai', status: 429, headers: { 'retry-after': '9' }, retryAfterMs: 5 })
        .details['retryAfterMs'],
    ).toBe(9000);
    expect(
      upstreamError({ provider: 'gemini', status: 429, retryAfterMs: 37000 }).details['retryAfterMs'],
    ).toBe(37000);
    const dated = upstreamError({
      provider: 'openai',
      status: 503,
      headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' },
    });
    expect(dated.details['retryAfter']).toBe('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(dated.details['retryAfterMs']).toBeUndefined();
  });
});

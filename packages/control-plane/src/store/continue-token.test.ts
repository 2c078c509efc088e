import { HubpoError } from '@hubpo/core';
import { decodeContinueToken, encodeContinueToken, queryFingerprint } from './continue-token.js';

describe('continue token', () => {
  const query = queryFingerprint(['Route', 'shop', 'env=prod']);

  it('round-trips the last key of a page for the same query', () => {
    const token = encodeContinueToken({ namespace: 'shop', name: 'orders.v2' }, query);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeContinueToken(token, query)).toEqual({ namespace: 'shop', name: 'orders.v2' });
  });

  it('rejects a token of another query with a 400 naming continue', () => {
    const token = encodeContinueToken({ namespace: 'shop', name: 'a' }, query);
    const other = queryFingerprint(['Route', 'shop', 'env=dev']);
    const error = catchError(() => decodeContinueToken(token, other));
    expect(error.status).toBe(400);
    expect(error.issues[0]?.path).toBe('continue');
  });

  it.each([
    'not base64 !',
    Buffer.from('{"v":2}').toString('base64url'),
    Buffer.from('[]').toString('base64url'),
    'x'.repeat(3000),
  ])('rejects a malformed token %#', (token) => {
    expect(catchError(() => decodeContinueToken(token, query)).code).toBe('HUBPO_ERR_BAD_REQUEST');
  });
});

function catchError(fn: () => unknown): HubpoError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HubpoError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HubpoError } from '@hubpo/core';

/**
 * Requires `Authorization: Bearer <token>`. Both sides are hashed before `timingSafeEqual`, so
 * the comparison takes the same time whatever the length or content of the presented token.
 */
export function bearerAuth(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    const presented = match?.[1];
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="hubpo-admin"');
    next(
      new HubpoError(
        'UNAUTHENTICATED',
        presented === undefined
          ? 'send the admin token as "Authorization: Bearer <token>"'
          : 'the bearer token is not valid',
      ),
    );
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

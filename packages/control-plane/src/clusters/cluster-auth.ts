import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { HubpoError } from '@hubpo/core';
import type { ClusterRegistry } from './cluster-registry.js';

/** Requires the bootstrap token (compared as SHA-256 digests, in constant time). */
export function bootstrapAuth(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const presented = bearerOf(req);
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) {
      next();
      return;
    }
    next(unauthenticated(res, presented, 'the bootstrap token'));
  };
}

/**
 * Requires the token of the cluster named in the URL (`:name`): another cluster's token is 403,
 * an unknown or rotated one 401 (the operator registers again).
 */
export function clusterAuth(registry: ClusterRegistry): RequestHandler {
  return async (req, res, next) => {
    const presented = bearerOf(req);
    const cluster = presented === undefined ? undefined : await registry.authenticate(presented);
    if (cluster === undefined) {
      next(unauthenticated(res, presented, 'the cluster token from POST /api/v1/clusters/register'));
      return;
    }
    if (cluster !== req.params['name']) {
      next(
        new HubpoError(
          'FORBIDDEN',
          `this token belongs to cluster "${cluster}"; a cluster may only touch its own objects`,
        ),
      );
      return;
    }
    next();
  };
}

function bearerOf(req: Request): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function unauthenticated(res: Response, presented: string | undefined, what: string): HubpoError {
  res.setHeader('WWW-Authenticate', 'Bearer realm="hubpo-clusters"');
  return new HubpoError(
    'UNAUTHENTICATED',
    presented === undefined
      ? `send ${what} as "Authorization: Bearer <token>"`
      : 'the bearer token is not valid',
  );
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

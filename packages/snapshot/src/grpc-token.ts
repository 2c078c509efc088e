import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InterceptingCall, ServerInterceptingCall, status } from '@grpc/grpc-js';
import type { Interceptor, Metadata, ServerInterceptor } from '@grpc/grpc-js';
import { HubpoError, unreadableFile } from '@hubpo/core';

/**
 * The shared bearer token of the gRPC port between the planes (ConfigDiscovery, UsageReporting):
 * the control plane requires `authorization: Bearer <token>` on every call when it has one, and
 * gateways send it on every call. Both read it the same way (`grpcTokenFromEnv`).
 */

/** Shortest token accepted (`openssl rand -hex 24` gives 48 characters). */
export const GRPC_TOKEN_MIN_LENGTH = 16;

/** Why the control plane refused a call: no bearer token, or one that does not match. */
export interface GrpcTokenRefusal {
  readonly reason: 'missing' | 'invalid';
  /** Full method path, `/hubpo.config.v1.ConfigDiscovery/StreamConfig`. */
  readonly method: string;
  /** The caller's address as grpc-js reports it (`ipv4:10.0.0.7:51234`). */
  readonly peer: string;
}

/** Status details the caller sees; they name the variables to check, never a token. */
export const GRPC_TOKEN_REFUSED: Readonly<Record<GrpcTokenRefusal['reason'], string>> = Object.freeze({
  missing:
    'this control plane requires a gRPC bearer token: set HUBPO_GRPC_TOKEN (or HUBPO_GRPC_TOKEN_FILE) ' +
    'on the gateway to the control plane token',
  invalid:
    'the gRPC bearer token was refused: HUBPO_GRPC_TOKEN (or HUBPO_GRPC_TOKEN_FILE) of the gateway ' +
    'differs from the control plane token',
});

/** Visible ASCII only: the token goes into an HTTP/2 header value. */
const TOKEN_CHARS = /^[\x21-\x7e]+$/;
const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/**
 * The token from `HUBPO_GRPC_TOKEN`, or from the file `HUBPO_GRPC_TOKEN_FILE` names (a mounted
 * Secret; surrounding whitespace such as a trailing newline is trimmed). Undefined when neither is
 * set. Throws VALIDATION, with an issue naming the variable, when both are set, the file cannot
 * be read, or the token is shorter than `GRPC_TOKEN_MIN_LENGTH` or holds a character outside
 * visible ASCII. Messages never contain the token.
 */
export function grpcTokenFromEnv(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const inline = nonEmpty(env['HUBPO_GRPC_TOKEN']);
  const file = nonEmpty(env['HUBPO_GRPC_TOKEN_FILE']);
  if (inline !== undefined && file !== undefined) {
    throw invalid('HUBPO_GRPC_TOKEN_FILE', 'set HUBPO_GRPC_TOKEN or HUBPO_GRPC_TOKEN_FILE, not both');
  }
  if (file !== undefined) return checked('HUBPO_GRPC_TOKEN_FILE', readToken(file));
  if (inline !== undefined) return checked('HUBPO_GRPC_TOKEN', inline);
  return undefined;
}

function readToken(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw invalid('HUBPO_GRPC_TOKEN_FILE', unreadableFile(path, err));
  }
}

function checked(variable: string, token: string): string {
  if (token.length < GRPC_TOKEN_MIN_LENGTH) {
    throw invalid(variable, `the gRPC token must be at least ${GRPC_TOKEN_MIN_LENGTH} characters`);
  }
  if (!TOKEN_CHARS.test(token)) {
    throw invalid(variable, 'the gRPC token must be visible ASCII characters, without spaces');
  }
  return token;
}

function invalid(variable: string, message: string): HubpoError {
  return new HubpoError('VALIDATION', `${variable}: ${message}`, { issues: [{ path: variable, message }] });
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/**
 * Server side, for `new Server({ interceptors: [...] })`: every call of every service on the
 * port must carry `authorization: Bearer <token>`. Digests of both tokens are compared with
 * `timingSafeEqual`, so neither the content nor the length of the token leaks through timing. A
 * refused call ends with UNAUTHENTICATED before its handler runs (it never sees a message);
 * `onRefused` hears of it (for a log line). An accepted call reaches the handler without the
 * `authorization` entry.
 */
export function grpcTokenServerInterceptor(
  token: string,
  onRefused: (refusal: GrpcTokenRefusal) => void,
): ServerInterceptor {
  const expected = digest(token);
  return (method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const presented = bearerOf(metadata);
            if (presented !== undefined && timingSafeEqual(digest(presented), expected)) {
              metadata.remove('authorization');
              pass(metadata);
              return;
            }
            const reason = presented === undefined ? 'missing' : 'invalid';
            onRefused({ reason, method: method.path, peer: call.getPeer() });
            call.sendStatus({ code: status.UNAUTHENTICATED, details: GRPC_TOKEN_REFUSED[reason] });
          },
        }),
    });
}

/**
 * Client side, for a client's `interceptors` option: adds `authorization: Bearer <token>` to the
 * metadata of every call. Works over plaintext too (grpc-js call credentials refuse insecure
 * channels); pair it with TLS wherever the network is not trusted.
 */
export function grpcTokenClientInterceptor(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        metadata.set('authorization', value);
        next(metadata, listener);
      },
    });
}

function bearerOf(metadata: Metadata): string | undefined {
  const [value] = metadata.get('authorization');
  return typeof value === 'string' ? BEARER.exec(value)?.[1] : undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

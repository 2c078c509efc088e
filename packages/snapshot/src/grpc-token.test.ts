import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import type {
  Interceptor,
  InterceptingListener,
  ServerInterceptingCallInterface,
  ServerMethodDefinition,
} from '@grpc/grpc-js';
import { HubpoError } from '@hubpo/core';
import {
  GRPC_TOKEN_REFUSED,
  grpcTokenClientInterceptor,
  grpcTokenFromEnv,
  grpcTokenServerInterceptor,
} from './grpc-token.js';
import type { GrpcTokenRefusal } from './grpc-token.js';

type InterceptingServerListener = Parameters<ServerInterceptingCallInterface['start']>[0];
type PartialStatus = Parameters<ServerInterceptingCallInterface['sendStatus']>[0];
type InterceptingCallInterface = ReturnType<Parameters<Interceptor>[1]>;

const TOKEN = 'Zm9v-0123456789abcdef';
const METHOD = '/hubpo.usage.v1.UsageReporting/Report';

/** The message of what `fn` throws, with its issues' paths, or 'accepted'. */
function failure(fn: () => unknown): { message: string; paths: readonly string[] } | 'accepted' {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    if (!HubpoError.is(err, 'VALIDATION')) throw err;
    return { message: err.message, paths: err.issues.map((i) => i.path) };
  }
}

describe('grpcTokenFromEnv', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hubpo-grpc-token-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('is undefined when neither variable is set (or both are blank)', () => {
    expect(grpcTokenFromEnv({})).toBeUndefined();
    expect(grpcTokenFromEnv({ HUBPO_GRPC_TOKEN: ' ', HUBPO_GRPC_TOKEN_FILE: '' })).toBeUndefined();
  });

  it('reads HUBPO_GRPC_TOKEN, trimmed', () => {
    expect(grpcTokenFromEnv({ HUBPO_GRPC_TOKEN: ` ${TOKEN}\n` })).toBe(TOKEN);
  });

  it('reads the file of HUBPO_GRPC_TOKEN_FILE without its trailing newline (a mounted Secret)', () => {
    expect(grpcTokenFromEnv({ HUBPO_GRPC_TOKEN_FILE: file('token', `${TOKEN}\n`) })).toBe(TOKEN);
    expect(grpcTokenFromEnv({ HUBPO_GRPC_TOKEN_FILE: file('crlf', `${TOKEN}\r\n`) })).toBe(TOKEN);
  });

  it('refuses a token under 16 characters, naming the variable and never echoing the token', () => {
    const short = failure(() => grpcTokenFromEnv({ HUBPO_GRPC_TOKEN: 'short-secret' }));
    expect(short).toEqual({
      message: expect.stringMatching(/^HUBPO_GRPC_TOKEN: .*at least 16 characters/),
      paths: ['HUBPO_GRPC_TOKEN'],
    });
    expect(JSON.stringify(short)).not.toContain('short-secret');
    const shortFile = failure(() =>
      grpcTokenFromEnv({ HUBPO_GRPC_TOKEN_FILE: file('short', 'tiny-secret\n') }),
    );
    expect(shortFile).toMatchObject({ paths: ['HUBPO_GRPC_TOKEN_FILE'] });
    expect(JSON.stringify(shortFile)).not.toContain('tiny-secret');
    expect(failure(() => grpcTokenFromEnv({ HUBPO_GRPC_TOKEN: 'x'.repeat(16) }))).toBe('accepted');
  });

  it('refuses spaces and non-ASCII characters (the token travels in a header)', () => {
    expect(failure(() => grpcTokenFromEnv({ HUBPO_GRPC_TOKEN: 'two words of token text' }))).toMatchObject({
      paths: ['HUBPO_GRPC_TOKEN'],
    });
    expect(failure(() => grpcTokenFromEnv({ HUBPO_GRPC_TOKEN: 'jeton-très-secret-123' }))).toMatchObject({
      paths: ['HUBPO_GRPC_TOKEN'],
    });
  });

  it('refuses both variables at once and an unreadable file, naming HUBPO_GRPC_TOKEN_FILE', () => {
    const both = failure(() =>
      grpcTokenFromEnv({ HUBPO_GRPC_TOKEN: TOKEN, HUBPO_GRPC_TOKEN_FILE: file('both', TOKEN) }),
    );
    expect(both).toEqual({ message: expect.stringMatching(/not both/), paths: ['HUBPO_GRPC_TOKEN_FILE'] });
    expect(failure(() => grpcTokenFromEnv({ HUBPO_GRPC_TOKEN_FILE: join(dir, 'nope') }))).toEqual({
      message: expect.stringMatching(/^HUBPO_GRPC_TOKEN_FILE: cannot read .*ENOENT/),
      paths: ['HUBPO_GRPC_TOKEN_FILE'],
    });
  });
});

/**
 * grpc-js's server call as the interceptor sees it: records what the interceptor passes down
 * (the listener it starts with) and the status it ends the call with.
 */
class RecordingServerCall implements ServerInterceptingCallInterface {
  listener: InterceptingServerListener | undefined;
  readonly statuses: PartialStatus[] = [];
  start(listener: InterceptingServerListener): void {
    this.listener = listener;
  }
  sendMetadata(): void {}
  sendMessage(_message: unknown, callback: () => void): void {
    callback();
  }
  sendStatus(s: PartialStatus): void {
    this.statuses.push(s);
  }
  startRead(): void {}
  getPeer(): string {
    return 'ipv4:127.0.0.1:50123';
  }
  getDeadline(): number {
    return Infinity;
  }
  getHost(): string {
    return '127.0.0.1:18000';
  }
  // Not read by the interceptor: empty stand-ins of the declared types.
  getAuthContext(): ReturnType<ServerInterceptingCallInterface['getAuthContext']> {
    return {};
  }
  getConnectionInfo(): ReturnType<ServerInterceptingCallInterface['getConnectionInfo']> {
    return {} as ReturnType<ServerInterceptingCallInterface['getConnectionInfo']>;
  }
  getMetricsRecorder(): ReturnType<ServerInterceptingCallInterface['getMetricsRecorder']> {
    return {} as ReturnType<ServerInterceptingCallInterface['getMetricsRecorder']>;
  }
}

/** Runs one call with `authorization` (or none) through the server interceptor. */
function serverCall(authorization: string | undefined) {
  const refusals: GrpcTokenRefusal[] = [];
  const interceptor = grpcTokenServerInterceptor(TOKEN, (r) => refusals.push(r));
  const lower = new RecordingServerCall();
  const handlerSaw: Metadata[] = [];
  const call = interceptor({ path: METHOD } as ServerMethodDefinition<unknown, unknown>, lower);
  call.start({
    onReceiveMetadata: (metadata) => handlerSaw.push(metadata),
    onReceiveMessage: () => undefined,
    onReceiveHalfClose: () => undefined,
    onCancel: () => undefined,
  });
  const metadata = new Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  lower.listener!.onReceiveMetadata(metadata);
  return { refusals, statuses: lower.statuses, handlerSaw };
}

describe('grpcTokenServerInterceptor', () => {
  it('passes a call with the right token to its handler, without the authorization entry', () => {
    for (const header of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`]) {
      const { refusals, statuses, handlerSaw } = serverCall(header);
      expect(statuses).toEqual([]);
      expect(refusals).toEqual([]);
      expect(handlerSaw).toHaveLength(1);
      expect(handlerSaw[0]!.get('authorization')).toEqual([]);
    }
  });

  it.each([
    ['a wrong token', `Bearer ${TOKEN.slice(0, -1)}x`],
    ['a longer token', `Bearer ${TOKEN}${TOKEN}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 8)}`],
  ])('ends a call with %s UNAUTHENTICATED before its handler', (_name, header) => {
    const { refusals, statuses, handlerSaw } = serverCall(header);
    expect(handlerSaw).toEqual([]);
    expect(statuses).toEqual([{ code: status.UNAUTHENTICATED, details: GRPC_TOKEN_REFUSED.invalid }]);
    expect(refusals).toEqual([{ reason: 'invalid', method: METHOD, peer: 'ipv4:127.0.0.1:50123' }]);
  });

  it.each([
    ['no authorization', undefined],
    ['a token without the Bearer scheme', TOKEN],
    ['an empty bearer', 'Bearer '],
  ])('ends a call with %s UNAUTHENTICATED, saying a token is required', (_name, header) => {
    const { refusals, statuses, handlerSaw } = serverCall(header);
    expect(handlerSaw).toEqual([]);
    expect(statuses).toEqual([{ code: status.UNAUTHENTICATED, details: GRPC_TOKEN_REFUSED.missing }]);
    expect(refusals.map((r) => r.reason)).toEqual(['missing']);
  });

  it('names the variables to set in what the caller sees, never the token', () => {
    for (const details of Object.values(GRPC_TOKEN_REFUSED)) {
      expect(details).toContain('HUBPO_GRPC_TOKEN');
      expect(details).not.toContain(TOKEN);
    }
  });
});

describe('grpcTokenClientInterceptor', () => {
  it('adds "authorization: Bearer <token>" to the metadata of every call', () => {
    const started: Metadata[] = [];
    const next = {
      start: (metadata: Metadata) => started.push(metadata),
    } as unknown as InterceptingCallInterface;
    const interceptor = grpcTokenClientInterceptor(TOKEN);
    for (let i = 0; i < 2; i++) {
      const metadata = new Metadata();
      metadata.set('x-other', 'kept');
      interceptor({ method_definition: {} } as never, () => next).start(metadata, {} as InterceptingListener);
    }
    expect(started).toHaveLength(2);
    for (const metadata of started) {
      expect(metadata.get('authorization')).toEqual([`Bearer ${TOKEN}`]);
      expect(metadata.get('x-other')).toEqual(['kept']);
    }
  });
});

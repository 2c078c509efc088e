import { KubeStatusError } from './kube-status.js';

/**
 * List continuation tokens in the API server's format: base64 of
 * `{"v":"meta.k8s.io/v1","rv":<list resourceVersion>,"start":"<next key>"}`.
 */
export interface ContinuePosition {
  readonly rv: number;
  /** The first key the next page may return (the last returned key plus a NUL). */
  readonly start: string;
}

export function encodeContinue(position: ContinuePosition): string {
  const json = JSON.stringify({ v: 'meta.k8s.io/v1', rv: position.rv, start: position.start });
  return Buffer.from(json, 'utf8').toString('base64');
}

export function decodeContinue(token: string): ContinuePosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null) {
      const { v, rv, start } = parsed as Record<string, unknown>;
      if (v === 'meta.k8s.io/v1' && typeof rv === 'number' && typeof start === 'string') return { rv, start };
    }
  } catch {
    // fall through to the error below
  }
  throw KubeStatusError.badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

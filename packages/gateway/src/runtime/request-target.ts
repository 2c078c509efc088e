/*
 * Request-target and Host normalisation, done before matching so that the path a policy was
 * checked against is the path the upstream receives.
 */

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;

/**
 * Normalises an origin-form path (RFC 3986 §6.2.2): percent-encoded unreserved characters are
 * decoded (`%7E` -> `~`, `%2e` -> `.`), other escapes upper-cased (`%2f` -> `%2F`, still not a
 * separator), repeated slashes merged and dot segments removed (§5.2.4). Without such a step
 * `/public/%2e%2e/admin` would match a `/public` route and reach the upstream's `/admin`.
 * Paths with no `%`, `//`, `/.` come back as the same string (the common, allocation-free case).
 */
export function normalizePath(path: string): string {
  let suspicious = false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === PERCENT) {
      suspicious = true;
      break;
    }
    if (c === SLASH && i + 1 < path.length) {
      const n = path.charCodeAt(i + 1);
      if (n === SLASH || n === DOT) {
        suspicious = true;
        break;
      }
    }
  }
  return suspicious ? removeDotSegments(mergeSlashes(decodeUnreserved(path))) : path;
}

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === DOT ||
    c === 0x5f ||
    c === 0x7e
  );
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function decodeUnreserved(path: string): string {
  if (path.indexOf('%') === -1) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === PERCENT && i + 2 < path.length) {
      const hi = hexValue(path.charCodeAt(i + 1));
      const lo = hexValue(path.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        const byte = hi * 16 + lo;
        out += isUnreserved(byte) ? String.fromCharCode(byte) : path.slice(i, i + 3).toUpperCase();
        i += 2;
        continue;
      }
    }
    out += path[i];
  }
  return out;
}

const REPEATED_SLASHES = /\/{2,}/g;

function mergeSlashes(path: string): string {
  return path.indexOf('//') === -1 ? path : path.replace(REPEATED_SLASHES, '/');
}

function removeDotSegments(path: string): string {
  if (path.indexOf('/.') === -1) return path;
  const segments = path.split('/');
  const out: string[] = [];
  // segments[0] is the empty string before the leading slash.
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === '.') {
      if (last) out.push('');
    } else if (segment === '..') {
      out.pop();
      if (last) out.push('');
    } else {
      out.push(segment);
    }
  }
  return `/${out.join('/')}`;
}

/**
 * The host a request is routed by: the Host header without its port or a trailing dot, lower
 * case. IPv6 literals keep their brackets. Empty when the request carried no Host (HTTP/1.0),
 * which then only matches routes without hostnames.
 */
export function normalizeHost(host: string | undefined): string {
  if (host === undefined || host === '') return '';
  let end = host.length;
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.indexOf(']');
    if (close !== -1) end = close + 1;
  } else {
    const colon = host.indexOf(':');
    if (colon !== -1) end = colon;
    if (end > 0 && host.charCodeAt(end - 1) === DOT) end--;
  }
  return (end === host.length ? host : host.slice(0, end)).toLowerCase();
}

/** Splits a request target into path and query (with its `?`, or ''). Null when not origin-form. */
export interface SplitTarget {
  path: string;
  query: string;
  /** The authority of an absolute-form target (`GET http://host/path`), which overrides Host. */
  authority: string | null;
}

/** Fills `out` from `url`; false for targets that are neither origin- nor absolute-form (`*`). */
export function splitTarget(url: string, out: SplitTarget): boolean {
  let start = 0;
  out.authority = null;
  if (url.charCodeAt(0) !== SLASH) {
    const scheme = url.startsWith('http://') ? 7 : url.startsWith('https://') ? 8 : -1;
    if (scheme === -1) return false;
    const slash = url.indexOf('/', scheme);
    const query = url.indexOf('?', scheme);
    const end =
      slash === -1 ? (query === -1 ? url.length : query) : query !== -1 && query < slash ? query : slash;
    const at = url.lastIndexOf('@', end);
    out.authority = url.slice(at >= scheme ? at + 1 : scheme, end);
    if (slash === -1 || end !== slash) {
      out.path = '/';
      out.query = end < url.length ? url.slice(end) : '';
      return true;
    }
    start = slash;
  }
  const q = url.indexOf('?', start);
  if (q === -1) {
    out.path = start === 0 ? url : url.slice(start);
    out.query = '';
  } else {
    out.path = url.slice(start, q);
    out.query = url.slice(q);
  }
  return true;
}

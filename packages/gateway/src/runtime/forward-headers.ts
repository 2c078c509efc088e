import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderModifier } from './header-modifier.js';

/*
 * Header rewriting between client and upstream. Hop-by-hop headers (RFC 9110 §7.6.1:
 * Connection and the names it lists, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding,
 * Upgrade) never cross; the gateway adds X-Forwarded-For/-Proto/-Host, X-Request-Id and Via.
 */

const DROP = 1;
const XFF = 2;
const XFP = 3;
const XFH = 4;
const REQUEST_ID = 5;
const VIA = 6;
const HOST = 7;

/** Request headers with a special meaning here; a single map probe classifies a name. */
const REQUEST_SPECIAL: ReadonlyMap<string, number> = new Map([
  ['connection', DROP],
  ['keep-alive', DROP],
  ['te', DROP],
  ['trailer', DROP],
  ['transfer-encoding', DROP],
  ['upgrade', DROP],
  ['http2-settings', DROP],
  // Node answered `100-continue` already; undici refuses to forward Expect.
  ['expect', DROP],
  ['x-forwarded-for', XFF],
  ['x-forwarded-proto', XFP],
  ['x-forwarded-host', XFH],
  ['x-request-id', REQUEST_ID],
  ['via', VIA],
  ['host', HOST],
]);

const RESPONSE_SPECIAL: ReadonlyMap<string, number> = new Map([
  ['connection', DROP],
  ['keep-alive', DROP],
  ['te', DROP],
  ['trailer', DROP],
  ['transfer-encoding', DROP],
  ['upgrade', DROP],
  ['x-request-id', REQUEST_ID],
  ['via', VIA],
]);

/** What this hop adds to Via (RFC 9110 §7.6.3). */
export const VIA_VALUE = '1.1 hubpo';

function isProxyHeader(name: string): boolean {
  return name.charCodeAt(0) === 0x70 && name.startsWith('proxy-');
}

/** Extra hop-by-hop names a Connection header lists (null for the usual `keep-alive` / `close`). */
function connectionTokens(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const lower = value.toLowerCase();
  if (lower === 'keep-alive' || lower === 'close') return null;
  const tokens: string[] = [];
  for (const token of lower.split(',')) {
    const name = token.trim();
    if (name !== '' && name !== 'keep-alive' && name !== 'close') tokens.push(name);
  }
  return tokens.length === 0 ? null : tokens;
}

export interface ForwardContext {
  /** The client's address as the gateway's socket saw it. */
  readonly clientIp: string;
  readonly proto: 'http' | 'https';
  readonly requestId: string;
  /** urlRewrite.hostname, or null to keep the client's Host (Gateway API). */
  readonly hostRewrite: string | null;
  readonly modifier: HeaderModifier | null;
  /** Request headers never forwarded (the gateway credential of key auth), or null. */
  readonly hiddenHeaders: readonly string[] | null;
}

/**
 * The upstream request headers as a flat `[name, value, ...]` list (what undici takes without
 * another copy). X-Forwarded-For gets the client appended; X-Forwarded-Proto and -Host are set
 * from what this gateway saw (client-sent values are not trusted); the request modifier applies
 * last, so configuration can override any of these.
 */
export function buildUpstreamHeaders(headers: IncomingHttpHeaders, ctx: ForwardContext): string[] {
  const out: string[] = [];
  const listed = connectionTokens(headers.connection);
  const modifier = ctx.modifier;
  const hidden = ctx.hiddenHeaders;
  let seen = 0;
  let hadXff = false;
  let hadVia = false;
  for (const name in headers) {
    let value = headers[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') value = value.join(', ');
    if (hidden !== null && hidden.includes(name)) continue;
    const special = REQUEST_SPECIAL.get(name);
    if (special !== undefined) {
      if (special === XFF) {
        value = `${value}, ${ctx.clientIp}`;
        hadXff = true;
      } else if (special === VIA) {
        value = `${value}, ${VIA_VALUE}`;
        hadVia = true;
      } else if (special === HOST) {
        if (ctx.hostRewrite !== null) value = ctx.hostRewrite;
      } else {
        // DROP, and the headers re-added below from what the gateway saw.
        continue;
      }
    } else if (isProxyHeader(name) || (listed !== null && listed.includes(name))) {
      continue;
    }
    if (modifier === null) out.push(name, value);
    else seen = modifier.apply(name, value, out, seen);
  }
  pushOwn(out, modifier, 'x-forwarded-proto', ctx.proto);
  const host = headers.host;
  if (host !== undefined) pushOwn(out, modifier, 'x-forwarded-host', host);
  pushOwn(out, modifier, 'x-request-id', ctx.requestId);
  if (!hadXff) pushOwn(out, modifier, 'x-forwarded-for', ctx.clientIp);
  if (!hadVia) pushOwn(out, modifier, 'via', VIA_VALUE);
  if (host === undefined && ctx.hostRewrite !== null) out.push('host', ctx.hostRewrite);
  if (modifier !== null) modifier.finish(out, seen);
  return out;
}

function pushOwn(out: string[], modifier: HeaderModifier | null, name: string, value: string): void {
  if (modifier === null || !modifier.overrides(name)) out.push(name, value);
}

/** One raw header name or value from undici (Buffers on HTTP/1.1), as node writes it back. */
function text(raw: Buffer | string): string {
  return typeof raw === 'string' ? raw : raw.toString('latin1');
}

/**
 * The client response headers from undici's raw upstream headers, as a flat list for one
 * `writeHead`: hop-by-hop headers dropped, Via appended, X-Request-Id added unless the upstream
 * set one, the response modifier applied, then `extra` (rate-limit headers) appended.
 */
export function buildResponseHeaders(
  raw: readonly (Buffer | string)[],
  requestId: string,
  modifier: HeaderModifier | null,
  extra: readonly string[] | null,
): string[] {
  const out: string[] = [];
  let listed: string[] | null = null;
  let seen = 0;
  let hadRequestId = false;
  let hadVia = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = text(raw[i]!).toLowerCase();
    let value = text(raw[i + 1]!);
    const special = RESPONSE_SPECIAL.get(name);
    if (special !== undefined) {
      if (special === DROP) {
        if (name === 'connection') listed = connectionTokens(value);
        continue;
      }
      if (special === VIA) {
        value = `${value}, ${VIA_VALUE}`;
        hadVia = true;
      } else {
        hadRequestId = true;
      }
    } else if (isProxyHeader(name)) {
      continue;
    }
    if (modifier === null) out.push(name, value);
    else seen = modifier.apply(name, value, out, seen);
  }
  if (!hadRequestId) pushOwn(out, modifier, 'x-request-id', requestId);
  if (!hadVia) pushOwn(out, modifier, 'via', VIA_VALUE);
  if (modifier !== null) modifier.finish(out, seen);
  if (extra !== null) for (let i = 0; i < extra.length; i++) out.push(extra[i]!);
  return listed === null ? out : dropListed(out, listed);
}

/** Rare path: the upstream's Connection header named more hop-by-hop headers. */
function dropListed(headers: string[], listed: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (!listed.includes(headers[i]!)) out.push(headers[i]!, headers[i + 1]!);
  }
  return out;
}

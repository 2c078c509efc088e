import { HubpoError } from '@hubpo/core';

/*
 * NATS KV keys and subjects are "."-separated tokens; KV keys allow only [-/_=.a-zA-Z0-9].
 * Names of clusters, kinds, resources and nodes are escaped into one token each, reversibly and
 * injectively: bytes of [-/_a-zA-Z0-9] stay, every other UTF-8 byte (".", "=", "*", ">", space,
 * non-ASCII, ...) becomes "=" and two uppercase hex digits, as in quoted-printable.
 */

const KEEP = /^[-/_a-zA-Z0-9]$/;
const LONE_SURROGATE = /\p{Cs}/u;
const TOKEN = /^(?:[-/_a-zA-Z0-9]|=[0-9A-F]{2})+$/;

/** Escapes one name into a single KV key / subject token. */
export function escapeKeyToken(value: string): string {
  if (value.length === 0) throw new HubpoError('SNAPSHOT_INVALID', 'cannot escape an empty key token');
  if (LONE_SURROGATE.test(value)) {
    throw new HubpoError('SNAPSHOT_INVALID', `key token is not well-formed UTF-16: ${JSON.stringify(value)}`);
  }
  let out = '';
  for (const ch of value) {
    if (KEEP.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of `escapeKeyToken`; throws on a token it cannot have produced. */
export function unescapeKeyToken(token: string): string {
  if (!TOKEN.test(token)) {
    throw new HubpoError('SNAPSHOT_INVALID', `not an escaped key token: ${JSON.stringify(token)}`);
  }
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i += 1) {
    if (token[i] === '=') {
      bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(token.charCodeAt(i));
    }
  }
  const decoded = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  if (escapeKeyToken(decoded) !== token) {
    // e.g. "=41" for "A": decodable but not canonical, so two tokens would name one value.
    throw new HubpoError('SNAPSHOT_INVALID', `non-canonical escaped key token: ${JSON.stringify(token)}`);
  }
  return decoded;
}

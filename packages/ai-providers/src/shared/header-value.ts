import type { HttpHeaders } from '../provider-adapter.js';

/** The first value of a response header; `name` must be lower-case (Node lower-cases them). */
export function headerValue(headers: HttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v[0];
}

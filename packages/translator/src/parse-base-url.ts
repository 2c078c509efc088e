export type BaseUrlResult =
  { readonly ok: true; readonly url: string } | { readonly ok: false; readonly error: string };

/**
 * Parses an upstream base URL (WHATWG URL, as the gateway parses it) into canonical form:
 * lowercase scheme and host, no trailing slash, and with `explicitPort` the port always written
 * (`http://a` and `http://a:80` are the same upstream, so they get the same id). Credentials,
 * query strings and fragments are refused: they have no meaning on a base URL and would leak
 * into logs and metric labels.
 */
export function parseBaseUrl(raw: string, explicitPort: boolean): BaseUrlResult {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, error: 'not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, error: `the scheme must be http or https, not "${url.protocol}"` };
  }
  if (url.username !== '' || url.password !== '') {
    // Not echoed: the message ends up in statuses and logs.
    return { ok: false, error: 'credentials (user:password@) are not allowed in a base URL' };
  }
  if (url.search !== '' || url.hash !== '') {
    return { ok: false, error: 'a base URL cannot carry a query or fragment' };
  }
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  const authority = explicitPort ? `${url.hostname}:${port}` : url.host;
  const path = url.pathname.replace(/\/+$/, '');
  return { ok: true, url: `${url.protocol}//${authority}${path}` };
}

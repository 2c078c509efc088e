/**
 * Splits an absolute URL an adapter built into the origin (the pool key, as written: an explicit
 * default port stays) and the request target (path and query). No URL object per request: the
 * same slicing is used at compile time and on the request path, so the keys always agree.
 */
export function splitUrl(url: string): { readonly origin: string; readonly path: string } {
  const scheme = url.indexOf('://');
  const slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
  if (slash < 0) {
    const query = url.indexOf('?', scheme + 3);
    return query < 0
      ? { origin: url, path: '/' }
      : { origin: url.slice(0, query), path: `/${url.slice(query)}` };
  }
  return { origin: url.slice(0, slash), path: url.slice(slash) };
}

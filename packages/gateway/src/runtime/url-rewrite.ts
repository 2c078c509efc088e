import type { UrlRewriteConfig } from '@hubpo/snapshot';

/** Strips one trailing slash; "/" becomes "" (the empty prefix). */
export function trimTrailingSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Gateway API URLRewrite path modifiers.
 * - ReplaceFullPath: the whole path becomes `value`.
 * - ReplacePrefixMatch: the matched prefix (element-wise, trailing slashes ignored on both sides)
 *   is replaced: prefix `/foo` + replacement `/xyz` turns `/foo/bar` into `/xyz/bar`, `/foo`
 *   into `/xyz`, `/foo/` into `/xyz/`; an empty or "/" replacement turns `/foo` into `/` and
 *   `/foo/bar` into `/bar`.
 * The query string is kept by the caller.
 */
export class PathRewrite {
  readonly #full: boolean;
  /** ReplaceFullPath: the path; ReplacePrefixMatch: the replacement without trailing slash. */
  readonly #value: string;

  constructor(config: NonNullable<UrlRewriteConfig['path']>) {
    this.#full = config.type === 'ReplaceFullPath';
    this.#value = this.#full ? config.value : trimTrailingSlash(config.value);
  }

  /** `matchedPrefix`: the rule's PathPrefix without trailing slash ('' for "/"). */
  apply(path: string, matchedPrefix: string): string {
    if (this.#full) return this.#value;
    const rewritten = this.#value + path.slice(matchedPrefix.length);
    return rewritten === '' ? '/' : rewritten.charCodeAt(0) === 0x2f ? rewritten : `/${rewritten}`;
  }
}

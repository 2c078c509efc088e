/**
 * Compiles regular expressions with the gateway's engine (JS `RegExp`, no flags) and remembers
 * the outcome per pattern for one translation, so thousands of Routes sharing a pattern compile
 * it once. The gateway anchors or wraps patterns as it needs; a pattern that compiles bare also
 * compiles inside `^(?:...)$`.
 */
export class RegexChecker {
  readonly #errors = new Map<string, string | null>();

  /** The engine's error message, or null when the pattern compiles. */
  check(pattern: string): string | null {
    const known = this.#errors.get(pattern);
    if (known !== undefined) return known;
    let error: string | null = null;
    try {
      new RegExp(pattern);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    this.#errors.set(pattern, error);
    return error;
  }
}

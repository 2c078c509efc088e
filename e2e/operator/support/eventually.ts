/**
 * Polls `probe` (every 50 ms) until it returns something other than undefined/false, and returns
 * that; fails after `ms` with the last error seen. Eventual consistency (watch delivery, the
 * operator's reconcile, a real cluster's namespace controller) is waited for this way, never
 * with a fixed sleep.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Polls `probe` until it returns true or `timeoutMs` passes; returns the elapsed milliseconds.
 * The deadline is a correctness bound of the journey (ARCHITECTURE.md: config reaches gateways
 * in under a second), not a benchmark; speed figures come from `pnpm bench`.
 */
export async function eventually(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const start = Date.now();
  let lastError: unknown;
  while (Date.now() - start < timeoutMs) {
    try {
      if (await probe()) return Date.now() - start;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}

export async function httpGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

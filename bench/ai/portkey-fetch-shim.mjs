// Preloaded into the Portkey gateway (`node --import`) so that its streamed chat completions work.
//
// Why: @portkey-ai/gateway 1.15.2 wraps the upstream `fetch` response in a new Response and then
// appends headers to it. With the @hono/node-server its semver range resolves to (1.19.x), that new
// (lightweight) Response reuses the fetched response's Headers, which are immutable, so every
// streamed call fails with "TypeError: immutable" and a 500. This shim hands Portkey a copy of each
// fetched response whose headers are mutable (body streamed, not read); nothing else changes.
const NativeResponse = globalThis.Response;
const nativeFetch = globalThis.fetch;

globalThis.fetch = async function fetchWithMutableHeaders(input, init) {
  const res = await nativeFetch(input, init);
  return new NativeResponse(res.body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
};

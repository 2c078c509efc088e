import type { UsageRecord } from '@hubpo/snapshot';

export type { UsageRecord };

/**
 * Where the gateway hands the usage record of every AI request (ARCHITECTURE.md "Data plane
 * request path"; the record is `hubpo.usage.v1.UsageRecord`, `@hubpo/snapshot` `UsageRecord`).
 *
 * Contract for implementations (the JetStream publisher, the in-memory test sink, ...):
 *
 * - **Exactly one call per AI request** that reached the AI handler (chat completions, messages,
 *   embeddings), whatever its outcome: served, failed (any status, `errorCode` set), streamed,
 *   or abandoned by the client (`aborted: true`, tokens counted up to the cut, `estimated`
 *   when the provider had not reported them). A chat, messages or embeddings request that
 *   admission refused (401, 403, 429) also leaves one record (no model, no target, zero tokens;
 *   `recordAdmissionRejection`). `/v1/models` and `count_tokens` call no provider and produce no
 *   record; neither do requests that match no AI rule (plain routes, unknown routes).
 * - `requestId` is unique per request and is the idempotency key: a publisher that retries
 *   must keep it, and the store must ignore a second record with the same id.
 * - Tokens follow ADR 0003: `inputTokens` includes `cachedInputTokens` and `cacheWriteTokens`,
 *   `outputTokens` includes `reasoningTokens`. `costMicros` is whole micro-USD (rounded) from the
 *   target's price in effect. Tokens used at a target without a price set `unpriced: true`
 *   with `costMicros: 0` and `currency: ''` (the cost is unknown; the response carries
 *   `x-hubpo-cost-unpriced: true` and `hubpo.gen_ai.unpriced_requests` counts it).
 * - `record` is called on the request path, after the response ended: it must not block, must
 *   not throw (a throw is caught and dropped) and must not keep the event loop busy. Buffer and
 *   publish asynchronously; drop (and count) rather than grow without bound when the
 *   destination is down.
 * - The record holds no prompt, completion or credential.
 */
export interface UsageSink {
  record(rec: UsageRecord): void;
}

/** The default sink: records are dropped (a gateway without a usage pipeline still serves). */
export const DISCARD_USAGE: UsageSink = Object.freeze({
  record(): void {
    // intentionally empty
  },
});

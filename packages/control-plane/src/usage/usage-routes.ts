import { Router } from 'express';
import { encodeUsageCursor } from './usage-cursor-token.js';
import { parseUsageListQuery, parseUsageSummaryQuery } from './usage-query.js';
import type { StoredUsage, UsageStore } from './usage-store.js';

/**
 * `GET /api/v1/usage` (records, newest first, keyset pages) and `GET /api/v1/usage/summary`
 * (totals per group). Mount under `/api/v1/usage` behind the admin token, before the resource
 * routes (which would read `usage` as a plural).
 */
export function usageRouter(store: UsageStore): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const { filter, limit, after } = parseUsageListQuery(req.query);
    const page = await store.list(filter, limit, after);
    res.json({
      items: page.items.map(usageView),
      metadata: page.next === undefined ? {} : { continue: encodeUsageCursor(page.next, filter) },
    });
  });

  router.get('/summary', async (req, res) => {
    const { filter, groupBy } = parseUsageSummaryQuery(req.query);
    const { items, total } = await store.summary(groupBy, filter);
    res.json({
      groupBy,
      since: filter.since?.toISOString() ?? null,
      until: filter.until?.toISOString() ?? null,
      items,
      total,
    });
  });

  return router;
}

/**
 * The JSON of one record (API names; times as RFC 3339). `unpriced: true` when the cost is unknown
 * (the target had no price); `priced` is its negation, kept for existing clients.
 */
export function usageView(stored: StoredUsage): Record<string, unknown> {
  const r = stored.record;
  return {
    requestId: r.requestId,
    cluster: stored.cluster,
    startedAt: new Date(r.startedAtUnixMs).toISOString(),
    finishedAt: new Date(r.finishedAtUnixMs).toISOString(),
    consumer: r.consumer,
    route: r.route,
    model: r.model,
    provider: r.provider,
    target: r.target,
    tokens: {
      input: r.inputTokens,
      cachedInput: r.cachedInputTokens,
      cacheWrite: r.cacheWriteTokens,
      reasoning: r.reasoningTokens,
      output: r.outputTokens,
    },
    estimated: r.estimated,
    priced: !r.unpriced,
    unpriced: r.unpriced,
    costMicros: r.costMicros,
    currency: r.currency,
    latencyMs: r.latencyMs,
    timeToFirstTokenMs: r.timeToFirstTokenMs,
    statusCode: r.statusCode,
    errorCode: r.errorCode === '' ? null : r.errorCode,
    stream: r.stream,
    aborted: r.aborted,
    receivedAt: stored.receivedAt.toISOString(),
  };
}

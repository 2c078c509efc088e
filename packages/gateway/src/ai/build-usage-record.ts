import type { Cost, Usage } from '@hubpo/ai-providers';
import type { UsageRecord } from './usage-sink.js';

/** What the AI exchange knows when it ends, whatever the outcome. */
export interface UsageFacts {
  readonly requestId: string;
  readonly startedAtUnixMs: number;
  readonly finishedAtUnixMs: number;
  /** Consumer id, null when anonymous. */
  readonly consumer: string | null;
  readonly route: string;
  /** The AIModel name asked for ('' when the body could not be read). */
  readonly model: string;
  /** The target that served (or the last tried), null when none was. */
  readonly target: { readonly name: string; readonly provider: string } | null;
  /** Null when no provider call consumed tokens (rejected before, or every attempt failed). */
  readonly usage: Usage | null;
  /**
   * The cost of `usage` at the target's price in effect; `priced: false` makes the record
   * `unpriced` (cost unknown: `costMicros` 0, `currency` ''). Null with no usage (cost 0).
   */
  readonly cost: Cost | null;
  /** Monotonic ms from the request's arrival to the end of the response. */
  readonly latencyMs: number;
  /** Monotonic ms from arrival to the first token sent; null when none was. */
  readonly timeToFirstTokenMs: number | null;
  readonly statusCode: number;
  /** Stable HUBPO_ERR_* code when the call failed (or broke off), else null. */
  readonly errorCode: string | null;
  readonly stream: boolean;
  readonly aborted: boolean;
}

/** The `hubpo.usage.v1.UsageRecord` of one AI request (see `UsageSink` for the contract). */
export function buildUsageRecord(facts: UsageFacts): UsageRecord {
  const usage = facts.usage;
  // Tokens used at a target without a price: the cost is unknown, flagged, never a silent $0.
  const unpriced = facts.cost !== null && !facts.cost.priced;
  return {
    requestId: facts.requestId,
    startedAtUnixMs: facts.startedAtUnixMs,
    finishedAtUnixMs: facts.finishedAtUnixMs,
    consumer: facts.consumer ?? '',
    route: facts.route,
    model: facts.model,
    provider: facts.target === null ? '' : facts.target.provider,
    target: facts.target === null ? '' : facts.target.name,
    inputTokens: usage === null ? 0 : uint32(usage.inputTokens),
    cachedInputTokens: usage === null ? 0 : uint32(usage.cachedInputTokens),
    cacheWriteTokens: usage === null ? 0 : uint32(usage.cacheWriteInputTokens),
    reasoningTokens: usage === null ? 0 : uint32(usage.reasoningTokens),
    outputTokens: usage === null ? 0 : uint32(usage.outputTokens),
    estimated: usage !== null && usage.estimated,
    costMicros: facts.cost === null || unpriced ? 0 : Math.round(facts.cost.costMicroUsd),
    currency: unpriced ? '' : 'USD',
    latencyMs: uint32(facts.latencyMs),
    timeToFirstTokenMs: facts.timeToFirstTokenMs === null ? 0 : uint32(facts.timeToFirstTokenMs),
    statusCode: facts.statusCode,
    errorCode: facts.errorCode ?? '',
    stream: facts.stream,
    aborted: facts.aborted,
    unpriced,
  };
}

function uint32(value: number): number {
  if (!(value > 0)) return 0;
  return value >= 0xffffffff ? 0xffffffff : Math.round(value);
}

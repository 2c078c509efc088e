import { usageV1Descriptor } from './generated/index.js';
import { MessageCodec, loadRoot, wireLong, wireUint32 } from './proto-codec.js';
import type { WireFields, WireObject } from './proto-codec.js';

/**
 * Message `UsageRecord` of proto/hubpo/usage/v1/usage.proto: one per AI request (streamed,
 * failed and client-aborted ones included). Times are Unix ms; each token is counted under
 * exactly one kind; `costMicros` is in millionths of `currency`.
 */
export interface UsageRecord {
  readonly requestId: string;
  readonly startedAtUnixMs: number;
  readonly finishedAtUnixMs: number;
  readonly consumer: string;
  readonly route: string;
  readonly model: string;
  readonly provider: string;
  readonly target: string;
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly cacheWriteTokens: number;
  readonly reasoningTokens: number;
  readonly outputTokens: number;
  readonly estimated: boolean;
  readonly costMicros: number;
  readonly currency: string;
  readonly latencyMs: number;
  readonly timeToFirstTokenMs: number;
  readonly statusCode: number;
  readonly errorCode: string;
  readonly stream: boolean;
  readonly aborted: boolean;
  /** Tokens were used at a target without a price in effect: cost unknown (`costMicros` 0, `currency` ''). */
  readonly unpriced: boolean;
}

const uint32Fields = [
  'inputTokens',
  'cachedInputTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'outputTokens',
  'latencyMs',
  'timeToFirstTokenMs',
  'statusCode',
] as const;
const uint32Labels = uint32Fields.map((field) => `UsageRecord.${field}`);

/**
 * Throws when a field of `r` cannot go on the wire: a 64-bit integer that is not a safe integer,
 * a 32-bit one out of range. (Strings and booleans always can.)
 */
export function checkUsageRecord(r: UsageRecord): void {
  wireLong(r.startedAtUnixMs, 'UsageRecord.startedAtUnixMs', true);
  wireLong(r.finishedAtUnixMs, 'UsageRecord.finishedAtUnixMs', true);
  wireLong(r.costMicros, 'UsageRecord.costMicros', true);
  for (let i = 0; i < uint32Fields.length; i++) wireUint32(r[uint32Fields[i]!], uint32Labels[i]!);
}

/**
 * The wire form of a record (also nested in `UsageBatch`): the record itself once checked,
 * encoded without conversion.
 */
export function usageRecordToWire(r: UsageRecord): WireObject {
  checkUsageRecord(r);
  return r as unknown as WireObject; // the fields are the message's, by name and type
}

/** A record from its wire form (also nested in `UsageBatch`). */
export function usageRecordFromWire(f: WireFields): UsageRecord {
  return {
    requestId: f.string('requestId'),
    startedAtUnixMs: f.long('startedAtUnixMs'),
    finishedAtUnixMs: f.long('finishedAtUnixMs'),
    consumer: f.string('consumer'),
    route: f.string('route'),
    model: f.string('model'),
    provider: f.string('provider'),
    target: f.string('target'),
    inputTokens: f.int('inputTokens'),
    cachedInputTokens: f.int('cachedInputTokens'),
    cacheWriteTokens: f.int('cacheWriteTokens'),
    reasoningTokens: f.int('reasoningTokens'),
    outputTokens: f.int('outputTokens'),
    estimated: f.bool('estimated'),
    costMicros: f.long('costMicros'),
    currency: f.string('currency'),
    latencyMs: f.int('latencyMs'),
    timeToFirstTokenMs: f.int('timeToFirstTokenMs'),
    statusCode: f.int('statusCode'),
    errorCode: f.string('errorCode'),
    stream: f.bool('stream'),
    aborted: f.bool('aborted'),
    unpriced: f.bool('unpriced'),
  };
}

const usageRecordCodec = new MessageCodec<UsageRecord>(
  loadRoot(usageV1Descriptor),
  'hubpo.usage.v1.UsageRecord',
  usageRecordToWire,
  usageRecordFromWire,
  'BAD_REQUEST',
  true,
);

export const encodeUsageRecord = (r: UsageRecord): Buffer => usageRecordCodec.encode(r);
export const decodeUsageRecord = (b: Uint8Array): UsageRecord => usageRecordCodec.decode(b);

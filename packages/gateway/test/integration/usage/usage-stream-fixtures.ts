import { USAGE_STREAM, USAGE_SUBJECTS, clusterOfUsageSubject, decodeUsageRecord } from '@hubpo/snapshot';
import type { UsageRecord } from '@hubpo/snapshot';
import { DiscardPolicy, RetentionPolicy, StorageType, connect, nanos } from 'nats';
import type { JetStreamManager, NatsConnection } from 'nats';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { createTelemetry } from '@hubpo/telemetry';
import { pino } from 'pino';

/*
 * The control plane's side of the usage stream, played by the test: the gateway never creates
 * `HUBPO_USAGE`, so the test creates it as the control plane does (limits, file storage,
 * a 2-minute duplicate window) and reads it back.
 */

export const silentLogger = pino({ level: 'silent' });

let sequence = 0;

/** A fresh, valid record; `overrides` win. */
export function usageRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
  sequence++;
  return {
    requestId: `req-${Date.now().toString(36)}-${sequence}`,
    startedAtUnixMs: 1_767_225_600_000 + sequence,
    finishedAtUnixMs: 1_767_225_601_000 + sequence,
    consumer: 'team-a',
    route: 'default/chat',
    model: 'chat',
    provider: 'openai',
    target: 'primary',
    inputTokens: 100,
    cachedInputTokens: 20,
    cacheWriteTokens: 0,
    reasoningTokens: 5,
    outputTokens: 50,
    estimated: false,
    costMicros: 42,
    currency: 'USD',
    latencyMs: 800,
    timeToFirstTokenMs: 120,
    statusCode: 200,
    errorCode: '',
    stream: true,
    aborted: false,
    unpriced: false,
    ...overrides,
  };
}

export async function openNats(url: string): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  return { nc, jsm: await nc.jetstreamManager() };
}

export async function createUsageStream(jsm: JetStreamManager): Promise<void> {
  await jsm.streams.add({
    name: USAGE_STREAM,
    subjects: [USAGE_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(120_000),
  });
}

export interface StreamedRecord {
  readonly cluster: string | undefined;
  readonly msgId: string | undefined;
  readonly record: UsageRecord;
}

/** Every message of the stream, in stream order (on a fresh connection: NATS may have restarted). */
export async function readUsageStream(url: string): Promise<StreamedRecord[]> {
  const { nc, jsm } = await openNats(url);
  try {
    const info = await jsm.streams.info(USAGE_STREAM);
    const out: StreamedRecord[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const msg = await jsm.streams.getMessage(USAGE_STREAM, { seq });
      out.push({
        cluster: clusterOfUsageSubject(msg.subject),
        msgId: msg.header.get('Nats-Msg-Id') || undefined,
        record: decodeUsageRecord(msg.data),
      });
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** Polls `check` until it returns true; fails after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The Prometheus text of `telemetry`, served once by a throwaway HTTP server. */
export async function scrape(telemetry: ReturnType<typeof createTelemetry>): Promise<string> {
  const server = createServer((req, res) => telemetry.metricsHandler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } finally {
    server.close();
  }
}

import { encodeUsageRecord, usageSubject } from '@hubpo/snapshot';
import type { UsageRecord } from '@hubpo/snapshot';
import { connect } from 'nats';
import type { JetStreamClient, NatsConnection } from 'nats';

/*
 * The gateways' side of the usage pipeline, played by the test with the same wire the gateway's
 * JetStreamUsageSink uses (subject `hubpo.usage.<cluster>`, protobuf UsageRecord, `Nats-Msg-Id` =
 * request id): programs do not import each other, so the gateway itself is not used here.
 */

let sequence = 0;

/** A fresh, valid record; `overrides` win. */
export function usageRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
  sequence++;
  return {
    requestId: `req-${process.pid}-${Date.now().toString(36)}-${sequence}`,
    startedAtUnixMs: Date.UTC(2026, 0, 1, 12, 0, 0) + sequence,
    finishedAtUnixMs: Date.UTC(2026, 0, 1, 12, 0, 1) + sequence,
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
    stream: false,
    aborted: false,
    unpriced: false,
    ...overrides,
  };
}

/** Publishes like a gateway does, retrying until the stream acknowledges (NATS restarts included). */
export class TestPublisher {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;

  private constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#js = nc.jetstream();
  }

  static async connect(url: string): Promise<TestPublisher> {
    return new TestPublisher(
      await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 50 }),
    );
  }

  /** Resolves once stored; `msgId` defaults to the request id (as the gateway sends it). */
  async publish(record: UsageRecord, cluster = 'eu-west', msgId = record.requestId): Promise<void> {
    for (;;) {
      try {
        await this.#js.publish(usageSubject(cluster), encodeUsageRecord(record), {
          msgID: msgId,
          timeout: 1000,
        });
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Raw bytes on a usage subject (not a UsageRecord). */
  async publishRaw(data: Uint8Array, cluster = 'eu-west'): Promise<void> {
    await this.#js.publish(usageSubject(cluster), data);
  }

  close(): Promise<void> {
    return this.#nc.close();
  }
}

/** Polls `check` until it returns true; fails after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

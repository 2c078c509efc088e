import { createCipheriv, randomBytes } from 'node:crypto';
import type { AIModelConfig, AITargetConfig, PricingConfig, RouteRuleConfig } from '@hubpo/snapshot';
import { rule } from '../../../src/runtime/testdata/config-factories.js';

/*
 * Factories for AI config objects (fresh objects on every call), with the translator's defaults:
 * Fallback, 2 retries with 200 ms backoff (tests lower it), 60 s request / 30 s first-token
 * timeouts, no limits, Reject.
 */

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export function aiTarget(
  name: string,
  provider: string,
  overrides: Partial<Writable<AITargetConfig>> = {},
): AITargetConfig {
  return {
    name,
    provider,
    model: `${name}-model`,
    endpoint: null,
    region: null,
    apiVersion: null,
    weight: 1,
    priority: 0,
    pricing: [],
    credential: null,
    ...overrides,
  };
}

export function price(
  inputPerMTok: number,
  outputPerMTok: number,
  effectiveFrom: string | null = null,
): PricingConfig {
  return {
    inputPerMTok,
    outputPerMTok,
    cachedInputPerMTok: inputPerMTok,
    cacheWritePerMTok: inputPerMTok,
    effectiveFrom,
  };
}

export function aiModel(
  name: string,
  targets: readonly AITargetConfig[],
  overrides: Partial<Writable<AIModelConfig>> = {},
): AIModelConfig {
  return {
    kind: 'aimodel',
    id: `default/${name}`,
    generation: 1,
    name,
    strategy: 'Fallback',
    targets,
    retry: { attempts: 2, backoffMs: 5 },
    timeouts: { requestMs: 60_000, firstTokenMs: 30_000 },
    limits: { contextWindow: null, maxOutputTokens: null },
    unsupportedFields: 'Reject',
    ...overrides,
  };
}

/** A rule serving the AI APIs for `models` (null: all). */
export function aiRule(
  models: readonly string[] | null = null,
  overrides: Partial<Writable<RouteRuleConfig>> = {},
): RouteRuleConfig {
  return rule({ action: { kind: 'ai', models }, ...overrides });
}

/** Seals `plaintext` as the control plane does for the data plane (AES-256-GCM, iv|tag|ct). */
export function seal(plaintext: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

/** An OpenAI chat body. */
export function chatBody(text: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: text }], ...extra });
}

/** POSTs JSON; returns the fetch Response. */
export function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/** One server-sent event. */
export interface SseEvent {
  readonly event: string | null;
  readonly data: string;
}

/** Parses an SSE body into events (`data:` lines joined; comments ignored). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\n\n/)) {
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return events;
}

/** The JSON payloads of an OpenAI stream (without `[DONE]`), loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON read by test assertions
export function openAIChunks(text: string): any[] {
  return parseSse(text)
    .filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data));
}

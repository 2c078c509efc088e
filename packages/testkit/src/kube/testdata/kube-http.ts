import { request } from 'node:http';
import type { FakeKube } from '../fake-kube.js';

/** Raw HTTP against a FakeKube, the way a client would talk to an API server. */
export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

export async function call(
  fake: Pick<FakeKube, 'url'>,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const payload =
    body === undefined
      ? undefined
      : typeof body === 'string' || Buffer.isBuffer(body)
        ? body
        : JSON.stringify(body);
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { ...(payload === undefined ? {} : { 'content-type': contentType }), ...headers },
    ...(payload === undefined ? {} : { body: payload }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: Object.fromEntries(response.headers), body: parsed };
}

export interface WatchEvent {
  readonly type: string;
  readonly object: any;
}

/** A watch stream read line by line; events are queued until taken. */
export class WatchStream {
  readonly events: WatchEvent[] = [];
  status = 0;
  ended = false;
  error: Error | undefined;
  readonly #waiters = new Set<() => void>();
  readonly #destroy: () => void;
  #taken = 0;

  constructor(url: string) {
    let buffer = '';
    const req = request(url, (res) => {
      this.status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl = buffer.indexOf('\n');
        while (nl >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.trim() !== '') this.events.push(JSON.parse(line));
          nl = buffer.indexOf('\n');
        }
        this.#wake();
      });
      res.on('end', () => {
        this.ended = true;
        this.#wake();
      });
      res.on('error', (err) => {
        this.error = err;
        this.ended = true;
        this.#wake();
      });
    });
    req.on('error', (err) => {
      this.error = err;
      this.ended = true;
      this.#wake();
    });
    req.end();
    this.#destroy = () => req.destroy();
  }

  #wake(): void {
    for (const w of this.#waiters) w();
  }

  async #until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `timed out after ${timeoutMs}ms waiting for ${what}; events: ${JSON.stringify(this.events.map((e) => e.type))}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  /** The next event not yet taken. */
  async next(timeoutMs = 2000): Promise<WatchEvent> {
    await this.#until(() => this.events.length > this.#taken || this.ended, timeoutMs, 'an event');
    const event = this.events[this.#taken];
    if (!event) throw new Error(`watch ended (${this.error?.message ?? 'cleanly'}) with no further event`);
    this.#taken++;
    return event;
  }

  /** Takes the next `n` events. */
  async take(n: number, timeoutMs = 2000): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next(timeoutMs));
    return out;
  }

  /** Takes events up to and including the first that satisfies `predicate`. */
  async nextMatching(predicate: (e: WatchEvent) => boolean, timeoutMs = 2000): Promise<WatchEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = await this.next(Math.max(1, deadline - Date.now()));
      if (predicate(event)) return event;
    }
  }

  async waitForEnd(timeoutMs = 2000): Promise<void> {
    await this.#until(() => this.ended, timeoutMs, 'the end of the stream');
  }

  /** True when no event arrives within `ms`. */
  async quietFor(ms: number): Promise<boolean> {
    const before = this.events.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.events.length === before;
  }

  close(): void {
    this.#destroy();
  }
}

/** Opens a watch and waits until the server has registered it (so later writes are seen live). */
export async function openWatch(fake: FakeKube, path: string, plural?: string): Promise<WatchStream> {
  const before = fake.watchCount(plural);
  const stream = new WatchStream(`${fake.url}${path}`);
  const deadline = Date.now() + 2000;
  while (fake.watchCount(plural) <= before && !stream.ended) {
    if (Date.now() > deadline) throw new Error(`watch ${path} was not registered`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return stream;
}

export const widgetCrd = {
  group: 'example.com',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  shortNames: ['wd'],
  namespaced: true,
  statusSubresource: true,
} as const;

/** A fresh Widget object (factory). */
export function widget(
  name: string,
  spec: Record<string, unknown> = { size: 1 },
  extra: Record<string, unknown> = {},
) {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name, ...extra }, spec };
}

export const WIDGETS = '/apis/example.com/v1/namespaces/default/widgets';

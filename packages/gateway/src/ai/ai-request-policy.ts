import type { IncomingHttpHeaders } from 'node:http';
import type { ChatRequest, ChatResponse, Credentials } from '@hubpo/ai-providers';
import { HubpoError } from '@hubpo/core';
import type { AILogLine, AILogSink } from './ai-log-sink.js';
import { completionForLog, promptForLog } from './ai-log-text.js';
import type { ResolvedAIPolicy } from './ai-policies.js';
import type { AITarget } from './ai-target.js';

/** Longest provider key accepted from a caller (longer ones are ignored: the stored one is used). */
export const MAX_PASS_THROUGH_KEY_CHARS = 4096;

/** Who a request is, for the log line. */
export interface AIRequestPolicyFacts {
  readonly requestId: string;
  readonly routeId: string;
  readonly consumerId: string | null;
}

/** How a request ended, for the log line. */
export interface AIRequestEnd {
  readonly model: string;
  readonly target: AITarget | null;
  readonly status: number;
  readonly stream: boolean;
}

/**
 * The AI policies of one request (only built when a policy applies): which credential each
 * target gets, and the prompt / completion log line written when the request ends. The exchange
 * hands it the parsed request and the final response (streams: the assembled answer).
 *
 * The caller's provider key is read once from the policy's header; it is used only for targets
 * whose provider the policy names (all when it names none), never logged, never put in a usage
 * record or a response. AWS targets (Bedrock) keep their stored credential: a single header
 * cannot carry a SigV4 key pair.
 */
export class AIRequestPolicy {
  /** The parsed chat request; set by the exchange when the policy logs prompts or completions. */
  request: ChatRequest | null = null;
  /** The answer (streams: assembled from the events). */
  response: ChatResponse | null = null;
  readonly #resolved: ResolvedAIPolicy;
  readonly #facts: AIRequestPolicyFacts;
  readonly #sink: AILogSink;
  readonly #clientKey: string | null;

  constructor(
    resolved: ResolvedAIPolicy,
    facts: AIRequestPolicyFacts,
    headers: IncomingHttpHeaders,
    sink: AILogSink,
  ) {
    this.#resolved = resolved;
    this.#facts = facts;
    this.#sink = sink;
    this.#clientKey = resolved.credentials === null ? null : clientKey(headers[resolved.credentials.header]);
  }

  /** Whether the request and answer should be kept for the log line. */
  get logs(): boolean {
    return this.#resolved.logging !== null;
  }

  /** Whether the caller supplied a usable provider key that the policy lets through. */
  get hasClientKey(): boolean {
    return this.#clientKey !== null;
  }

  /** The credentials `target` is called with for this request. */
  credentials(target: AITarget): Credentials {
    const key = this.#clientKey;
    const rule = this.#resolved.credentials;
    if (key === null || rule === null) return target.credentials;
    if (rule.providers !== null && !rule.providers.includes(target.provider)) return target.credentials;
    if (target.credentials.kind === 'aws' || target.adapter.id === 'bedrock') return target.credentials;
    return target.provider === 'vertex-ai'
      ? { kind: 'bearer', token: key }
      : { kind: 'api-key', apiKey: key };
  }

  /**
   * The error to answer with, without the caller's key: a provider may quote the key it refused
   * (whole, or its first characters before a mask), and its message is passed on to the client.
   */
  scrub(error: HubpoError): HubpoError {
    const key = this.#clientKey;
    if (key === null) return error;
    const message = scrubKey(error.message, key);
    if (message === error.message) return error;
    return new HubpoError(error.kind, message, {
      cause: error,
      issues: error.issues,
      status: error.status,
      retryable: error.retryable,
      details: error.details,
    });
  }

  /** Writes the log line if a logging policy applies. Never throws. */
  finish(end: AIRequestEnd): void {
    const logging = this.#resolved.logging;
    // Only chat requests are logged (embeddings inputs, model lists and token counts are not).
    if (logging === null || this.request === null) return;
    try {
      let truncated = false;
      let prompt: AILogLine['prompt'];
      let completion: string | undefined;
      if (logging.prompts && this.request !== null) {
        const p = promptForLog(this.request, logging.redactors, logging.maxChars);
        prompt = p.value;
        truncated ||= p.truncated;
      }
      if (logging.completions && this.response !== null) {
        const c = completionForLog(this.response, logging.redactors, logging.maxChars);
        completion = c.value;
        truncated ||= c.truncated;
      }
      const target = end.target;
      this.#sink.write({
        requestId: this.#facts.requestId,
        route: this.#facts.routeId,
        model: end.model,
        target: target === null ? null : target.name,
        provider: target === null ? null : target.provider,
        consumer: this.#facts.consumerId,
        status: end.status,
        stream: end.stream,
        policies: logging.policies,
        ...(prompt === undefined ? {} : { prompt }),
        ...(completion === undefined ? {} : { completion }),
        truncated,
      });
    } catch {
      // Logging must never break the request path (AILogSink contract).
    }
  }
}

function clientKey(value: string | string[] | undefined): string | null {
  if (typeof value !== 'string') return null;
  const key = value.trim();
  return key.length === 0 || key.length > MAX_PASS_THROUGH_KEY_CHARS ? null : key;
}

/** Characters of a key that identify it when a provider quotes a masked form (`sk-abcd****wxyz`). */
const KEY_PREFIX_CHARS = 8;

/** `text` with the key, and any token starting with its first characters, replaced. */
export function scrubKey(text: string, key: string): string {
  let out = text.split(key).join('[REDACTED]');
  if (key.length < KEY_PREFIX_CHARS * 2) return out;
  const prefix = key.slice(0, KEY_PREFIX_CHARS);
  for (let at = out.indexOf(prefix); at >= 0; at = out.indexOf(prefix, at + 1)) {
    let end = at;
    while (end < out.length && !/[\s"',]/.test(out[end]!)) end++;
    out = `${out.slice(0, at)}[REDACTED]${out.slice(end)}`;
  }
  return out;
}

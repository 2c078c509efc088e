import { createHash } from 'node:crypto';
import { HubpoError } from '@hubpo/core';
import { decode, encode } from 'gpt-tokenizer';
import { defineCapabilities } from '../../capabilities.js';
import type { ChatRequest } from '../../internal/chat-request.js';
import type { ChatResponse, Choice, Finish, OutputPart } from '../../internal/chat-response.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../internal/embeddings.js';
import type { StreamEvent } from '../../internal/stream-event.js';
import { makeUsage } from '../../internal/usage.js';
import { estimateOutputTokens, estimateRequestTokens } from '../../estimate-tokens.js';
import { renderOpenAIError } from '../../ingress/openai/render-openai-error.js';
import { OpenAIStreamRenderer } from '../../ingress/openai/openai-stream-renderer.js';
import { renderOpenAIChatCompletion } from '../../ingress/openai/render-openai-response.js';
import type { MockProviderAdapter, RequestContext } from '../../provider-adapter.js';
import { upstreamError } from '../../shared/upstream-error.js';
import { createOpenAIStyleAdapter } from '../openai/openai-style-adapter.js';
import { estimateInputTokens } from '../openai/openai-embeddings.js';

/** What the mock says when the last user message has no text. */
export const MOCK_DEFAULT_REPLY = 'Hello from the Hubpo mock provider.';
/** A last user message `mock:error:<status>` makes the mock fail with that upstream status. */
const MOCK_ERROR = /^mock:error:(\d{3})$/;
const ENCODE_OPTIONS = Object.freeze({ disallowedSpecial: new Set<string>() });
const MOCK_EMBEDDING_DIMENSIONS = 8;

function lastUserText(req: ChatRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const message = req.messages[i];
    if (message === undefined || message.role !== 'user') continue;
    let text = '';
    for (const part of message.content) if (part.kind === 'text') text += part.text;
    return text;
  }
  return '';
}

/** Cuts `text` to at most `max` tokens (the mock honours max_tokens exactly). */
function truncate(
  text: string,
  max: number | undefined,
): { readonly text: string; readonly truncated: boolean } {
  if (max === undefined) return { text, truncated: false };
  const tokens = encode(text, ENCODE_OPTIONS);
  return tokens.length <= max
    ? { text, truncated: false }
    : { text: decode(tokens.slice(0, max)), truncated: true };
}

function mockChoice(req: ChatRequest, ctx: RequestContext, index: number, input: string): Choice {
  const fn = req.tools.find((t) => t.kind === 'function');
  const forced = req.toolChoice?.kind === 'required' || req.toolChoice?.kind === 'tool';
  if (fn !== undefined && forced) {
    const name =
      req.toolChoice?.kind === 'tool' ? req.toolChoice.name : fn.kind === 'function' ? fn.name : '';
    return {
      index,
      content: [
        {
          kind: 'tool_call',
          id: `call_mock_${ctx.requestId}_${index}`,
          name,
          arguments: JSON.stringify({ input }),
        },
      ],
      finish: { reason: 'tool_calls', raw: 'tool_calls' },
    };
  }
  const json = req.responseFormat?.kind === 'json_object' || req.responseFormat?.kind === 'json_schema';
  const reply = json ? JSON.stringify({ echo: input }) : input.length > 0 ? input : MOCK_DEFAULT_REPLY;
  const { text, truncated } = truncate(reply, req.maxTokens);
  const finish: Finish = truncated ? { reason: 'length', raw: 'length' } : { reason: 'stop', raw: 'stop' };
  return { index, content: [{ kind: 'text', text }], finish };
}

/**
 * Deterministic answer to a request, with no upstream: echoes the last user message (JSON
 * `{"echo": ...}` in JSON mode; a call to the forced tool with `{"input": ...}` when a tool is
 * required), cut to `maxTokens`. Usage is exact for the mock: the o200k_base token counts of the
 * request (OpenAI chat accounting) and of the output.
 */
export function mockRespond(req: ChatRequest, ctx: RequestContext): ChatResponse {
  const input = lastUserText(req);
  const error = MOCK_ERROR.exec(input.trim());
  if (error !== null) throw mockError(Number(error[1]));
  const choices: Choice[] = [];
  for (let i = 0; i < (req.n ?? 1); i++) choices.push(mockChoice(req, ctx, i, input));
  const output: OutputPart[] = choices.flatMap((c) => c.content);
  return {
    id: `mock-${ctx.requestId}`,
    model: req.model,
    created: Math.floor(ctx.now / 1000),
    choices,
    usage: makeUsage({ inputTokens: estimateRequestTokens(req), outputTokens: estimateOutputTokens(output) }),
  };
}

function mockError(status: number): HubpoError {
  const message =
    status === 429
      ? 'mock rate limit'
      : status === 529 || status === 503
        ? 'mock overloaded'
        : `mock error ${status}`;
  return upstreamError({
    provider: 'mock',
    status,
    message,
    ...(status === 429 ? { retryAfterMs: 1000 } : {}),
  });
}

const WORD_PIECE = /\S+\s*|\s+/g;

/** The mock answer as stream events: text in word-sized deltas, then finish, usage, stop. */
export function mockRespondStream(req: ChatRequest, ctx: RequestContext): StreamEvent[] {
  let response: ChatResponse;
  try {
    response = mockRespond(req, ctx);
  } catch (err) {
    return [{ kind: 'error', error: HubpoError.from(err) }];
  }
  const events: StreamEvent[] = [
    { kind: 'message_start', id: response.id, model: response.model, created: response.created },
  ];
  let index = 0;
  for (const choice of response.choices) {
    for (const part of choice.content) {
      if (part.kind === 'tool_call') {
        events.push({
          kind: 'block_start',
          index,
          choice: choice.index,
          block: { kind: 'tool_call', id: part.id, name: part.name },
        });
        events.push({ kind: 'tool_call_delta', index, argumentsDelta: part.arguments });
      } else if (part.kind === 'text') {
        events.push({ kind: 'block_start', index, choice: choice.index, block: { kind: 'text' } });
        for (const piece of part.text.match(WORD_PIECE) ?? [])
          events.push({ kind: 'text_delta', index, text: piece });
      }
      events.push({ kind: 'block_stop', index });
      index++;
    }
    events.push({ kind: 'finish', choice: choice.index, finish: choice.finish });
  }
  events.push({ kind: 'usage', usage: response.usage }, { kind: 'message_stop' });
  return events;
}

/** Deterministic unit-length vectors derived from each input's SHA-256. */
export function mockRespondEmbeddings(req: EmbeddingsRequest): EmbeddingsResponse {
  const dimensions = req.dimensions ?? MOCK_EMBEDDING_DIMENSIONS;
  const data = req.input.map((input, index) => {
    const seed = typeof input === 'string' ? input : input.join(',');
    const vector: number[] = [];
    let block = createHash('sha256').update(seed).digest();
    for (let i = 0; vector.length < dimensions; i++) {
      if (i === block.length) {
        block = createHash('sha256').update(block).digest();
        i = 0;
      }
      vector.push(((block[i] as number) - 127.5) / 127.5);
    }
    const norm = Math.hypot(...vector) || 1;
    return { index, vector: vector.map((v) => v / norm) };
  });
  return { model: req.model, data, usage: makeUsage({ inputTokens: estimateInputTokens(req) }) };
}

/**
 * The mock's answer on the wire, OpenAI-formatted (JSON or SSE), for a mock HTTP server in
 * testkit or a demo that wants to exercise the full upstream path.
 */
export function mockWireResponse(
  req: ChatRequest,
  ctx: RequestContext,
): { status: number; headers: Record<string, string>; body: string } {
  if (req.stream) {
    const body = new OpenAIStreamRenderer({ includeUsage: true }).renderAll(mockRespondStream(req, ctx));
    return { status: 200, headers: { 'content-type': 'text/event-stream' }, body };
  }
  try {
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(renderOpenAIChatCompletion(mockRespond(req, ctx))),
    };
  } catch (err) {
    const rendered = renderOpenAIError(HubpoError.from(err));
    const status = HubpoError.is(err)
      ? Number(err.details['providerStatus'] ?? rendered.status)
      : rendered.status;
    return { status, headers: { ...rendered.headers }, body: rendered.body };
  }
}

const wire = createOpenAIStyleAdapter({
  id: 'mock',
  capabilities: defineCapabilities({
    tools: true,
    toolChoiceRequired: true,
    toolChoiceSpecific: true,
    parallelToolCalls: true,
    images: true,
    imageUrls: true,
    documents: true,
    jsonMode: true,
    jsonSchema: true,
    multipleChoices: true,
    logprobs: false,
    seed: true,
    topK: true,
    penalties: true,
    thinking: false,
    promptCaching: false,
    streaming: true,
    streamingUsage: true,
    embeddings: true,
    maxStopSequences: null,
  }),
  dialect: Object.freeze({
    family: 'openai',
    maxTokensField: 'max_tokens',
    sendModel: true,
    developerRole: true,
    seedField: 'seed',
    requiredToolChoice: 'required',
    reasoningEffort: false,
    topK: true,
    streamOptions: true,
    imageUrlString: false,
  }),
  chatUrl: (target) => `${target.endpoint ?? 'mock://hubpo/v1'}/chat/completions`,
  embeddingsUrl: (target) => `${target.endpoint ?? 'mock://hubpo/v1'}/embeddings`,
  authHeaders: () => ({}),
});

/**
 * The built-in mock provider (demos, tests, the local platform): answers by itself through
 * `respond` / `respondStream` / `respondEmbeddings`, with no network; its wire format (for a
 * mock HTTP upstream) is the OpenAI dialect.
 */
export const mockAdapter: MockProviderAdapter = Object.freeze({
  ...wire,
  id: 'mock',
  respond: mockRespond,
  respondStream: mockRespondStream,
  respondEmbeddings: mockRespondEmbeddings,
});

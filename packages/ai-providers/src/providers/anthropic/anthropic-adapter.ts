import { defineCapabilities } from '../../capabilities.js';
import type { ChatRequest } from '../../internal/chat-request.js';
import type { ChatResponse } from '../../internal/chat-response.js';
import type { StreamDecoder } from '../../internal/stream-event.js';
import type {
  HttpHeaders,
  HttpRequestSpec,
  ProviderAdapter,
  RequestContext,
  ResponseBody,
  ResponseContext,
  TargetConfig,
} from '../../provider-adapter.js';
import { tryParseJson } from '../../shared/json-value.js';
import { bodyText } from '../../shared/utf8.js';
import { trimSlash } from '../openai/openai-style-adapter.js';
import { buildAnthropicBody } from './anthropic-messages-body.js';
import { parseAnthropicError, parseAnthropicMessage } from './anthropic-messages-response.js';
import { AnthropicStreamDecoder } from './anthropic-stream-decoder.js';

export const ANTHROPIC_VERSION = '2023-06-01';
const DEFAULT_BASE_URL = 'https://api.anthropic.com';

function anthropicAuth(ctx: RequestContext): Record<string, string> {
  const c = ctx.credentials;
  if (c.kind === 'api-key') return { 'x-api-key': c.apiKey };
  if (c.kind === 'bearer') return { authorization: `Bearer ${c.token}` };
  return {};
}

/**
 * Anthropic Messages API (https://docs.anthropic.com/en/api/messages): `x-api-key`,
 * `anthropic-version: 2023-06-01`, beta features through `target.headers['anthropic-beta']`.
 * No embeddings.
 */
export const anthropicAdapter: ProviderAdapter = Object.freeze({
  id: 'anthropic',
  family: 'anthropic',
  capabilities: defineCapabilities({
    tools: true,
    toolChoiceRequired: true,
    toolChoiceSpecific: true,
    parallelToolCalls: true,
    images: true,
    imageUrls: true,
    documents: true,
    jsonMode: false,
    jsonSchema: false,
    multipleChoices: false,
    logprobs: false,
    seed: false,
    topK: true,
    penalties: false,
    thinking: true,
    promptCaching: true,
    streaming: true,
    streamingUsage: true,
    embeddings: false,
    maxStopSequences: null,
  }),
  buildRequest(req: ChatRequest, target: TargetConfig, ctx: RequestContext): HttpRequestSpec {
    return {
      method: 'POST',
      url: `${trimSlash(target.endpoint ?? DEFAULT_BASE_URL)}/v1/messages`,
      headers: {
        'content-type': 'application/json',
        accept: req.stream ? 'text/event-stream' : 'application/json',
        'anthropic-version': ANTHROPIC_VERSION,
        ...anthropicAuth(ctx),
        ...target.headers,
      },
      body: JSON.stringify(buildAnthropicBody(req, target)),
    };
  },
  parseResponse(
    status: number,
    headers: HttpHeaders,
    body: ResponseBody,
    ctx?: ResponseContext,
  ): ChatResponse {
    if (status < 200 || status >= 300) throw parseAnthropicError(status, headers, body);
    return parseAnthropicMessage(tryParseJson(bodyText(body)), ctx);
  },
  createStreamDecoder(ctx?: ResponseContext): StreamDecoder {
    return new AnthropicStreamDecoder(ctx);
  },
  parseError: parseAnthropicError,
});

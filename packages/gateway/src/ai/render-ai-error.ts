import { renderAnthropicError, renderOpenAIError } from '@hubpo/ai-providers';
import type { RenderedError } from '@hubpo/ai-providers';
import { ErrorCodes, HubpoError } from '@hubpo/core';
import type { ErrorKind } from '@hubpo/core';
import type { IngressFormat } from './ai-endpoint.js';

/** An error in the client's own API shape (OpenAI `{error:{message,type,param,code}}` or Anthropic's). */
export function renderAIError(format: IngressFormat, error: HubpoError, requestId: string): RenderedError {
  return format === 'openai' ? renderOpenAIError(error) : renderAnthropicError(error, requestId);
}

const KIND_BY_CODE: ReadonlyMap<string, ErrorKind> = new Map(
  (Object.keys(ErrorCodes) as ErrorKind[]).map((kind) => [ErrorCodes[kind].code, kind]),
);

/** A runtime `ErrorReply` (401, 403, 429, ...) as a HubpoError, to render in an ingress's shape. */
export function errorFromReply(reply: {
  readonly code: string;
  readonly message: string;
  readonly status: number;
}): HubpoError {
  return new HubpoError(KIND_BY_CODE.get(reply.code) ?? 'INTERNAL', reply.message, { status: reply.status });
}

import type { EmbeddingInput, EmbeddingsRequest, EmbeddingsResponse } from '../../internal/embeddings.js';
import type { JsonObject } from '../../shared/json-value.js';
import type { Mutable } from '../../shared/mutable.js';
import { RequestReader, requestObject, unknownFields } from '../request-reader.js';

const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'input',
  'dimensions',
  'encoding_format',
  'user',
]);

/** Parses and validates an OpenAI `POST /v1/embeddings` body. */
export function parseOpenAIEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  const obj = requestObject(body);
  const r = new RequestReader();
  const model = r.string(obj, 'model', '', true) ?? '';
  const input = parseInput(r, obj['input']);
  const format = r.string(obj, 'encoding_format', '');
  if (format !== undefined && format !== 'float' && format !== 'base64')
    r.issue('/encoding_format', 'must be float or base64');
  const req: Mutable<EmbeddingsRequest> = {
    model,
    input,
    encodingFormat: format === 'base64' ? 'base64' : 'float',
    extensions: {},
  };
  const dimensions = r.number(obj, 'dimensions', '', { min: 1, integer: true });
  if (dimensions !== undefined) req.dimensions = dimensions;
  const user = r.string(obj, 'user', '');
  if (user !== undefined) req.user = user;
  const extra = unknownFields(obj, KNOWN_FIELDS);
  if (extra !== undefined) req.extensions = { openai: extra };
  r.throwIfAny();
  return req;
}

function isTokenArray(value: unknown): value is number[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((t) => typeof t === 'number' && Number.isInteger(t))
  );
}

function parseInput(r: RequestReader, raw: unknown): EmbeddingInput[] {
  if (typeof raw === 'string') return [raw];
  if (isTokenArray(raw)) return [raw];
  if (Array.isArray(raw) && raw.length > 0 && raw.every((x) => typeof x === 'string' || isTokenArray(x)))
    return raw as EmbeddingInput[];
  r.issue(
    '/input',
    raw === undefined ? 'is required' : 'must be a string, an array of strings, or token arrays',
  );
  return [];
}

/**
 * An OpenAI embeddings list. `base64` renders each vector as little-endian float32 bytes in
 * base64, as OpenAI does for `encoding_format: "base64"`.
 */
export function renderOpenAIEmbeddings(
  response: EmbeddingsResponse,
  encodingFormat: 'float' | 'base64',
  model?: string,
): JsonObject {
  return {
    object: 'list',
    data: response.data.map((e) => ({
      object: 'embedding',
      index: e.index,
      embedding: encodingFormat === 'base64' ? float32Base64(e.vector) : e.vector,
    })),
    model: model ?? response.model,
    usage: { prompt_tokens: response.usage.inputTokens, total_tokens: response.usage.inputTokens },
  };
}

function float32Base64(vector: readonly number[]): string {
  const floats = Float32Array.from(vector);
  // Float32Array uses platform byte order; every Node platform Hubpo runs on is little-endian.
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

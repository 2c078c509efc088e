import { adapters, parseOpenAIChatRequest, StreamAccumulator } from '@hubpo/ai-providers';
import type {
  ChatRequest,
  ChatResponse,
  Credentials,
  HttpHeaders,
  StreamEvent,
  Usage,
} from '@hubpo/ai-providers';
import type { MockProviderServer, MockUsageRecord } from '@hubpo/testkit';

/*
 * Drives a mock provider server through the @hubpo/ai-providers adapter of the same provider,
 * with plain fetch: the adapter builds the request and decodes the answer, so a passing test
 * means the mock speaks the wire format the adapter was written against.
 */

export const API_KEY = 'sk-mock-key';

export function credentialsFor(server: MockProviderServer, key = API_KEY): Credentials {
  return server.kind === 'bedrock'
    ? { kind: 'aws', accessKeyId: key, secretAccessKey: 'mock-secret' }
    : { kind: 'api-key', apiKey: key };
}

/** A ChatRequest from an OpenAI-format body (`model` defaults to the server's first model). */
export function chatRequest(body: Record<string, unknown>): ChatRequest {
  return parseOpenAIChatRequest(Buffer.from(JSON.stringify({ model: 'mock-model', ...body })));
}

function headersOf(res: Response): HttpHeaders {
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => (out[name] = value));
  return out;
}

async function send(server: MockProviderServer, req: ChatRequest, key?: string): Promise<Response> {
  const spec = adapters[server.kind].buildRequest(req, server.target(), {
    credentials: credentialsFor(server, key),
    requestId: 'req-test',
    now: Date.now(),
  });
  return fetch(spec.url, { method: spec.method, headers: spec.headers, body: spec.body });
}

/** A non-streamed call decoded by the adapter (its mapped HubpoError is thrown for non-2xx). */
export async function complete(
  server: MockProviderServer,
  req: ChatRequest,
  key?: string,
): Promise<ChatResponse> {
  const res = await send(server, req, key);
  const body = new Uint8Array(await res.arrayBuffer());
  return adapters[server.kind].parseResponse(res.status, headersOf(res), body, { request: req });
}

export interface StreamResult {
  readonly events: StreamEvent[];
  /** Body chunks as they arrived. */
  readonly chunks: number;
  readonly response: ChatResponse | undefined;
  readonly accumulator: StreamAccumulator;
}

/** A streamed call: every body chunk goes through the adapter's stream decoder as it arrives. */
export async function stream(server: MockProviderServer, req: ChatRequest): Promise<StreamResult> {
  const res = await send(server, { ...req, stream: true }, undefined);
  if (res.status !== 200) {
    const body = new Uint8Array(await res.arrayBuffer());
    throw adapters[server.kind].parseError(res.status, headersOf(res), body);
  }
  const decoder = adapters[server.kind].createStreamDecoder({ request: req });
  const events: StreamEvent[] = [];
  let chunks = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks++;
      events.push(...decoder.push(chunk));
    }
  } catch {
    // A cut connection ends the body early; the decoder's end() reports the truncation.
  }
  events.push(...decoder.end());
  const accumulator = new StreamAccumulator();
  for (const event of events) accumulator.add(event);
  return { events, chunks, response: accumulator.complete ? accumulator.response() : undefined, accumulator };
}

/** The server's own count in the ai-providers `Usage` shape, to compare with what the adapter decoded. */
export function usageOf(record: MockUsageRecord | undefined): Usage {
  if (record === undefined) throw new Error('the server recorded no usage');
  return {
    inputTokens: record.inputTokens,
    cachedInputTokens: record.cachedInputTokens,
    cacheWriteInputTokens: record.cacheWriteTokens,
    reasoningTokens: record.reasoningTokens,
    outputTokens: record.outputTokens,
    estimated: false,
  };
}

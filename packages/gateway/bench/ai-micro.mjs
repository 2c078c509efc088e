// Micro-benchmarks of the AI data path's per-request steps (CONVENTIONS.md §12), in one process:
//   node packages/gateway/bench/ai-micro.mjs      (after `pnpm build`)
// One OpenAI chat completion as ai-chat.bench.mjs sends it, through each step the gateway runs
// per request: ingress parse, capability check, adapter request build, response parse and
// re-render, stream decode and re-render, cost, headers. Prints ns/op; compare runs on the same
// machine only.
import {
  OpenAIStreamPassthrough,
  OpenAIStreamRenderer,
  passThroughOpenAIChatCompletion,
  adapters,
  checkCapabilities,
  computeCost,
  parseOpenAIChatRequest,
  renderOpenAIChatCompletion,
} from '@hubpo/ai-providers';
import { importRuntime } from './bench-kit.mjs';

const { aiResponseHeaders } = await importRuntime('../ai/ai-response-headers');

function bench(name, fn, iterations = 200_000) {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) fn(i);
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < iterations; i++) sink += fn(i) === null ? 0 : 1;
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`${name.padEnd(58)} ${ns.toFixed(0).padStart(8)} ns/op${sink < 0 ? '' : ''}`);
}

const WORDS =
  'The quick brown fox jumps over the lazy dog while the gateway relays every token it gets'.split(' ');
const requestBody = (stream) =>
  Buffer.from(
    JSON.stringify({
      model: 'fast',
      messages: [
        { role: 'system', content: 'You are a benchmark.' },
        { role: 'user', content: 'Say twenty words about foxes and dogs, please.' },
      ],
      max_tokens: 64,
      ...(stream ? { stream: true } : {}),
    }),
  );
const base = { id: 'chatcmpl-bench', created: 1_700_000_000, model: 'bench' };
const usage = { prompt_tokens: 26, completion_tokens: 20, total_tokens: 46 };
const responseBody = Buffer.from(
  JSON.stringify({
    ...base,
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: WORDS.join(' ') },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage,
  }),
);
const frame = (choices, extra = {}) =>
  `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`;
const delta = (d, finish = null) => frame([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
let sse = delta({ role: 'assistant', content: '' });
for (let i = 0; i < 20; i++) sse += delta({ content: i === 0 ? WORDS[0] : ` ${WORDS[i]}` });
sse += delta({}, 'stop') + frame([], { usage }) + 'data: [DONE]\n\n';
const sseBody = Buffer.from(sse);

const adapter = adapters['openai-compatible'];
const target = { provider: 'openai-compatible', model: 'fast', endpoint: 'http://127.0.0.1:9/v1' };
const rctx = { credentials: { kind: 'none' }, requestId: 'r1', now: 1 };
const req = parseOpenAIChatRequest(requestBody(false));
const streamReq = parseOpenAIChatRequest(requestBody(true));
const parsed = adapter.parseResponse(200, {}, responseBody, { request: req });
const pricing = { inputPerMillion: 0.15, outputPerMillion: 0.6, cachedInputPerMillion: 0.075 };

bench('ingress: parseOpenAIChatRequest(buffer)', () => parseOpenAIChatRequest(requestBody(false)));
const body = requestBody(false);
bench('ingress: parseOpenAIChatRequest (body reused)', () => parseOpenAIChatRequest(body));
bench('checkCapabilities', () => checkCapabilities(req, adapter.capabilities, 'reject', adapter.family));
bench('adapter.buildRequest (incl. JSON.stringify)', () => adapter.buildRequest(req, target, rctx));
bench('adapter.parseResponse (JSON.parse + internal form)', () =>
  adapter.parseResponse(200, {}, responseBody, { request: req }),
);
bench('renderOpenAIChatCompletion + JSON.stringify', () =>
  JSON.stringify(renderOpenAIChatCompletion(parsed, { model: 'fast' })),
);
bench('passThroughOpenAIChatCompletion (same-format fast path)', () =>
  passThroughOpenAIChatCompletion(responseBody, 'fast'),
);
bench('computeCost', () => computeCost(parsed.usage, pricing));
bench('aiResponseHeaders (non-streaming)', () =>
  aiResponseHeaders(
    {
      requestId: 'r1',
      contentType: 'application/json',
      model: 'fast',
      target: { name: 'primary', provider: 'openai-compatible' },
      warnings: [],
      usage: parsed.usage,
      cost: computeCost(parsed.usage, pricing),
      unpriced: false,
      streaming: false,
    },
    null,
    null,
  ),
);
bench(
  'stream: decode + render 24 SSE events (one upstream chunk)',
  () => {
    const decoder = adapter.createStreamDecoder({ request: streamReq });
    const renderer = new OpenAIStreamRenderer({ includeUsage: false, model: 'fast' });
    let out = renderer.renderAll(decoder.push(sseBody));
    out += renderer.renderAll(decoder.end());
    return out;
  },
  50_000,
);
bench(
  'stream: OpenAIStreamPassthrough, 24 SSE events (same-format fast path)',
  () => {
    const relay = new OpenAIStreamPassthrough({
      provider: 'openai-compatible',
      model: 'fast',
      includeUsage: false,
      request: streamReq,
    });
    return relay.push(sseBody).text + relay.end().text;
  },
  50_000,
);

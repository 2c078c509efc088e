// The upstream every subject of scenario (d) calls: an OpenAI-wire chat-completions server.
//   node mock-openai-upstream.mjs <port>
// - non-streaming: a 20-token answer with usage, as JSON;
// - streaming (`"stream": true`): SSE chunks (role, 20 content deltas, finish), a usage chunk and
//   `data: [DONE]`. The first content chunk is written at once and the rest ~10 ms later, so a
//   proxy that buffers the stream shows it in time to first byte.
// Bodies are answered whatever the path and model; the request body is parsed (as a provider
// would) and capped at 1 MiB.
import { createServer } from 'node:http';

const MAX_BODY = 1 << 20;
/** 20 words, one token each; the first content chunk is `"content":"The"` (the TTFB marker). */
const WORDS =
  'The quick brown fox jumps over the lazy dog while the gateway relays every token it gets to the client'.split(
    ' ',
  );

const base = { id: 'chatcmpl-bench', created: 1_700_000_000, model: 'bench' };
const usage = { prompt_tokens: 26, completion_tokens: WORDS.length, total_tokens: 26 + WORDS.length };
const json = JSON.stringify({
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
});
const frame = (choices, extra = {}) =>
  `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`;
const delta = (d, finish = null) => frame([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
const FIRST = delta({ role: 'assistant', content: '' }) + delta({ content: WORDS[0] });
let rest = '';
for (let i = 1; i < WORDS.length; i++) rest += delta({ content: ` ${WORDS[i]}` });
const REST = `${rest}${delta({}, 'stop')}${frame([], { usage })}data: [DONE]\n\n`;
const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) };
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const REST_DELAY_MS = 10;

function answer(req, res, raw) {
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"invalid JSON","type":"invalid_request_error"}}');
    return;
  }
  if (body.stream !== true) {
    res.writeHead(200, JSON_HEADERS);
    res.end(json);
    return;
  }
  res.writeHead(200, SSE_HEADERS);
  res.write(FIRST);
  setTimeout(() => res.end(REST), REST_DELAY_MS);
}

const port = Number(process.argv[2]);
createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
}).listen(port, '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));

// Streamed time to first byte, one call at a time on one keep-alive connection.
//   node ttfb-client.mjs '<json: { url, headers, body, requests, warmup }>'
// Prints one JSON line: { p50, p90, p99, max, samples, errors, cpuMs } in milliseconds. The clock runs
// from writing the request to receiving the first content chunk (`"content":"The"`), so a proxy
// that buffers the stream (the upstream holds the rest ~10 ms) shows it here.
import { Agent, request } from 'node:http';

const MARKER = '"content":"The"';
const { url, headers, body, requests, warmup } = JSON.parse(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const target = new URL(url);
const allHeaders = { ...headers, 'content-length': Buffer.byteLength(body) };

function once() {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let first = -1;
    let seen = '';
    const req = request(target, { method: 'POST', agent, headers: allHeaders }, (res) => {
      res.on('data', (chunk) => {
        if (first >= 0) return;
        seen += chunk.toString('utf8');
        if (seen.includes(MARKER)) first = Number(process.hrtime.bigint() - start) / 1e6;
      });
      res.on('end', () => resolve(res.statusCode === 200 && first >= 0 ? first : null));
      res.on('error', () => resolve(null));
    });
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

/** This process's own CPU time (ms), so the bench can tell its share of the load core. */
const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

for (let i = 0; i < warmup; i++) await once();
const samples = [];
let errors = 0;
for (let i = 0; i < requests; i++) {
  const t = await once();
  if (t === null) errors++;
  else samples.push(t);
}
agent.destroy();
samples.sort((a, b) => a - b);
const pct = (p) =>
  samples.length === 0
    ? null
    : samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)];
process.stdout.write(
  `${JSON.stringify({ p50: pct(50), p90: pct(90), p99: pct(99), max: pct(100), samples: samples.length, errors, cpuMs: ownCpuMs() })}\n`,
);

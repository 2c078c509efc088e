// Open-loop constant-rate load: request i is due at start + i / rate, whether or not earlier ones
// have answered, and its latency runs from that due time to the end of its response, so a stall
// in the proxy shows as latency of every request it delayed (no coordinated omission).
//   node open-loop.mjs '<json: { url, headers, body, rate, seconds, warmupSeconds, connections }>'
// Prints one JSON line (milliseconds): latency from the due time (p50, p90, p99, p999, max), the
// service time from the actual send (serviceP50, serviceP99), counts, the achieved rate, and the
// generator's own CPU time (cpuMs).
import { Agent, request } from 'node:http';

const { url, headers, body, rate, seconds, warmupSeconds, connections } = JSON.parse(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: connections, scheduling: 'lifo' });
const target = new URL(url);
const allHeaders = { ...headers, 'content-length': Buffer.byteLength(body) };
const intervalMs = 1000 / rate;
const warmupCount = Math.round(warmupSeconds * rate);
const total = warmupCount + Math.round(seconds * rate);

const latency = [];
const service = [];
let errors = 0;
let non2xx = 0;
let done = 0;
let finish;
const finished = new Promise((resolve) => (finish = resolve));

function record(i, due, sent, status) {
  if (i >= warmupCount) {
    if (status === 0) errors++;
    else if (status < 200 || status > 299) non2xx++;
    else {
      const end = performance.now();
      latency.push(end - due);
      service.push(end - sent);
    }
  }
  if (++done === total) finish();
}

function send(i, due) {
  const sent = performance.now();
  const req = request(target, { method: 'POST', agent, headers: allHeaders }, (res) => {
    res.on('data', () => {});
    res.on('end', () => record(i, due, sent, res.statusCode ?? 0));
    res.on('error', () => record(i, due, sent, 0));
  });
  req.on('error', () => record(i, due, sent, 0));
  req.end(body);
}

const start = performance.now() + 5;
let next = 0;
function tick() {
  const now = performance.now();
  while (next < total && start + next * intervalMs <= now) {
    send(next, start + next * intervalMs);
    next++;
  }
  if (next < total) setTimeout(tick, Math.max(0, Math.floor(start + next * intervalMs - now)));
}
setTimeout(tick, 5);

const timeout = setTimeout(finish, (warmupSeconds + seconds) * 1000 + 15_000);
await finished;
clearTimeout(timeout);
const measuredStart = start + warmupCount * intervalMs;
const elapsedS = (performance.now() - measuredStart) / 1000;
agent.destroy();
const pct = (arr, p) =>
  arr.length === 0 ? null : arr[Math.min(arr.length - 1, Math.ceil((p / 100) * arr.length) - 1)];
latency.sort((a, b) => a - b);
service.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    p50: pct(latency, 50),
    p90: pct(latency, 90),
    p99: pct(latency, 99),
    p999: pct(latency, 99.9),
    max: pct(latency, 100),
    serviceP50: pct(service, 50),
    serviceP99: pct(service, 99),
    ok: latency.length,
    non2xx,
    errors,
    lost: total - done,
    achievedRate: latency.length / elapsedS,
    cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
  })}\n`,
);
process.exit(0);

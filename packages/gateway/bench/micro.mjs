// Micro-benchmarks of the runtime's hot-path modules (CONVENTIONS.md §12), in one process:
//   node packages/gateway/bench/micro.mjs      (after `pnpm build`, or `npx tsx` on the source)
// Prints ns/op and ops/s per case. Compare runs on the same machine only.
import { createHash } from 'node:crypto';
import { benchConfig } from './bench-config.mjs';
import { importRuntime } from './bench-kit.mjs';

const { RuntimeState, compileRuntime } = await importRuntime('index');
const { buildUpstreamHeaders, buildResponseHeaders } = await importRuntime('forward-headers');
const { normalizePath, normalizeHost } = await importRuntime('request-target');
const { admit } = await importRuntime('admission');
const { HeaderModifier } = await importRuntime('header-modifier');

function bench(name, fn, iterations = 1_000_000) {
  for (let i = 0; i < Math.min(iterations, 100_000); i++) fn(i);
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < iterations; i++) sink += fn(i) === null ? 0 : 1;
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  console.log(
    `${name.padEnd(58)} ${ns.toFixed(1).padStart(8)} ns/op ${(1e9 / ns).toFixed(0).padStart(12)} ops/s${sink < 0 ? '' : ''}`,
  );
}

// Route matching over 10,000 routes plus the benchmarked one and a few regex rules.
const objects = benchConfig('http://127.0.0.1:9', { routes: 10_000, policies: true });
objects.push({
  ...objects[1],
  id: 'bench/regex',
  rules: [
    {
      ...objects[1].rules[0],
      matches: [
        {
          path: { type: 'RegularExpression', value: '/re/v[0-9]+/.*' },
          method: null,
          headers: [],
          queryParams: [],
        },
      ],
    },
  ],
});
const state = new RuntimeState();
const runtime = compileRuntime({ revision: 1, objects }, state);
const input = { method: 'GET', headers: { host: 'x' }, queryParam: () => null };
bench('route match: prefix among 10k routes', () => runtime.table.match('127.0.0.1', '/bench/item', input));
bench('route match: exact path among 10k routes', () =>
  runtime.table.match('127.0.0.1', '/svc/9999/health', input),
);
bench('route match: exact host + prefix', () =>
  runtime.table.match('svc-4000.example.com', '/svc/4000/api/x', input),
);
bench('route match: regex after prefix miss', () => runtime.table.match('127.0.0.1', '/re/v2/users', input));
bench('route match: miss (404)', () => runtime.table.match('127.0.0.1', '/nothing/here', input));

bench('normalizePath: clean path (no copy)', () => normalizePath('/api/v1/users/42/orders'));
bench('normalizePath: dot segments and escapes', () => normalizePath('/api/./v1/%7Eusers/../42'));
bench('normalizeHost: host with port', () => normalizeHost('API.example.com:8443'));

const requestHeaders = {
  host: 'api.example.com',
  'user-agent': 'bench/1.0',
  accept: 'application/json',
  'accept-encoding': 'gzip, br',
  authorization: 'Bearer abcdef0123456789',
  'x-forwarded-for': '203.0.113.9',
  connection: 'keep-alive',
};
const ctx = {
  clientIp: '10.0.0.7',
  proto: 'http',
  requestId: 'a1b2c3d4e5f6-1z',
  hostRewrite: null,
  modifier: null,
  hiddenHeaders: null,
};
bench('buildUpstreamHeaders: 7 headers', () => buildUpstreamHeaders(requestHeaders, ctx));
const modifier = new HeaderModifier({
  set: [{ name: 'x-env', value: 'prod' }],
  add: [{ name: 'x-tags', value: 'gw' }],
  remove: ['authorization'],
});
const ctxMod = { ...ctx, modifier };
bench('buildUpstreamHeaders: 7 headers + modifier', () => buildUpstreamHeaders(requestHeaders, ctxMod));
const raw = [
  'Server',
  'nginx',
  'Date',
  'Mon, 01 Jan 2025 00:00:00 GMT',
  'Content-Type',
  'application/json',
  'Content-Length',
  '94',
  'Connection',
  'keep-alive',
].map((s) => Buffer.from(s));
bench('buildResponseHeaders: 5 raw headers', () => buildResponseHeaders(raw, 'a1b2c3d4e5f6-1z', null, null));

const main = runtime.table.match('127.0.0.1', '/bench/item', input).target;
const subject = () => ({
  headers: { 'x-api-key': 'bench-key-0123456789abcdef' },
  clientIp: '10.0.0.1',
  consumer: null,
  limiter: null,
  bucket: null,
});
bench(
  'admission: API key (SHA-256 + map) + token bucket',
  () => admit(main, runtime.consumersByKeyHash, subject(), state.clock),
  300_000,
);
bench(
  'sha256 of a 26-byte key (node:crypto)',
  () => createHash('sha256').update('bench-key-0123456789abcdef').digest('hex'),
  300_000,
);

const picker = main.picker;
bench('pick: round robin, 1 backend', () => picker.pick(state.clock, null));
const multi = compileRuntime(
  {
    revision: 2,
    objects: ['RoundRobin', 'Random', 'LeastRequest'].map((lb, i) => ({
      ...objects[0],
      id: `bench/lb-${i}`,
      hostnames: [`lb${i}.test`],
      rules: [
        {
          ...objects[0].rules[0],
          action: {
            kind: 'proxy',
            loadBalancer: lb,
            backends: [1, 2, 3, 4].map((n) => ({
              id: `http://10.0.0.${n}:80`,
              url: `http://10.0.0.${n}:80`,
              weight: n,
            })),
          },
        },
      ],
    })),
  },
  new RuntimeState(),
);
for (const [i, lb] of ['RoundRobin', 'Random', 'LeastRequest'].entries()) {
  const p = multi.table.match(`lb${i}.test`, '/bench/x', input).target.picker;
  bench(`pick: ${lb}, 4 weighted backends`, () => p.pick(state.clock, null));
}
await state.close();

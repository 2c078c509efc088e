// Admin-API steps the benchmarks share: seeding routes with key-auth + rate limit, and timing
// how long a write takes to show in traffic.

export function adminClient(baseUrl, token) {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  return {
    async send(method, path, body, extra = {}) {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { ...headers, ...extra },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text === '' ? undefined : JSON.parse(text);
    },
  };
}

const meta = (name) => ({ name, namespace: 'default' });

function route(i, upstreamUrl, version) {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Route',
    metadata: meta(`svc-${i}`),
    spec: {
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: `/svc-${i}` } }],
          backends: [{ url: upstreamUrl }],
          filters: { responseHeaders: { set: [{ name: 'x-config-version', value: String(version) }] } },
        },
      ],
    },
  };
}

/** Routes svc-<from>..svc-<from+count-1>; the first seed also adds the consumer and the policy. */
export async function seedRoutes(admin, { upstreamUrl, count, apiKey, from = 0 }) {
  let next = from;
  const end = from + count;
  const targets = [];
  const worker = async () => {
    while (next < end) {
      const i = next++;
      await admin.send('POST', '/api/v1/namespaces/default/routes', route(i, upstreamUrl, 0));
      if (i < 10) targets.push({ kind: 'Route', name: `svc-${i}` });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  if (from === 0) {
    await admin.send('POST', '/api/v1/namespaces/default/consumers', {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'Consumer',
      metadata: meta('bench'),
      spec: { apiKeys: [{ name: 'k', value: apiKey }] },
    });
    await admin.send('POST', '/api/v1/namespaces/default/policies', {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'Policy',
      metadata: meta('bench'),
      spec: {
        targetRefs: targets.sort((a, b) => a.name.localeCompare(b.name)),
        authentication: { apiKey: {} },
        rateLimit: { requests: 1_000_000_000, per: 'second' },
      },
    });
  }
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** Replaces route svc-1 `changes` times and times each until the gateway serves the new version. */
export async function measurePropagation(admin, { gatewayUrl, upstreamUrl, changes, headers }) {
  const samples = [];
  for (let v = 1; v <= changes; v++) {
    const current = await fetch(`${gatewayUrl}/svc-1/x`, { headers });
    await current.arrayBuffer();
    const start = performance.now();
    await admin.send('PATCH', '/api/v1/namespaces/default/routes/svc-1', route(1, upstreamUrl, v), {
      'content-type': 'application/merge-patch+json',
    });
    for (;;) {
      const res = await fetch(`${gatewayUrl}/svc-1/x`, { headers });
      await res.arrayBuffer();
      if (res.headers.get('x-config-version') === String(v)) break;
      if (performance.now() - start > 10_000) throw new Error(`change ${v} not served after 10 s`);
      await new Promise((r) => setTimeout(r, 1));
    }
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return {
    samples: samples.length,
    p50: pct(samples, 50),
    p99: pct(samples, 99),
    max: samples[samples.length - 1],
  };
}

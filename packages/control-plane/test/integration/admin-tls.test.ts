/**
 * HTTPS on the admin listener (HUBPO_ADMIN_TLS_CERT / _KEY): the admin API, the cluster API,
 * /metrics and /healthz are all served over TLS on the one port; config checks name the variable.
 */
import { copyFile, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { createTestPki } from '@hubpo/testkit';
import type { TestPki } from '@hubpo/testkit';
import { configFromEnv } from '../../src/control-plane-config.js';
import { TOKEN, startHarness, startTestPostgres, stopTestPostgres } from './harness.js';
import type { Harness } from './harness.js';

jest.setTimeout(60_000);

let pki: TestPki;
let h: Harness | undefined;

beforeAll(async () => {
  pki = await createTestPki();
  await startTestPostgres();
});
afterAll(async () => {
  await stopTestPostgres();
  await pki?.remove();
});
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One HTTPS call that trusts only `ca` (no connection reuse, so nothing outlives the test). */
function httpsCall(url: string, ca: string, token?: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: body === undefined ? 'GET' : 'POST',
        ca,
        agent: false,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('admin listener over HTTPS', () => {
  it('serves the admin API, the cluster API, /metrics and /healthz over TLS only', async () => {
    const ca = await readFile(pki.caCert, 'utf8');
    const otherCa = await readFile(pki.otherCaCert, 'utf8');
    const bootstrap = 'bootstrap-token-0123456789abcdef';
    h = await startHarness({
      adminTls: { certFile: pki.serverCert, keyFile: pki.serverKey },
      bootstrapToken: bootstrap,
      secretKey: Buffer.alloc(32, 7).toString('base64'),
    });
    const base = h.cp.adminUrl;
    expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    expect((await httpsCall(`${base}/healthz`, ca)).status).toBe(200);
    const metrics = await httpsCall(`${base}/metrics`, ca, TOKEN);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('# TYPE');
    expect((await httpsCall(`${base}/api/v1/routes`, ca, TOKEN)).status).toBe(200);
    expect((await httpsCall(`${base}/api/v1/routes`, ca, 'wrong')).status).toBe(401);

    const registered = await httpsCall(`${base}/api/v1/clusters/register`, ca, bootstrap, { name: 'east' });
    expect([200, 201]).toContain(registered.status);
    expect(JSON.parse(registered.body)).toHaveProperty('token');
    expect((await httpsCall(`${base}/api/v1/clusters/register`, ca, 'nope', { name: 'east' })).status).toBe(
      401,
    );

    // A client trusting another CA, or speaking plain HTTP, gets no answer from the API.
    await expect(httpsCall(`${base}/healthz`, otherCa)).rejects.toThrow(/self[- ]signed|unable to verify/i);
    const plain = await fetch(`${base.replace('https:', 'http:')}/healthz`).then(
      (res) => res.status,
      () => 'refused',
    );
    expect(plain).not.toBe(200);
  });

  it('stays plain HTTP without TLS files, and warns only off loopback', async () => {
    h = await startHarness();
    expect(h.cp.adminUrl).toMatch(/^http:\/\//);
    expect(h.logs.text()).not.toContain('plaintext on a non-loopback address');
    await h.stop();
    h = await startHarness({ adminAddr: '0.0.0.0:0' });
    expect(h.cp.adminUrl).toMatch(/^http:\/\//);
    expect(h.logs.text()).toContain(
      'the admin and cluster API are plaintext on a non-loopback address: set HUBPO_ADMIN_TLS_CERT and HUBPO_ADMIN_TLS_KEY',
    );
  });
});

describe('HUBPO_ADMIN_TLS_* configuration', () => {
  const base = { HUBPO_ADMIN_TOKEN: 'token' };

  it('reads the certificate and key files', () => {
    const config = configFromEnv({
      ...base,
      HUBPO_ADMIN_TLS_CERT: pki.serverCert,
      HUBPO_ADMIN_TLS_KEY: pki.serverKey,
    });
    expect(config.adminTls).toEqual({ certFile: pki.serverCert, keyFile: pki.serverKey });
    expect(configFromEnv(base).adminTls).toBeUndefined();
  });

  it('needs both files, naming the missing variable', () => {
    expect(() => configFromEnv({ ...base, HUBPO_ADMIN_TLS_CERT: pki.serverCert })).toThrow(
      'HUBPO_ADMIN_TLS_KEY is required with HUBPO_ADMIN_TLS_CERT',
    );
    expect(() => configFromEnv({ ...base, HUBPO_ADMIN_TLS_KEY: pki.serverKey })).toThrow(
      'HUBPO_ADMIN_TLS_CERT is required with HUBPO_ADMIN_TLS_KEY',
    );
  });

  it('names the variable of an unreadable or wrong file, and refuses a key of another certificate', async () => {
    expect(() =>
      configFromEnv({
        ...base,
        HUBPO_ADMIN_TLS_CERT: join(pki.dir, 'none.crt'),
        HUBPO_ADMIN_TLS_KEY: pki.serverKey,
      }),
    ).toThrow(/HUBPO_ADMIN_TLS_CERT: cannot read .*ENOENT/);
    expect(() =>
      configFromEnv({ ...base, HUBPO_ADMIN_TLS_CERT: pki.serverKey, HUBPO_ADMIN_TLS_KEY: pki.serverKey }),
    ).toThrow(/HUBPO_ADMIN_TLS_CERT: .* holds no PEM CERTIFICATE/);
    const otherKey = join(pki.dir, 'admin-other.key');
    await copyFile(pki.clientKey, otherKey);
    let message = '';
    try {
      configFromEnv({ ...base, HUBPO_ADMIN_TLS_CERT: pki.serverCert, HUBPO_ADMIN_TLS_KEY: otherKey });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      'HUBPO_ADMIN_TLS_KEY does not match the certificate of HUBPO_ADMIN_TLS_CERT (or cannot be loaded)',
    );
    expect(message).not.toContain('PRIVATE KEY');
  });
});

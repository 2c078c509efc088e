import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parse } from 'yaml';
import { createTestPki, type TestPki as PkiFiles } from '../pki/create-test-pki.js';
import { startFakeKube, type FakeKube } from './fake-kube.js';

/** The PEM contents of the throwaway PKI. */
interface Pki {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

let files: PkiFiles;
let pki: Pki;
let fake: FakeKube;
beforeAll(async () => {
  files = await createTestPki();
  const read = (path: string) => readFileSync(path, 'utf8');
  pki = {
    ca: read(files.caCert),
    serverCert: read(files.serverCert),
    serverKey: read(files.serverKey),
    clientCert: read(files.clientCert),
    clientKey: read(files.clientKey),
  };
  fake = await startFakeKube({
    token: 'secret-token',
    tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca },
  });
});
afterAll(async () => {
  await fake?.stop();
  await files?.remove();
});

interface Credentials {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
}

function get(path: string, credentials: Credentials): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${fake.url}${path}`,
      {
        ...(credentials.ca === undefined ? {} : { ca: credentials.ca }),
        ...(credentials.cert === undefined ? {} : { cert: credentials.cert, key: credentials.key }),
        headers: credentials.token === undefined ? {} : { authorization: `Bearer ${credentials.token}` },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('TLS', () => {
  it('serves HTTPS with a certificate a client verifies against the CA, and not without it', async () => {
    expect(fake.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ok = await get('/api/v1/namespaces/default', { ca: pki.ca, token: 'secret-token' });
    expect(ok).toMatchObject({ status: 200, body: { kind: 'Namespace' } });
    await expect(get('/api/v1/namespaces/default', { token: 'secret-token' })).rejects.toThrow(
      /self[- ]signed|unable to verify|local issuer/i,
    );
  });

  it('authenticates a client certificate issued by the CA, and refuses a request with neither', async () => {
    const byCert = await get('/api/v1/namespaces', { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey });
    expect(byCert.status).toBe(200);
    expect(byCert.body.items.map((n: any) => n.metadata.name)).toContain('default');
    const anonymous = await get('/api/v1/namespaces', { ca: pki.ca });
    expect(anonymous).toMatchObject({ status: 401, body: { kind: 'Status', reason: 'Unauthorized' } });
    const wrongToken = await get('/api/v1/namespaces', { ca: pki.ca, token: 'guess' });
    expect(wrongToken.status).toBe(401);
  });

  it('writes a kubeconfig that verifies the server with the CA instead of skipping verification', () => {
    const config = parse(fake.kubeconfig('team'));
    const cluster = config.clusters[0].cluster;
    expect(cluster.server).toBe(fake.url);
    expect(cluster['insecure-skip-tls-verify']).toBeUndefined();
    expect(Buffer.from(cluster['certificate-authority-data'], 'base64').toString()).toBe(pki.ca);
    expect(config.users[0].user.token).toBe('secret-token');
  });
});

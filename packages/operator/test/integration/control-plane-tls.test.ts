/**
 * The operator's control-plane client over HTTPS (HUBPO_CONTROL_PLANE_CA): a small HTTPS cluster
 * API on loopback, with a certificate from a throwaway PKI.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestPki } from '@hubpo/testkit';
import type { TestPki } from '@hubpo/testkit';
import { ControlPlaneClient, ControlPlaneError } from '../../src/control-plane/control-plane-client.js';

jest.setTimeout(30_000);

const BOOTSTRAP = 'tls-test-bootstrap-token';
const REQUEST = { name: 'east', labels: {}, operator: { version: 'test' } };

let pki: TestPki;
let server: Server;
let url: string;
const clients: ControlPlaneClient[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  server = createServer(
    { cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) },
    (req, res) => {
      const authorized = req.headers.authorization === `Bearer ${BOOTSTRAP}`;
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/api/v1/clusters/register' && authorized) {
          res.writeHead(201, { 'content-type': 'application/json' }).end('{"token":"cluster-token"}');
          return;
        }
        res
          .writeHead(401, { 'content-type': 'application/problem+json' })
          .end('{"detail":"bootstrap token required","code":"HUBPO_ERR_UNAUTHENTICATED"}');
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await pki.remove();
});

function client(caFile?: string): ControlPlaneClient {
  const c = new ControlPlaneClient(url, { timeoutMs: 5000, ...(caFile === undefined ? {} : { caFile }) });
  clients.push(c);
  return c;
}

async function failure(call: Promise<unknown>): Promise<ControlPlaneError> {
  const err: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ControlPlaneError);
  return err as ControlPlaneError;
}

describe('ControlPlaneClient over HTTPS', () => {
  it('registers against a control plane whose certificate chains to HUBPO_CONTROL_PLANE_CA', async () => {
    await expect(client(pki.caCert).register(BOOTSTRAP, REQUEST)).resolves.toEqual({
      token: 'cluster-token',
    });
  });

  it('still needs the bootstrap token over TLS', async () => {
    const err = await failure(client(pki.caCert).register('wrong-token', REQUEST));
    expect(err.status).toBe(401);
    expect(err.message).toBe('bootstrap token required');
  });

  it('refuses a control plane signed by another CA, naming HUBPO_CONTROL_PLANE_CA', async () => {
    const err = await failure(client(pki.otherCaCert).register(BOOTSTRAP, REQUEST));
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/TLS certificate is not trusted .*HUBPO_CONTROL_PLANE_CA/);
    expect(err.message).not.toContain(BOOTSTRAP);
  });

  it('refuses a private CA it was not given (system CAs only)', async () => {
    const err = await failure(client().register(BOOTSTRAP, REQUEST));
    expect(err.message).toMatch(/TLS certificate is not trusted/);
  });

  it('names HUBPO_CONTROL_PLANE_CA when the bundle cannot be read', () => {
    expect(() => client(`${pki.dir}/missing.crt`)).toThrow(/HUBPO_CONTROL_PLANE_CA: cannot read .*ENOENT/);
    expect(() => client(pki.serverKey)).toThrow(/HUBPO_CONTROL_PLANE_CA: .* holds no PEM CERTIFICATE/);
  });
});

/**
 * A standalone fake Kubernetes API server for trying the "real cluster" path of the operator
 * tests without a cluster: it serves HTTPS with a throw-away CA, writes a kubeconfig whose user
 * authenticates with a client certificate (files beside it, referenced by relative paths, as
 * kind and kubeadm write them), prints `KUBECONFIG=<path>` and runs until SIGINT/SIGTERM.
 *
 *   node --conditions=hubpo-source --import tsx e2e/operator/support/serve-fake-kube.ts [--token] [--plain]
 *
 * `--token`: the kubeconfig user carries a bearer token instead of a client certificate.
 * `--plain`: plain HTTP (the fake's default), token auth. See docs/design/operator.md.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createTestPki, startFakeKube } from '@hubpo/testkit';

const args = new Set(process.argv.slice(2));
for (const arg of args) {
  if (arg !== '--token' && arg !== '--plain') {
    process.stderr.write(`unknown argument ${arg} (use --token, --plain)\n`);
    process.exit(2);
  }
}
// The CA, certificates and the kubeconfig share one temporary directory (removed on exit).
const pki = await createTestPki();
const token = randomBytes(24).toString('hex');
const plain = args.has('--plain');
const read = (path: string) => readFileSync(path, 'utf8');
const fake = await startFakeKube({
  token,
  ...(plain ? {} : { tls: { cert: read(pki.serverCert), key: read(pki.serverKey), ca: read(pki.caCert) } }),
});
const kubeconfigPath = join(pki.dir, 'kubeconfig');
if (plain) {
  writeFileSync(kubeconfigPath, fake.kubeconfig(), { mode: 0o600 });
} else {
  const user = args.has('--token')
    ? { token }
    : { 'client-certificate': 'gw-test.crt', 'client-key': 'gw-test.key' };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'standalone', cluster: { server: fake.url, 'certificate-authority': 'ca.crt' } }],
    users: [{ name: 'standalone-admin', user }],
    contexts: [{ name: 'standalone', context: { cluster: 'standalone', user: 'standalone-admin' } }],
    'current-context': 'standalone',
  };
  writeFileSync(kubeconfigPath, stringify(config), { mode: 0o600 });
}
process.stdout.write(`${fake.url}\nKUBECONFIG=${kubeconfigPath}\n`);

const stop = (): void => {
  void fake
    .stop()
    .then(() => pki.remove())
    .finally(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

import { stringify } from 'yaml';

export interface KubeconfigOptions {
  readonly server: string;
  readonly token: string;
  readonly namespace?: string;
  readonly name?: string;
}

/**
 * A kubeconfig with one cluster (plain HTTP), one static-token user and a current context using both.
 * `insecure-skip-tls-verify` is set because @kubernetes/client-node 1.x refuses an `http:` server
 * without it ("HTTP protocol is not allowed when skipTLSVerify is not set or false"); kubectl ignores it.
 */
export function renderKubeconfig(options: KubeconfigOptions): string {
  const name = options.name ?? 'hubpo-fake';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: options.server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: { token: options.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: options.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

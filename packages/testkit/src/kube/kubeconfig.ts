import { stringify } from 'yaml';

export interface KubeconfigOptions {
  readonly server: string;
  readonly token: string;
  readonly namespace?: string;
  readonly name?: string;
  /** The CA (PEM) of an `https:` server; without it TLS verification is skipped. */
  readonly certificateAuthority?: string;
}

/**
 * A kubeconfig with one cluster (plain HTTP, or HTTPS verified against `certificateAuthority`),
 * one static-token user and a current context using both.
 * `insecure-skip-tls-verify` is set because @kubernetes/client-node 1.x refuses an `http:` server
 * without it ("HTTP protocol is not allowed when skipTLSVerify is not set or false"); kubectl ignores it.
 */
export function renderKubeconfig(options: KubeconfigOptions): string {
  const name = options.name ?? 'hubpo-fake';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster:
          options.certificateAuthority === undefined
            ? { server: options.server, 'insecure-skip-tls-verify': true }
            : {
                server: options.server,
                'certificate-authority-data': Buffer.from(options.certificateAuthority).toString('base64'),
              },
      },
    ],
    users: [{ name, user: { token: options.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: options.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

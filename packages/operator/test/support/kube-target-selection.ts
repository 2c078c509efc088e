import { delimiter, dirname, isAbsolute, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

/** Which Kubernetes an operator test file talks to. */
export type KubeTargetChoice =
  | { readonly kind: 'fake' }
  | {
      readonly kind: 'real';
      /** The files of `KUBECONFIG`, in order (kubectl's merge order). */
      readonly kubeconfigPaths: readonly string[];
      /** Apply the CRDs from crds/ (server-side, forced); off when they are installed already. */
      readonly applyCrds: boolean;
    };

/**
 * The fake API server unless `KUBECONFIG` names at least one file; `fake: true` (fault injection)
 * and `HUBPO_TEST_KUBE=fake` (a developer whose shell exports KUBECONFIG for other work) force the
 * fake. `~/.kube/config` alone never selects a real cluster: running against one is opt-in.
 * `HUBPO_TEST_APPLY_CRDS=false` skips applying the CRDs (installed by the chart, or the test user
 * may not write CRDs).
 */
export function selectKubeTarget(
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly fake?: boolean } = {},
): KubeTargetChoice {
  if (options.fake === true) return { kind: 'fake' };
  const forced = (env['HUBPO_TEST_KUBE'] ?? '').trim().toLowerCase();
  if (forced === 'fake') return { kind: 'fake' };
  if (forced !== '' && forced !== 'kubeconfig')
    throw new Error(`HUBPO_TEST_KUBE must be "fake" or "kubeconfig", not "${forced}"`);
  const kubeconfigPaths = (env['KUBECONFIG'] ?? '').split(delimiter).filter((p) => p.trim() !== '');
  if (kubeconfigPaths.length === 0) {
    if (forced === 'kubeconfig') throw new Error('HUBPO_TEST_KUBE=kubeconfig needs KUBECONFIG');
    return { kind: 'fake' };
  }
  const apply = (env['HUBPO_TEST_APPLY_CRDS'] ?? 'true').trim().toLowerCase();
  return { kind: 'real', kubeconfigPaths, applyCrds: !['false', '0', 'no'].includes(apply) };
}

type Named = { name?: unknown } & Record<string, unknown>;

/** Fields of a kubeconfig that name files, relative to the kubeconfig's own directory. */
const FILE_FIELDS: Readonly<Record<'clusters' | 'users', readonly string[]>> = Object.freeze({
  clusters: ['certificate-authority'],
  users: ['client-certificate', 'client-key', 'tokenFile'],
});

/**
 * Merges kubeconfig files the way kubectl does for `KUBECONFIG=a:b`: the first file that defines
 * a cluster, user or context name wins, and so does the first non-empty `current-context`. File
 * paths inside each file become absolute (they are relative to that file), so the result works as
 * a single in-memory kubeconfig. Throws when no current context is set or it is not defined.
 */
export function mergeKubeconfigs(files: readonly { readonly path: string; readonly yaml: string }[]): string {
  const merged: Record<'clusters' | 'users' | 'contexts', Named[]> = {
    clusters: [],
    users: [],
    contexts: [],
  };
  let current = '';
  for (const file of files) {
    const config = (parse(file.yaml) ?? {}) as Record<string, unknown>;
    const base = dirname(resolve(file.path));
    for (const section of ['clusters', 'users', 'contexts'] as const) {
      const entries = Array.isArray(config[section]) ? (config[section] as Named[]) : [];
      for (const entry of entries) {
        if (merged[section].some((e) => e.name === entry.name)) continue;
        merged[section].push(section === 'contexts' ? entry : absolutePaths(section, entry, base));
      }
    }
    const ctx = config['current-context'];
    if (current === '' && typeof ctx === 'string') current = ctx;
  }
  if (current === '') throw new Error('the kubeconfig has no current-context');
  if (!merged.contexts.some((c) => c.name === current))
    throw new Error(`the kubeconfig's current-context "${current}" is not defined`);
  return stringify({ apiVersion: 'v1', kind: 'Config', ...merged, 'current-context': current });
}

function absolutePaths(section: 'clusters' | 'users', entry: Named, base: string): Named {
  const key = section === 'clusters' ? 'cluster' : 'user';
  const body = entry[key];
  if (typeof body !== 'object' || body === null) return entry;
  const fixed: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of FILE_FIELDS[section]) {
    const value = fixed[field];
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) fixed[field] = resolve(base, value);
  }
  return { ...entry, [key]: fixed };
}

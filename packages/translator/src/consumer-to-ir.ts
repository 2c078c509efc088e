import type { Consumer } from '@hubpo/api';
import { compareStrings, sortedUnique } from './compare.js';
import type { IrConsumer } from './ir.js';
import { byAge } from './meta-of.js';
import { Reasons } from './reasons.js';
import type { StatusBuilder } from './status-builder.js';
import type { TranslationContext } from './translation-context.js';

/**
 * A Consumer in IR form, before duplicate keys across consumers are settled
 * (`settleDuplicateKeys`). Keys without a hash are left out (SecretNotFound); allowed models and
 * routes that are not in the cluster are dropped (ModelNotFound, RouteNotFound), so a list that
 * named only missing objects becomes empty, never "all".
 */
export function consumerToIr(consumer: Consumer, status: StatusBuilder, ctx: TranslationContext): IrConsumer {
  const { namespace } = status.meta;
  const keys: { name: string; sha256: string }[] = [];
  const hashes = new Set<string>();
  (consumer.spec.apiKeys ?? []).forEach((key, i) => {
    const at = `spec.apiKeys[${i}]`;
    if (key.sha256 === undefined) {
      const source =
        key.secretRef === undefined
          ? 'its value was not hashed by the control plane'
          : `key "${key.secretRef.key}" of Secret ${key.secretRef.namespace ?? namespace}/${key.secretRef.name} was not found`;
      status.unresolved(Reasons.SecretNotFound, `${at} ("${key.name}"): ${source}, so the key is left out`);
      return;
    }
    // The same key twice in one consumer is not ambiguous; the first entry is enough.
    if (hashes.has(key.sha256)) return;
    hashes.add(key.sha256);
    keys.push({ name: key.name, sha256: key.sha256 });
  });
  const allowedModels = resolveNames(consumer.spec.allowedModels, 'spec.allowedModels', (name, at) => {
    if (ctx.modelNames.has(name)) return name;
    status.unresolved(
      Reasons.ModelNotFound,
      `${at}: no AIModel named "${name}" in cluster "${ctx.cluster.name}"`,
    );
    return null;
  });
  const allowedRoutes = resolveNames(consumer.spec.allowedRoutes, 'spec.allowedRoutes', (name, at) => {
    const id = `${namespace}/${name}`;
    if (ctx.routeIds.has(id)) return id;
    status.unresolved(
      Reasons.RouteNotFound,
      `${at}: no accepted Route ${id} in cluster "${ctx.cluster.name}"`,
    );
    return null;
  });
  return {
    kind: 'Consumer',
    meta: status.meta,
    apiKeys: keys.sort((a, b) => compareStrings(a.name, b.name)),
    allowedModels,
    allowedRoutes,
  };
}

function resolveNames(
  names: readonly string[] | undefined,
  at: string,
  resolve: (name: string, at: string) => string | null,
): string[] | null {
  if (names === undefined) return null;
  const resolved: string[] = [];
  names.forEach((name, i) => {
    const value = resolve(name, `${at}[${i}]`);
    if (value !== null) resolved.push(value);
  });
  return sortedUnique(resolved);
}

/**
 * The same key hash on two consumers is ambiguous authentication, so it must not authenticate
 * either way at random: consumers are taken oldest first, each claims its hashes, and a consumer
 * presenting a hash already claimed is rejected (DuplicateKey) and claims nothing. Returns the
 * consumers that stay, sorted by id.
 */
export function settleDuplicateKeys(
  consumers: readonly { readonly ir: IrConsumer; readonly status: StatusBuilder }[],
): IrConsumer[] {
  const owners = new Map<string, string>();
  const kept: IrConsumer[] = [];
  for (const { ir, status } of [...consumers].sort((a, b) => byAge(a.ir, b.ir))) {
    const clashes = ir.apiKeys.filter((k) => owners.has(k.sha256));
    if (clashes.length > 0) {
      for (const key of clashes) {
        const owner = owners.get(key.sha256) ?? '';
        status.reject(
          Reasons.DuplicateKey,
          `API key "${key.name}" is also a key of Consumer ${owner}, which takes precedence as the older consumer`,
        );
      }
      continue;
    }
    for (const key of ir.apiKeys) owners.set(key.sha256, ir.meta.id);
    kept.push(ir);
  }
  return kept.sort((a, b) => compareStrings(a.meta.id, b.meta.id));
}

import { HubpoError } from '@hubpo/core';

/**
 * Key of a resource within a snapshot: `<kind>/<name>`. A kind never contains "/" (names may,
 * e.g. `<namespace>/<name>`), so a key splits at its first "/".
 */
export function resourceKey(kind: string, name: string): string {
  if (kind.length === 0 || kind.includes('/')) {
    throw new HubpoError('SNAPSHOT_INVALID', `invalid resource kind ${JSON.stringify(kind)}`);
  }
  if (name.length === 0) {
    throw new HubpoError('SNAPSHOT_INVALID', `empty resource name (kind ${kind})`);
  }
  return `${kind}/${name}`;
}

/** Inverse of `resourceKey`. */
export function parseResourceKey(key: string): { readonly kind: string; readonly name: string } {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) {
    throw new HubpoError('SNAPSHOT_INVALID', `invalid resource key ${JSON.stringify(key)}`);
  }
  return { kind: key.slice(0, slash), name: key.slice(slash + 1) };
}

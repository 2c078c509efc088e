import { GROUP, KINDS, KIND_NAMES, VERSION } from '@hubpo/api';
import type { KindName } from '@hubpo/api';
import type { ResourceType } from './kube-client.js';

/** The hubpo.io kinds the operator reconciles, by kind name. */
export const HUBPO_RESOURCES: Readonly<Record<KindName, ResourceType>> = Object.freeze(
  Object.fromEntries(
    KIND_NAMES.map((kind) => [
      kind,
      Object.freeze({ group: GROUP, version: VERSION, kind, plural: KINDS[kind].plural, namespaced: true }),
    ]),
  ) as Record<KindName, ResourceType>,
);

export const SECRETS: ResourceType = Object.freeze({
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
});

export const NAMESPACES: ResourceType = Object.freeze({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
});

/** `/api/v1` or `/apis/<group>/<version>`, then the namespace and plural. */
export function collectionPath(resource: ResourceType, namespace: string | undefined): string {
  const base =
    resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const ns =
    resource.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${resource.plural}`;
}

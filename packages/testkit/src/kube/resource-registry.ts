import { getRecord, getString, getStringArray, isRecord, type JsonObject } from './json-value.js';
import { KubeStatusError, type StatusCause } from './kube-status.js';

/** One served resource: a group/version/kind and how the server treats it. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  readonly statusSubresource: boolean;
  /** Only custom resources and CRDs carry `metadata.generation`; ConfigMaps, Secrets, Leases... do not. */
  readonly hasGeneration: boolean;
  /** Custom resources list their items with apiVersion/kind; built-in lists leave them out. */
  readonly itemsHaveKind: boolean;
  readonly selectableFields: readonly string[];
  /** Objects of every version of one group+plural share one storage (`group/plural`). */
  readonly storageKey: string;
  readonly builtIn: boolean;
}

/** What `FakeKube.registerCrd` takes: one served version of a custom resource. */
export interface CrdRegistration {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular?: string;
  readonly shortNames?: readonly string[];
  readonly namespaced: boolean;
  readonly statusSubresource: boolean;
}

export const CRD_GROUP = 'apiextensions.k8s.io';
export const CRD_PLURAL = 'customresourcedefinitions';
const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const META_FIELDS = ['metadata.name', 'metadata.namespace'];
const EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

interface TypeSpec {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular?: string;
  readonly shortNames?: readonly string[];
  readonly namespaced: boolean;
  readonly statusSubresource: boolean;
  readonly hasGeneration: boolean;
  readonly builtIn: boolean;
  readonly selectableFields?: readonly string[];
}

function makeType(spec: TypeSpec): ResourceType {
  return Object.freeze({
    group: spec.group,
    version: spec.version,
    apiVersion: spec.group === '' ? spec.version : `${spec.group}/${spec.version}`,
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.singular ?? spec.kind.toLowerCase(),
    shortNames: Object.freeze([...(spec.shortNames ?? [])]),
    namespaced: spec.namespaced,
    statusSubresource: spec.statusSubresource,
    hasGeneration: spec.hasGeneration,
    itemsHaveKind: !spec.builtIn,
    selectableFields: Object.freeze([...META_FIELDS, ...(spec.selectableFields ?? [])]),
    storageKey: `${spec.group}/${spec.plural}`,
    builtIn: spec.builtIn,
  });
}

const BUILT_INS: readonly ResourceType[] = [
  {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    shortNames: ['ns'],
    namespaced: false,
    statusSubresource: true,
    hasGeneration: false,
    builtIn: true,
    selectableFields: ['status.phase'],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Secret',
    plural: 'secrets',
    namespaced: true,
    statusSubresource: false,
    hasGeneration: false,
    builtIn: true,
    selectableFields: ['type'],
  },
  {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    shortNames: ['cm'],
    namespaced: true,
    statusSubresource: false,
    hasGeneration: false,
    builtIn: true,
  },
  {
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    shortNames: ['ev'],
    namespaced: true,
    statusSubresource: false,
    hasGeneration: false,
    builtIn: true,
    selectableFields: EVENT_FIELDS,
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
    statusSubresource: false,
    hasGeneration: false,
    builtIn: true,
  },
  {
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    shortNames: ['ev'],
    namespaced: true,
    statusSubresource: false,
    hasGeneration: false,
    builtIn: true,
  },
  {
    group: CRD_GROUP,
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: CRD_PLURAL,
    shortNames: ['crd', 'crds'],
    namespaced: false,
    statusSubresource: true,
    hasGeneration: true,
    builtIn: true,
  },
].map(makeType);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function crdInvalid(name: string, causes: StatusCause[]): KubeStatusError {
  return KubeStatusError.invalid(
    { group: CRD_GROUP, plural: CRD_PLURAL },
    'CustomResourceDefinition',
    name,
    causes,
  );
}

function selectableFieldsOf(version: JsonObject): string[] {
  const fields = version['selectableFields'];
  if (!Array.isArray(fields)) return [];
  return fields
    .map((f) => (isRecord(f) ? getString(f, 'jsonPath') : undefined))
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/^\./, ''));
}

/** Checks a CustomResourceDefinition the way the API server's validation does (the parts that matter here). */
export function validateCrd(crd: JsonObject): void {
  const name = getString(getRecord(crd, 'metadata'), 'name') ?? '';
  const spec = getRecord(crd, 'spec') ?? {};
  const names = getRecord(spec, 'names') ?? {};
  const group = getString(spec, 'group') ?? '';
  const plural = getString(names, 'plural') ?? '';
  const causes: StatusCause[] = [];
  const add = (field: string, message: string) => causes.push({ type: 'FieldValueInvalid', field, message });
  if (group === '' || !group.includes('.')) add('spec.group', 'should be a domain with at least one dot');
  if (!DNS_LABEL.test(plural)) add('spec.names.plural', 'Required value: a lowercase DNS label');
  if (!getString(names, 'kind')) add('spec.names.kind', 'Required value');
  if (name !== `${plural}.${group}`) add('metadata.name', `must be spec.names.plural+"."+spec.group`);
  const scope = getString(spec, 'scope');
  if (scope !== 'Namespaced' && scope !== 'Cluster')
    add('spec.scope', 'Unsupported value: must be "Namespaced" or "Cluster"');
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isRecord) : [];
  if (versions.length === 0) add('spec.versions', 'Required value: must have at least one version');
  if (versions.filter((v) => v['storage'] === true).length !== 1) {
    add('spec.versions', 'Invalid value: must have exactly one version marked as storage version');
  }
  if (BUILT_INS.some((t) => t.group === group))
    add('spec.group', `group ${group} is served by the server itself`);
  if (causes.length > 0) throw crdInvalid(name, causes);
}

/** The resource types a (validated) CRD object serves: one per served version. */
export function typesFromCrd(crd: JsonObject): ResourceType[] {
  const spec = getRecord(crd, 'spec') ?? {};
  const names = getRecord(spec, 'names') ?? {};
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isRecord) : [];
  return versions
    .filter((v) => v['served'] !== false)
    .map((v) => {
      const kind = getString(names, 'kind') ?? '';
      const singular = getString(names, 'singular');
      return makeType({
        group: getString(spec, 'group') ?? '',
        version: getString(v, 'name') ?? '',
        kind,
        plural: getString(names, 'plural') ?? '',
        ...(singular === undefined ? {} : { singular }),
        shortNames: getStringArray(names, 'shortNames'),
        namespaced: getString(spec, 'scope') === 'Namespaced',
        statusSubresource: isRecord(getRecord(v, 'subresources')?.['status']),
        hasGeneration: true,
        builtIn: false,
        selectableFields: selectableFieldsOf(v),
      });
    });
}

/** A CRD object equivalent to a `registerCrd` call (schema: preserve unknown fields). */
export function crdFromRegistration(reg: CrdRegistration): JsonObject {
  return {
    apiVersion: `${CRD_GROUP}/v1`,
    kind: 'CustomResourceDefinition',
    metadata: { name: `${reg.plural}.${reg.group}` },
    spec: {
      group: reg.group,
      scope: reg.namespaced ? 'Namespaced' : 'Cluster',
      names: {
        kind: reg.kind,
        listKind: `${reg.kind}List`,
        plural: reg.plural,
        singular: reg.singular ?? reg.kind.toLowerCase(),
        ...(reg.shortNames === undefined ? {} : { shortNames: [...reg.shortNames] }),
      },
      versions: [crdVersion(reg)],
    },
  };
}

export function crdVersion(reg: CrdRegistration): JsonObject {
  return {
    name: reg.version,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    ...(reg.statusSubresource ? { subresources: { status: {} } } : {}),
  };
}

/** The status the CRD controllers of a real cluster write once the names are accepted. */
export function establishedCrdStatus(crd: JsonObject, now: string): JsonObject {
  const spec = getRecord(crd, 'spec') ?? {};
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isRecord) : [];
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    acceptedNames: getRecord(spec, 'names') ?? {},
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    storedVersions: versions.filter((v) => v['storage'] === true).map((v) => getString(v, 'name') ?? ''),
  };
}

export class ResourceRegistry {
  /** `group/version` -> plural -> type. */
  readonly #byGroupVersion = new Map<string, Map<string, ResourceType>>();
  /** CRD name -> the types it serves. */
  readonly #byCrd = new Map<string, ResourceType[]>();

  constructor() {
    for (const type of BUILT_INS) this.#add(type);
  }

  #add(type: ResourceType): void {
    let plurals = this.#byGroupVersion.get(type.apiVersion);
    if (!plurals) {
      plurals = new Map();
      this.#byGroupVersion.set(type.apiVersion, plurals);
    }
    plurals.set(type.plural, type);
  }

  /** Replaces what a CRD serves; returns the storage keys it no longer serves. */
  setCrd(crdName: string, types: readonly ResourceType[]): string[] {
    const previous = this.removeCrd(crdName);
    for (const type of types) this.#add(type);
    this.#byCrd.set(crdName, [...types]);
    const kept = new Set(types.map((t) => t.storageKey));
    return previous.filter((key) => !kept.has(key));
  }

  /** Unregisters a CRD; returns the storage keys it served. */
  removeCrd(crdName: string): string[] {
    const types = this.#byCrd.get(crdName) ?? [];
    for (const type of types) this.#byGroupVersion.get(type.apiVersion)?.delete(type.plural);
    for (const type of types) {
      if (this.#byGroupVersion.get(type.apiVersion)?.size === 0) this.#byGroupVersion.delete(type.apiVersion);
    }
    this.#byCrd.delete(crdName);
    return [...new Set(types.map((t) => t.storageKey))];
  }

  lookup(apiVersion: string, plural: string): ResourceType | undefined {
    return this.#byGroupVersion.get(apiVersion)?.get(plural);
  }

  /** By kind, plural, singular or short name (case-insensitive), as kubectl resolves names. */
  resolve(apiVersion: string, kindOrName: string): ResourceType | undefined {
    const plurals = this.#byGroupVersion.get(apiVersion);
    if (!plurals) return undefined;
    const wanted = kindOrName.toLowerCase();
    for (const type of plurals.values()) {
      const names = [type.kind.toLowerCase(), type.plural, type.singular, ...type.shortNames];
      if (names.includes(wanted)) return type;
    }
    return undefined;
  }

  /** One served type per storage (a CRD's versions share one). */
  storageTypes(): ResourceType[] {
    const byStorage = new Map<string, ResourceType>();
    for (const plurals of this.#byGroupVersion.values()) {
      for (const type of plurals.values())
        if (!byStorage.has(type.storageKey)) byStorage.set(type.storageKey, type);
    }
    return [...byStorage.values()];
  }

  /** `/api`: the core group's versions. */
  coreVersions(serverAddress: string): JsonObject {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }

  #groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const plurals of this.#byGroupVersion.values()) {
      const first = plurals.values().next().value;
      if (!first || first.group === '') continue;
      groups.set(first.group, [...(groups.get(first.group) ?? []), first.version]);
    }
    return groups;
  }

  #groupDocument(group: string, versions: readonly string[]): JsonObject {
    const entries = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
    return { name: group, versions: entries, preferredVersion: entries[0] };
  }

  /** `/apis`: every group with its versions. */
  groupList(): JsonObject {
    const groups = [...this.#groups()].map(([group, versions]) => this.#groupDocument(group, versions));
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }

  /** `/apis/<group>`, or undefined when the group is not served. */
  group(group: string): JsonObject | undefined {
    const versions = this.#groups().get(group);
    if (!versions) return undefined;
    return { kind: 'APIGroup', apiVersion: 'v1', ...this.#groupDocument(group, versions) };
  }

  /** `/api/v1` or `/apis/<group>/<version>`: the resources of one group version. */
  resourceList(apiVersion: string): JsonObject | undefined {
    const plurals = this.#byGroupVersion.get(apiVersion);
    if (!plurals) return undefined;
    const resources: JsonObject[] = [];
    for (const type of plurals.values()) {
      resources.push({
        name: type.plural,
        singularName: type.singular,
        namespaced: type.namespaced,
        kind: type.kind,
        verbs: ALL_VERBS,
        ...(type.shortNames.length > 0 ? { shortNames: [...type.shortNames] } : {}),
      });
      if (type.statusSubresource) {
        resources.push({
          name: `${type.plural}/status`,
          singularName: '',
          namespaced: type.namespaced,
          kind: type.kind,
          verbs: ['get', 'patch', 'update'],
        });
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersion, resources };
  }
}

/** A stored object as served through `type`'s version (a CRD's versions share storage, no conversion). */
export function renderAs(type: ResourceType, object: JsonObject): JsonObject {
  return { apiVersion: type.apiVersion, kind: type.kind, ...withoutTypeMeta(object) };
}

export function withoutTypeMeta(object: JsonObject): JsonObject {
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}

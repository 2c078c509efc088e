import { deepEqual, getRecord, isRecord, type JsonObject } from './json-value.js';

/**
 * Field ownership (`metadata.managedFields`, https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management).
 *
 * A field is a path of segments: `f:<name>` for a map member and `v:<json>` for a member of a set.
 * Maps are tracked member by member down to the leaves; lists are atomic (the default for custom
 * resources without `x-kubernetes-list-type`), except `metadata.finalizers`, which is a set as in
 * ObjectMeta. Tracked metadata: labels, annotations, finalizers and ownerReferences; apiVersion,
 * kind and the rest of metadata are not owned by anyone. Paths are kept as their JSON encoding.
 */
export type FieldKey = string;
export type Operation = 'Apply' | 'Update';

export interface ManagerEntry {
  readonly manager: string;
  readonly operation: Operation;
  readonly subresource: string | undefined;
  apiVersion: string;
  time: string;
  fields: Set<FieldKey>;
}

export interface Manager {
  readonly manager: string;
  readonly subresource: string | undefined;
  readonly apiVersion: string;
}

const TRACKED_METADATA_MAPS = ['labels', 'annotations'];

export function segmentsOf(key: FieldKey): string[] {
  return JSON.parse(key) as string[];
}

function keyOf(segments: readonly string[]): FieldKey {
  return JSON.stringify(segments);
}

function walk(value: unknown, segments: string[], out: Set<FieldKey>): void {
  if (isRecord(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) walk(v, [...segments, `f:${k}`], out);
  } else {
    out.add(keyOf(segments));
  }
}

/** Every owned-able leaf of an object. */
export function leafFields(object: JsonObject): Set<FieldKey> {
  const out = new Set<FieldKey>();
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    walk(value, [`f:${key}`], out);
  }
  const meta = getRecord(object, 'metadata') ?? {};
  for (const key of TRACKED_METADATA_MAPS) {
    const map = getRecord(meta, key);
    if (map) for (const [k, v] of Object.entries(map)) walk(v, ['f:metadata', `f:${key}`, `f:${k}`], out);
  }
  const finalizers = meta['finalizers'];
  if (Array.isArray(finalizers)) {
    for (const f of finalizers) out.add(keyOf(['f:metadata', 'f:finalizers', `v:${JSON.stringify(f)}`]));
  }
  if (meta['ownerReferences'] !== undefined) out.add(keyOf(['f:metadata', 'f:ownerReferences']));
  return out;
}

/** The value at a field, or undefined when the object does not have it. */
export function valueAt(object: unknown, key: FieldKey): unknown {
  let node = object;
  for (const segment of segmentsOf(key)) {
    if (segment.startsWith('v:')) {
      const wanted: unknown = JSON.parse(segment.slice(2));
      node = Array.isArray(node) && node.some((item) => deepEqual(item, wanted)) ? wanted : undefined;
    } else {
      node = isRecord(node) ? node[segment.slice(2)] : undefined;
    }
    if (node === undefined) return undefined;
  }
  return node;
}

/** Removes a field from an object in place (a set member from its list). */
export function removeAt(object: JsonObject, key: FieldKey): void {
  const segments = segmentsOf(key);
  let node: unknown = object;
  for (const segment of segments.slice(0, -1)) {
    node = isRecord(node) ? node[segment.slice(2)] : undefined;
  }
  const last = segments[segments.length - 1] as string;
  if (last.startsWith('v:')) {
    const parentKey = keyOf(segments.slice(0, -1));
    const list = valueAt(object, parentKey);
    const wanted: unknown = JSON.parse(last.slice(2));
    const parent = segmentsOf(parentKey);
    let holder: unknown = object;
    for (const segment of parent.slice(0, -1))
      holder = isRecord(holder) ? holder[segment.slice(2)] : undefined;
    if (isRecord(holder) && Array.isArray(list)) {
      holder[(parent[parent.length - 1] as string).slice(2)] = list.filter(
        (item) => !deepEqual(item, wanted),
      );
    }
  } else if (isRecord(node)) {
    delete node[last.slice(2)];
  }
}

/** One field is the other or lies inside it. */
export function related(a: FieldKey, b: FieldKey): boolean {
  if (a === b) return true;
  const prefixA = a.slice(0, -1);
  const prefixB = b.slice(0, -1);
  return b.startsWith(`${prefixA},`) || a.startsWith(`${prefixB},`);
}

/** `.spec.replicas`, `.metadata.finalizers[="x"]`: how the API server prints a field in conflicts. */
export function renderField(key: FieldKey): string {
  return segmentsOf(key)
    .map((s) => (s.startsWith('v:') ? `[=${s.slice(2)}]` : `.${s.slice(2)}`))
    .join('');
}

function encode(fields: ReadonlySet<FieldKey>): JsonObject {
  const root: JsonObject = {};
  for (const key of [...fields].sort()) {
    let node = root;
    for (const segment of segmentsOf(key)) {
      const next = node[segment];
      if (isRecord(next)) node = next;
      else {
        const created: JsonObject = {};
        node[segment] = created;
        node = created;
      }
    }
  }
  return root;
}

function decode(node: JsonObject, segments: string[], out: Set<FieldKey>): void {
  const children = Object.keys(node).filter((k) => k !== '.');
  if (children.length === 0 && segments.length > 0) out.add(keyOf(segments));
  for (const child of children) {
    const value = node[child];
    if (isRecord(value)) decode(value, [...segments, child], out);
  }
}

export function readManagedFields(object: JsonObject | undefined): ManagerEntry[] {
  const raw = object === undefined ? undefined : getRecord(object, 'metadata')?.['managedFields'];
  if (!Array.isArray(raw)) return [];
  return raw.filter(isRecord).map((entry) => {
    const fields = new Set<FieldKey>();
    const fieldsV1 = getRecord(entry, 'fieldsV1');
    if (fieldsV1) decode(fieldsV1, [], fields);
    const subresource = entry['subresource'];
    return {
      manager: String(entry['manager'] ?? ''),
      operation: entry['operation'] === 'Apply' ? 'Apply' : 'Update',
      subresource: typeof subresource === 'string' ? subresource : undefined,
      apiVersion: String(entry['apiVersion'] ?? ''),
      time: String(entry['time'] ?? ''),
      fields,
    };
  });
}

export function writeManagedFields(object: JsonObject, entries: readonly ManagerEntry[]): void {
  const meta = getRecord(object, 'metadata') ?? {};
  object['metadata'] = meta;
  const kept = entries.filter((e) => e.fields.size > 0);
  if (kept.length === 0) {
    delete meta['managedFields'];
    return;
  }
  meta['managedFields'] = kept.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    time: e.time,
    fieldsType: 'FieldsV1',
    fieldsV1: encode(e.fields),
    ...(e.subresource === undefined ? {} : { subresource: e.subresource }),
  }));
}

export function findEntry(entries: ManagerEntry[], who: Manager, operation: Operation): ManagerEntry {
  const found = entries.find(
    (e) => e.manager === who.manager && e.operation === operation && e.subresource === who.subresource,
  );
  if (found) return found;
  const created: ManagerEntry = {
    manager: who.manager,
    operation,
    subresource: who.subresource,
    apiVersion: who.apiVersion,
    time: '',
    fields: new Set(),
  };
  entries.push(created);
  return created;
}

/**
 * Ownership after a create, update or non-apply patch: the writer takes every field it changed
 * (from whoever owned it, without conflicts) and fields that no longer exist are owned by nobody.
 * Rewrites `next.metadata.managedFields`.
 */
export function trackUpdate(prev: JsonObject | undefined, next: JsonObject, who: Manager, now: string): void {
  const entries = readManagedFields(prev);
  const changed = [...leafFields(next)].filter((key) => !deepEqual(valueAt(prev, key), valueAt(next, key)));
  const writer = findEntry(entries, who, 'Update');
  for (const entry of entries) {
    for (const key of entry.fields) {
      const stale = valueAt(next, key) === undefined;
      const taken = entry !== writer && changed.some((c) => related(c, key));
      if (stale || taken) entry.fields.delete(key);
    }
  }
  if (changed.length > 0) {
    for (const key of changed) writer.fields.add(key);
    writer.time = now;
    writer.apiVersion = who.apiVersion;
  }
  writeManagedFields(next, entries);
}

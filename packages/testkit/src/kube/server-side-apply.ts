import { clone, deepEqual, getRecord, isRecord, type JsonObject } from './json-value.js';
import { KubeStatusError, type ResourceRef, type StatusCause } from './kube-status.js';
import {
  findEntry,
  leafFields,
  readManagedFields,
  removeAt,
  renderField,
  valueAt,
  writeManagedFields,
  type FieldKey,
  type Manager,
  type ManagerEntry,
} from './managed-fields.js';

export interface ApplyOptions extends Manager {
  readonly force: boolean;
  readonly now: string;
  readonly resource: ResourceRef;
  readonly name: string;
}

interface Conflict {
  readonly entry: ManagerEntry;
  readonly field: FieldKey;
}

function union(live: unknown, applied: unknown): unknown[] {
  const out = Array.isArray(live) ? [...live] : [];
  for (const item of Array.isArray(applied) ? applied : []) {
    if (!out.some((existing) => deepEqual(existing, item))) out.push(item);
  }
  return out;
}

/** Applied configuration over the live object: maps merge, lists and scalars replace, null removes. */
function merge(live: unknown, applied: unknown): unknown {
  if (!isRecord(applied)) return clone(applied);
  const out: JsonObject = isRecord(live) ? { ...live } : {};
  for (const [key, value] of Object.entries(applied)) {
    if (value === null) delete out[key];
    else out[key] = merge(out[key], value);
  }
  return out;
}

function mergeObject(live: JsonObject | undefined, applied: JsonObject): JsonObject {
  const merged = merge(live ?? {}, applied) as JsonObject;
  const liveFinalizers = getRecord(live ?? {}, 'metadata')?.['finalizers'];
  const appliedFinalizers = getRecord(applied, 'metadata')?.['finalizers'];
  if (Array.isArray(appliedFinalizers)) {
    const meta = getRecord(merged, 'metadata') ?? {};
    meta['finalizers'] = union(liveFinalizers, appliedFinalizers);
  }
  return merged;
}

function conflictError(options: ApplyOptions, conflicts: readonly Conflict[]): KubeStatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    type: 'FieldManagerConflict',
    message: `conflict with "${c.entry.manager}" using ${c.entry.apiVersion}`,
    field: renderField(c.field),
  }));
  const lines =
    conflicts.length === 1
      ? `1 conflict: conflict with "${conflicts[0]?.entry.manager}" using ${conflicts[0]?.entry.apiVersion}: ${renderField(conflicts[0]?.field ?? '[]')}`
      : `${conflicts.length} conflicts: ${conflicts.map((c) => `conflict with "${c.entry.manager}": ${renderField(c.field)}`).join(', ')}`;
  return KubeStatusError.conflictMessage(
    options.resource,
    options.name,
    `Apply failed with ${lines}`,
    causes,
  );
}

/**
 * Server-side apply (https://kubernetes.io/docs/reference/using-api/server-side-apply/): merges the
 * applied configuration into the live object (undefined: create), removes the fields this manager
 * applied before and no longer applies (unless another manager owns them), and fails with 409 when
 * the merge changes a field another manager owns, unless `force` moves those fields to this manager.
 * Returns the new object with `metadata.managedFields` rewritten.
 */
export function serverSideApply(
  live: JsonObject | undefined,
  applied: JsonObject,
  options: ApplyOptions,
): JsonObject {
  const entries = readManagedFields(live);
  const appliedFields = leafFields(applied);
  const merged = mergeObject(live, applied);
  const self = findEntry(entries, options, 'Apply');
  const others = entries.filter((e) => e !== self);
  for (const key of self.fields) {
    if (appliedFields.has(key) || others.some((e) => e.fields.has(key))) continue;
    removeAt(merged, key);
  }
  const conflicts: Conflict[] = [];
  for (const entry of others) {
    for (const field of entry.fields) {
      if (!deepEqual(valueAt(live, field), valueAt(merged, field))) conflicts.push({ entry, field });
    }
  }
  if (conflicts.length > 0 && !options.force) throw conflictError(options, conflicts);
  for (const { entry, field } of conflicts) entry.fields.delete(field);
  for (const entry of others) {
    for (const field of entry.fields) if (valueAt(merged, field) === undefined) entry.fields.delete(field);
  }
  const sameFields =
    self.fields.size === appliedFields.size && [...appliedFields].every((f) => self.fields.has(f));
  const changed = !sameFields || !deepEqual(live ?? {}, merged) || self.time === '';
  self.fields = appliedFields;
  self.apiVersion = options.apiVersion;
  if (changed) self.time = options.now;
  writeManagedFields(merged, entries);
  return merged;
}

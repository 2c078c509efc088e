/** Plain JSON helpers shared by the fake API server. Objects are handled as untyped JSON trees. */
export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Structural equality of two JSON values (key order does not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isRecord(a)) {
    if (!isRecord(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** `obj[key]` as a record, or a fresh empty record stored there when absent or not an object. */
export function childRecord(obj: JsonObject, key: string): JsonObject {
  const existing = obj[key];
  if (isRecord(existing)) return existing;
  const created: JsonObject = {};
  obj[key] = created;
  return created;
}

export function getRecord(obj: JsonObject, key: string): JsonObject | undefined {
  const value = obj[key];
  return isRecord(value) ? value : undefined;
}

export function getString(obj: JsonObject | undefined, key: string): string | undefined {
  const value = obj?.[key];
  return typeof value === 'string' ? value : undefined;
}

export function getStringArray(obj: JsonObject | undefined, key: string): string[] {
  const value = obj?.[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The object's metadata, created when missing. */
export function metadataOf(obj: JsonObject): JsonObject {
  return childRecord(obj, 'metadata');
}

/** Kubernetes timestamps have second precision: `2024-01-02T03:04:05Z`. */
export function kubeTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

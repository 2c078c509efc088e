import { clone, isRecord } from './json-value.js';

/**
 * JSON Merge Patch (RFC 7386, https://www.rfc-editor.org/rfc/rfc7386): objects merge recursively,
 * `null` removes a member, anything else (arrays included) replaces. Returns a new value.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

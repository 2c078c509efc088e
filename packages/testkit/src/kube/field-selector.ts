import { isRecord } from './json-value.js';
import { KubeStatusError } from './kube-status.js';

/**
 * Field selectors (`metadata.name=foo,metadata.namespace!=bar`; `=`, `==`, `!=`, AND-ed by commas).
 * Only the fields a resource declares are selectable, as on the real server: `metadata.name` and
 * `metadata.namespace` everywhere, plus per-type extras (`type` for Secrets, `involvedObject.*` for
 * core Events, CRD `selectableFields`). A missing field compares as the empty string.
 */
export interface FieldRequirement {
  readonly field: string;
  readonly negate: boolean;
  readonly value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  matches(object: Record<string, unknown>): boolean;
}

const REQUIREMENT = /^([A-Za-z0-9_.\-/]+)\s*(==|=|!=)\s*(.*)$/;

export function fieldValue(object: Record<string, unknown>, field: string): string {
  let node: unknown = object;
  for (const part of field.split('.')) {
    if (!isRecord(node)) return '';
    node = node[part];
  }
  if (node === undefined || node === null) return '';
  return typeof node === 'string' ? node : JSON.stringify(node);
}

export function parseFieldSelector(
  selector: string | undefined | null,
  selectable: readonly string[],
): FieldSelector {
  const trimmed = (selector ?? '').trim();
  const requirements: FieldRequirement[] = [];
  if (trimmed !== '') {
    for (const part of trimmed.split(',')) {
      const m = REQUIREMENT.exec(part.trim());
      if (!m) throw KubeStatusError.badRequest(`invalid field selector: "${trimmed}"`);
      const field = m[1] as string;
      if (!selectable.includes(field))
        throw KubeStatusError.badRequest(`field label not supported: ${field}`);
      requirements.push({ field, negate: m[2] === '!=', value: (m[3] as string).trim() });
    }
  }
  return {
    requirements,
    matches(object) {
      return requirements.every((r) => (fieldValue(object, r.field) === r.value) !== r.negate);
    },
  };
}

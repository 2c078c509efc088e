import { HubpoError, assertNever } from '@hubpo/core';

/**
 * An equality-based label selector, as in Kubernetes: `env=prod,tier!=edge,canary,!legacy`.
 * `=`/`==` needs the label with that value; `!=` matches objects without that value (the label
 * may be absent); a bare key needs the label; `!key` needs its absence. Set-based selectors
 * (`in`, `notin`) are not supported.
 */
export type LabelRequirement =
  | { readonly op: 'eq'; readonly key: string; readonly value: string }
  | { readonly op: 'neq'; readonly key: string; readonly value: string }
  | { readonly op: 'exists'; readonly key: string }
  | { readonly op: 'absent'; readonly key: string };

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export function parseLabelSelector(selector: string): readonly LabelRequirement[] {
  const requirements: LabelRequirement[] = [];
  for (const raw of selector.split(',')) {
    const term = raw.trim();
    if (term === '') continue;
    requirements.push(parseTerm(term));
  }
  return requirements;
}

function parseTerm(term: string): LabelRequirement {
  const match = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (match !== null) {
    const key = checkKey(match[1] ?? '', term);
    const value = (match[3] ?? '').trim();
    if (!VALUE.test(value) || value.length > 63)
      throw invalid(term, 'label values are up to 63 letters, digits, "-", "_", "."');
    return match[2] === '!=' ? { op: 'neq', key, value } : { op: 'eq', key, value };
  }
  if (term.startsWith('!')) return { op: 'absent', key: checkKey(term.slice(1).trim(), term) };
  if (/\s(in|notin)\s*\(/.test(term))
    throw invalid(term, 'set-based selectors (in, notin) are not supported');
  return { op: 'exists', key: checkKey(term, term) };
}

function checkKey(key: string, term: string): string {
  if (!KEY.test(key) || key.length > 317) throw invalid(term, 'not a valid label key');
  return key;
}

function invalid(term: string, message: string): HubpoError {
  return new HubpoError('BAD_REQUEST', `invalid labelSelector term "${term}"`, {
    issues: [{ path: 'labelSelector', message }],
  });
}

/** True when `labels` satisfy every requirement (used for in-memory checks and tests). */
export function matchesLabels(
  requirements: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'eq':
        return has && labels[r.key] === r.value;
      case 'neq':
        return !has || labels[r.key] !== r.value;
      case 'exists':
        return has;
      case 'absent':
        return !has;
      default:
        return assertNever(r, 'label requirement');
    }
  });
}

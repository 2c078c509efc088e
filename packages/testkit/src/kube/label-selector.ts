import { KubeStatusError } from './kube-status.js';

/**
 * Label selectors as the API server parses them
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors):
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a` (exists), `!a` (does not exist),
 * `a>1`, `a<1`, joined by commas (AND). `!=` and `notin` also match objects without the label.
 */
export type LabelRequirement =
  | { readonly op: 'exists' | 'notexists'; readonly key: string }
  | { readonly op: 'in' | 'notin'; readonly key: string; readonly values: readonly string[] }
  | { readonly op: 'gt' | 'lt'; readonly key: string; readonly value: number };

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  matches(labels: Readonly<Record<string, unknown>> | undefined): boolean;
}

const KEY = String.raw`[A-Za-z0-9][-A-Za-z0-9_./]*`;
const VALUE = String.raw`[-A-Za-z0-9_.]*`;
const EXISTS = new RegExp(`^(${KEY})$`);
const NOT_EXISTS = new RegExp(String.raw`^!\s*(${KEY})$`);
const SET = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s*\(([^()]*)\)$`);
const EQUALITY = new RegExp(String.raw`^(${KEY})\s*(==|=|!=)\s*(${VALUE})$`);
const COMPARE = new RegExp(String.raw`^(${KEY})\s*(>|<)\s*(-?[0-9]+)$`);
const SET_VALUE = new RegExp(`^${VALUE}$`);

/** Splits on the commas that are not inside `( )`. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

function parseRequirement(text: string, selector: string): LabelRequirement {
  let m = NOT_EXISTS.exec(text);
  if (m) return { op: 'notexists', key: m[1] as string };
  m = EXISTS.exec(text);
  if (m) return { op: 'exists', key: m[1] as string };
  m = SET.exec(text);
  if (m) {
    const values = (m[3] as string).split(',').map((v) => v.trim());
    if (values.some((v) => !SET_VALUE.test(v))) throw invalidSelector(selector);
    return { op: m[2] === 'in' ? 'in' : 'notin', key: m[1] as string, values };
  }
  m = EQUALITY.exec(text);
  if (m) return { op: m[2] === '!=' ? 'notin' : 'in', key: m[1] as string, values: [m[3] as string] };
  m = COMPARE.exec(text);
  if (m) return { op: m[2] === '>' ? 'gt' : 'lt', key: m[1] as string, value: Number(m[3]) };
  throw invalidSelector(selector);
}

function invalidSelector(selector: string): KubeStatusError {
  return KubeStatusError.badRequest(`unable to parse requirement: invalid label selector "${selector}"`);
}

function matchesRequirement(req: LabelRequirement, labels: Readonly<Record<string, unknown>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case 'in':
      return has && req.values.includes(String(value));
    case 'notin':
      return !has || !req.values.includes(String(value));
    case 'gt':
    case 'lt': {
      const n = Number(value);
      if (!has || !Number.isInteger(n)) return false;
      return req.op === 'gt' ? n > req.value : n < req.value;
    }
  }
}

export function parseLabelSelector(selector: string | undefined | null): LabelSelector {
  const trimmed = (selector ?? '').trim();
  const requirements = trimmed === '' ? [] : splitTopLevel(trimmed).map((p) => parseRequirement(p, trimmed));
  return {
    requirements,
    matches(labels) {
      const l = labels ?? {};
      return requirements.every((r) => matchesRequirement(r, l));
    },
  };
}

import { createHash } from 'node:crypto';
import type { KindName } from '@hubpo/api';
import type { KubeObject } from '../kube/kube-client.js';
import { referencePermitted } from './reference-grant.js';

/** What the reconciler reads while resolving (its informer caches). */
export interface ResolveContext {
  /** Whether the operator watches the namespace (HUBPO_WATCH_NAMESPACES); its Secrets are known only then. */
  watches(namespace: string): boolean;
  secret(namespace: string, name: string): KubeObject | undefined;
  namespace(name: string): KubeObject | undefined;
  object(kind: KindName, namespace: string, name: string): KubeObject | undefined;
}

/** A condition the operator itself decides; it takes precedence over the control plane's. */
export interface OperatorCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

export interface Resolved {
  /** What to PUT to the control plane; undefined when the object must be withheld (withdrawn). */
  readonly body: Record<string, unknown> | undefined;
  /** Why references did not resolve (one ResolvedRefs=False, every problem in its message). */
  readonly conditions: readonly OperatorCondition[];
  /** Secrets, Namespaces and objects whose change can change this result (`Kind:ns/name`). */
  readonly dependencies: readonly string[];
}

export const Reasons = Object.freeze({
  RefNotPermitted: 'RefNotPermitted',
  SecretNotFound: 'SecretNotFound',
});

/** Annotations that are never sent: large, and not the object's meaning. */
const DROPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

interface Problem {
  readonly reason: string;
  readonly message: string;
}

/**
 * Resolves what an object references in Kubernetes into what the control plane takes (pure):
 * Consumer API keys from Secrets become their SHA-256 (the key never leaves the cluster),
 * AIModel credentials become `secrets.credentials` (sent once, stored encrypted), and references
 * into other namespaces count only when granted (`hubpo.io/allow-references-from`). What does
 * not resolve is reported and left out: an unresolved key or credential stays a reference (the
 * control plane reports SecretNotFound too), a Service backend not permitted gets weight 0 (no
 * traffic leaves for a namespace that did not agree), a Policy keeps only permitted targets. An
 * object with nothing permitted left (a Policy without targets, a Route rule without backends) is
 * withheld: not sent, and withdrawn from the control plane.
 */
export function resolveReferences(kind: KindName, object: KubeObject, ctx: ResolveContext): Resolved {
  const namespace = object.metadata.namespace ?? 'default';
  const state: ResolveState = { ctx, namespace, problems: [], dependencies: new Set(), withhold: false };
  const spec: Record<string, unknown> = { ...(object.spec ?? {}) };
  let credentials: { target: number; value: string }[] = [];
  switch (kind) {
    case 'Consumer':
      if (Array.isArray(spec['apiKeys']))
        spec['apiKeys'] = spec['apiKeys'].map((k, i) => apiKey(k, i, state));
      break;
    case 'AIModel':
      credentials = aiCredentials(spec['targets'], state);
      break;
    case 'Route':
      if (Array.isArray(spec['rules'])) spec['rules'] = spec['rules'].map((r, i) => routeRule(r, i, state));
      break;
    case 'Policy': {
      const targets = Array.isArray(spec['targetRefs']) ? spec['targetRefs'] : [];
      const permitted = targets.filter((t, i) => policyTarget(t, i, state));
      spec['targetRefs'] = permitted;
      if (targets.length > 0 && permitted.length === 0) state.withhold = true;
      break;
    }
    case 'PromptTemplate':
      break;
  }
  return {
    body: state.withhold ? undefined : wireBody(object, spec, credentials),
    conditions: conditionsOf(kind, state.problems, state.withhold),
    dependencies: [...state.dependencies].sort(),
  };
}

interface ResolveState {
  readonly ctx: ResolveContext;
  readonly namespace: string;
  readonly problems: Problem[];
  readonly dependencies: Set<string>;
  /** Nothing permitted is left to send: the object is withdrawn from the control plane. */
  withhold: boolean;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of a Secret key, decoded, trailing newlines dropped (`echo` without `-n`); or a problem. */
function secretValue(ref: unknown, at: string, state: ResolveState): string | undefined {
  if (!isObject(ref) || typeof ref['name'] !== 'string' || typeof ref['key'] !== 'string') return undefined;
  const ns = typeof ref['namespace'] === 'string' ? ref['namespace'] : state.namespace;
  const name = ref['name'];
  state.dependencies.add(`Secret:${ns}/${name}`);
  if (ns !== state.namespace) {
    state.dependencies.add(`Namespace:${ns}`);
    const secret = state.ctx.secret(ns, name);
    if (!referencePermitted(state.namespace, ns, state.ctx.namespace(ns), secret)) {
      state.problems.push({
        reason: Reasons.RefNotPermitted,
        message: `${at}: Secret ${ns}/${name} is in another namespace that does not allow references from "${state.namespace}" (annotation hubpo.io/allow-references-from)`,
      });
      return undefined;
    }
  }
  if (!state.ctx.watches(ns)) {
    state.problems.push({
      reason: Reasons.SecretNotFound,
      message: `${at}: Secret ${ns}/${name} is in a namespace the operator does not watch (HUBPO_WATCH_NAMESPACES)`,
    });
    return undefined;
  }
  const secret = state.ctx.secret(ns, name);
  const encoded = secret?.data?.[ref['key']];
  if (secret === undefined || encoded === undefined) {
    state.problems.push({
      reason: Reasons.SecretNotFound,
      message:
        secret === undefined
          ? `${at}: Secret ${ns}/${name} not found`
          : `${at}: Secret ${ns}/${name} has no key "${ref['key']}"`,
    });
    return undefined;
  }
  return Buffer.from(encoded, 'base64')
    .toString('utf8')
    .replace(/[\r\n]+$/, '');
}

function apiKey(key: unknown, i: number, state: ResolveState): unknown {
  if (!isObject(key) || key['secretRef'] === undefined) return key;
  const value = secretValue(key['secretRef'], `spec.apiKeys[${i}].secretRef`, state);
  if (value === undefined) return key;
  const { secretRef: _ref, ...rest } = key;
  return { ...rest, sha256: createHash('sha256').update(value, 'utf8').digest('hex') };
}

function aiCredentials(targets: unknown, state: ResolveState): { target: number; value: string }[] {
  const out: { target: number; value: string }[] = [];
  if (!Array.isArray(targets)) return out;
  targets.forEach((t: unknown, i) => {
    if (!isObject(t) || t['credentialsRef'] === undefined) return;
    const value = secretValue(t['credentialsRef'], `spec.targets[${i}].credentialsRef`, state);
    if (value !== undefined && value !== '') out.push({ target: i, value });
  });
  return out;
}

function routeRule(rule: unknown, i: number, state: ResolveState): unknown {
  if (!isObject(rule) || !Array.isArray(rule['backends'])) return rule;
  let blocked = false;
  const backends = rule['backends'].map((b: unknown, j) => {
    if (!isObject(b) || !isObject(b['service']) || typeof b['service']['namespace'] !== 'string') return b;
    const ns = b['service']['namespace'];
    if (ns === state.namespace) return b;
    state.dependencies.add(`Namespace:${ns}`);
    if (referencePermitted(state.namespace, ns, state.ctx.namespace(ns))) return b;
    state.problems.push({
      reason: Reasons.RefNotPermitted,
      message: `spec.rules[${i}].backends[${j}].service: namespace "${ns}" does not allow references from "${state.namespace}", so the backend gets no traffic`,
    });
    blocked = true;
    return { ...b, weight: 0 };
  });
  // A rule left with no backend to send traffic to is not valid: withhold the Route instead.
  if (blocked && backends.every((b: unknown) => isObject(b) && b['weight'] === 0)) state.withhold = true;
  return { ...rule, backends };
}

function policyTarget(target: unknown, i: number, state: ResolveState): boolean {
  if (!isObject(target) || typeof target['namespace'] !== 'string' || target['namespace'] === state.namespace)
    return true;
  const ns = target['namespace'];
  const kind = target['kind'] as KindName;
  const name = String(target['name']);
  state.dependencies.add(`Namespace:${ns}`);
  state.dependencies.add(`${kind}:${ns}/${name}`);
  if (referencePermitted(state.namespace, ns, state.ctx.namespace(ns), state.ctx.object(kind, ns, name)))
    return true;
  state.problems.push({
    reason: Reasons.RefNotPermitted,
    message: `spec.targetRefs[${i}]: ${kind} ${ns}/${name} is in another namespace that does not allow references from "${state.namespace}"`,
  });
  return false;
}

function conditionsOf(kind: KindName, problems: readonly Problem[], withheld: boolean): OperatorCondition[] {
  const first = problems[0];
  if (first === undefined) return [];
  const message = problems.map((p) => p.message).join('; ');
  const conditions: OperatorCondition[] = [
    { type: 'ResolvedRefs', status: 'False', reason: first.reason, message },
  ];
  if (withheld) {
    conditions.push(
      {
        type: 'Accepted',
        status: 'False',
        reason: first.reason,
        message:
          kind === 'Policy'
            ? 'no target is permitted; the Policy is not sent to the control plane'
            : 'a rule has no permitted backend left; the Route is not sent to the control plane',
      },
      { type: 'Programmed', status: 'False', reason: first.reason, message: 'not sent to the control plane' },
    );
  }
  return conditions;
}

/** The object as the control plane takes it: only the metadata it stores, plus credentials. */
function wireBody(
  object: KubeObject,
  spec: Json,
  credentials: readonly { target: number; value: string }[],
): Json {
  const m = object.metadata;
  const annotations = Object.fromEntries(
    Object.entries(m.annotations ?? {}).filter(([k]) => !DROPPED_ANNOTATIONS.has(k)),
  );
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name: m.name,
      namespace: m.namespace ?? 'default',
      ...(m.uid === undefined ? {} : { uid: m.uid }),
      generation: m.generation ?? 1,
      ...(m.creationTimestamp === undefined ? {} : { creationTimestamp: m.creationTimestamp }),
      ...(m.labels === undefined ? {} : { labels: m.labels }),
      ...(Object.keys(annotations).length === 0 ? {} : { annotations }),
    },
    spec,
    ...(credentials.length === 0 ? {} : { secrets: { credentials } }),
  };
}

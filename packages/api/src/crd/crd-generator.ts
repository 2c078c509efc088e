import type { TSchema } from '@sinclair/typebox';
import { GROUP, VERSION } from '../common.js';
import { KINDS, KIND_NAMES } from '../kind-registry.js';
import type { KindInfo } from '../kind-registry.js';

type JsonSchema = Record<string, unknown>;

/** Keywords a Kubernetes structural schema accepts (apiextensions.k8s.io/v1 JSONSchemaProps). */
const KEPT = new Set([
  'type',
  'description',
  'format',
  'enum',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'required',
  'default',
  'nullable',
]);

/**
 * Converts a TypeBox (JSON Schema) node into a Kubernetes structural schema: literal unions
 * become enums, records become `additionalProperties`, `additionalProperties: false` is dropped
 * (the API server prunes unknown fields instead), open objects preserve unknown fields, and
 * `x-kubernetes-*` extensions pass through.
 */
export function toStructural(schema: TSchema | JsonSchema): JsonSchema {
  const s = schema as JsonSchema;
  const literals = literalUnion(s);
  if (literals !== undefined) {
    return withDescription(
      { type: typeof literals[0] === 'number' ? 'number' : 'string', enum: literals },
      s,
    );
  }
  if (s['const'] !== undefined) return withDescription({ type: typeof s['const'], enum: [s['const']] }, s);
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(s)) {
    if (KEPT.has(key) || key.startsWith('x-kubernetes-')) out[key] = value;
  }
  if (s['type'] === 'object') convertObject(s, out);
  if (s['type'] === 'array' && s['items'] !== undefined)
    out['items'] = toStructural(s['items'] as JsonSchema);
  return out;
}

function convertObject(s: JsonSchema, out: JsonSchema): void {
  const props = s['properties'] as Record<string, JsonSchema> | undefined;
  if (props !== undefined) {
    out['properties'] = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, toStructural(v)]));
  }
  const pattern = s['patternProperties'] as Record<string, JsonSchema> | undefined;
  const valueSchema = pattern === undefined ? undefined : Object.values(pattern)[0];
  if (valueSchema !== undefined) out['additionalProperties'] = toStructural(valueSchema);
  else if (s['additionalProperties'] === true && props !== undefined)
    out['x-kubernetes-preserve-unknown-fields'] = true;
}

function literalUnion(s: JsonSchema): unknown[] | undefined {
  const anyOf = s['anyOf'] as JsonSchema[] | undefined;
  if (!Array.isArray(anyOf) || anyOf.length === 0 || !anyOf.every((b) => b['const'] !== undefined))
    return undefined;
  return anyOf.map((b) => b['const']);
}

function withDescription(out: JsonSchema, s: JsonSchema): JsonSchema {
  return typeof s['description'] === 'string' ? { ...out, description: s['description'] } : out;
}

/** The CustomResourceDefinition object of one kind. */
export function generateCrd(info: KindInfo): JsonSchema {
  const schema = info.schema as unknown as JsonSchema;
  const props = schema['properties'] as Record<string, JsonSchema>;
  const spec = props['spec'];
  const status = props['status'];
  if (spec === undefined || status === undefined)
    throw new Error(`${info.kind}: schema has no spec or status`);
  const openAPIV3Schema: JsonSchema = {
    type: 'object',
    description: schema['description'],
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: 'hubpo.io/v1alpha1' },
      kind: { type: 'string', description: info.kind },
      metadata: { type: 'object' },
      spec: toStructural(spec),
      status: toStructural(status),
    },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${info.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'hubpo' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        shortNames: [...info.shortNames],
        categories: ['hubpo'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: info.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

/** Every CRD, in kind order. */
export function generateCrds(): {
  readonly kind: string;
  readonly plural: string;
  readonly crd: JsonSchema;
}[] {
  return KIND_NAMES.map((k) => {
    const info = KINDS[k] as unknown as KindInfo;
    return { kind: info.kind, plural: info.plural, crd: generateCrd(info) };
  });
}

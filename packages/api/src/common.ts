import { Type } from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';

/** API group and version of every Hubpo resource. */
export const GROUP = 'hubpo.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** RFC 1123 DNS label or subdomain, as Kubernetes requires for object names. */
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A Go-style duration limited to what a gateway needs: `250ms`, `10s`, `5m`, `1h`. */
export const DURATION_PATTERN = '^([0-9]{1,6})(ms|s|m|h)$';

export function nameSchema(
  description = 'Lowercase RFC 1123 name: letters, digits, "-" and ".".',
  maxLength = 253,
) {
  return Type.String({ minLength: 1, maxLength, pattern: NAME_PATTERN, description });
}
export const Name = nameSchema();

export function durationSchema(
  description = 'Duration with a unit: ms, s, m or h (for example "250ms", "30s").',
) {
  return Type.String({ pattern: DURATION_PATTERN, description });
}
export const Duration = durationSchema();

export const LabelMap = Type.Record(Type.String({ maxLength: 317 }), Type.String({ maxLength: 63 }), {
  description: 'String keys and values.',
});

export const ObjectMeta = Type.Object(
  {
    name: Name,
    namespace: Type.Optional(nameSchema('Namespace; "default" when omitted.', 63)),
    labels: Type.Optional(LabelMap),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    generation: Type.Optional(Type.Integer({ minimum: 0, description: 'Set by the server.' })),
    resourceVersion: Type.Optional(
      Type.String({ description: 'Set by the server; send it back to update.' }),
    ),
    uid: Type.Optional(Type.String()),
    creationTimestamp: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const Placement = Type.Object(
  {
    clusters: Type.Optional(
      Type.Array(Name, { maxItems: 256, description: 'Cluster names this object applies to.' }),
    ),
    selector: Type.Optional(
      Type.Object(
        {
          matchLabels: Type.Optional(LabelMap),
        },
        {
          additionalProperties: false,
          description: 'Clusters whose labels (cloud, region, env, ...) match all of these.',
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Where the object applies. Without placement it applies to the cluster it was applied in (or every cluster when created through the admin API).',
  },
);
export type Placement = Static<typeof Placement>;

export const ObjectRef = Type.Object(
  {
    name: Name,
    namespace: Type.Optional(Name),
  },
  { additionalProperties: false },
);
export type ObjectRef = Static<typeof ObjectRef>;

export const SecretKeyRef = Type.Object(
  {
    name: Name,
    namespace: Type.Optional(Name),
    key: Type.String({ minLength: 1, maxLength: 253 }),
  },
  { additionalProperties: false, description: 'A key of a Kubernetes Secret.' },
);
export type SecretKeyRef = Static<typeof SecretKeyRef>;

export const ConditionStatus = Type.Union([
  Type.Literal('True'),
  Type.Literal('False'),
  Type.Literal('Unknown'),
]);

export const Condition = Type.Object(
  {
    type: Type.String(),
    status: ConditionStatus,
    reason: Type.String(),
    message: Type.String(),
    observedGeneration: Type.Optional(Type.Integer()),
    lastTransitionTime: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type Condition = Static<typeof Condition>;

export const ClusterDistribution = Type.Object(
  {
    cluster: Type.String(),
    gateways: Type.Integer({ description: 'Gateways connected in the cluster.' }),
    acked: Type.Integer({ description: 'Gateways that ACKed a revision containing this generation.' }),
    revision: Type.Integer(),
    propagationMs: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

export const ResourceStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(Condition)),
    distribution: Type.Optional(Type.Array(ClusterDistribution)),
  },
  { additionalProperties: true },
);
export type ResourceStatus = Static<typeof ResourceStatus>;

/** Builds the schema of a full resource (apiVersion, kind, metadata, spec, status). */
export function resourceSchema<K extends string, S extends TSchema>(kind: K, spec: S, description: string) {
  return Type.Object(
    {
      apiVersion: Type.Literal(API_VERSION),
      kind: Type.Literal(kind),
      metadata: ObjectMeta,
      spec,
      status: Type.Optional(ResourceStatus),
    },
    { additionalProperties: false, description },
  );
}

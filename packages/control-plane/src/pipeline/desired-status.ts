import type { Condition } from '@hubpo/api';

/** How one object stands in one cluster it is placed in. */
export interface ClusterPlacement {
  readonly cluster: string;
  /** Conditions the cluster's translation gave the object (Accepted, ResolvedRefs). */
  readonly conditions: readonly Condition[];
  /** The cluster's published snapshot holds the object at its current generation. */
  readonly programmed: boolean;
  /** When programmed: the revision since which the published payload is live in the cluster. */
  readonly liveSince?: number;
  /** Gateways of the cluster that are connected, and how many of them serve `liveSince` or later. */
  readonly gateways: number;
  readonly acked: number;
  /** From publication of `liveSince` to the last of those gateways' ACKs, when all ACKed. */
  readonly propagationMs?: number;
}

export interface StatusInput {
  readonly kind: string;
  readonly generation: number;
  /** False for kinds whose objects are not part of gateway snapshots (no Programmed/Distributed). */
  readonly distributable: boolean;
  readonly placements: readonly ClusterPlacement[];
  /** Clusters whose translation threw: their previous snapshot stays published. */
  readonly failedClusters: readonly string[];
}

export interface ClusterDistribution {
  readonly cluster: string;
  readonly gateways: number;
  readonly acked: number;
  readonly revision: number;
  readonly propagationMs?: number;
}

export interface DesiredStatus {
  readonly observedGeneration: number;
  /** Without lastTransitionTime: `mergeConditions` stamps it against the stored status. */
  readonly conditions: readonly Condition[];
  readonly distribution: readonly ClusterDistribution[];
}

/**
 * The status an object should have: the translation's conditions merged over the clusters it is
 * placed in (a False in any cluster wins), then `Programmed` (every placed cluster's published
 * snapshot holds this generation) and `Distributed` (every connected gateway of those clusters
 * serves it). Pure; every condition carries `observedGeneration`.
 */
export function desiredStatus(input: StatusInput): DesiredStatus {
  const g = input.generation;
  const cond = (type: string, status: Condition['status'], reason: string, message: string): Condition => ({
    type,
    status,
    reason,
    message,
    observedGeneration: g,
  });
  const { placements } = input;
  const conditions: Condition[] = [];
  if (placements.length === 0) {
    const failed = input.failedClusters.length > 0;
    conditions.push(
      failed
        ? cond(
            'Accepted',
            'Unknown',
            'TranslationFailed',
            `translation failed in ${input.failedClusters.join(', ')}; see the control plane log`,
          )
        : cond('Accepted', 'Unknown', 'NotPlaced', 'no known cluster matches the placement of this object'),
    );
  } else {
    conditions.push(...mergeTranslated(placements, g));
  }
  if (!input.distributable) {
    conditions.push(
      cond(
        'Programmed',
        'Unknown',
        'NotDistributed',
        `${input.kind} objects are not part of gateway snapshots yet`,
      ),
    );
    return { observedGeneration: g, conditions, distribution: [] };
  }
  conditions.push(programmed(input, cond));
  conditions.push(distributed(input, cond));
  const distribution = placements.map((p) => ({
    cluster: p.cluster,
    gateways: p.gateways,
    acked: p.acked,
    revision: p.liveSince ?? 0,
    ...(p.propagationMs === undefined ? {} : { propagationMs: p.propagationMs }),
  }));
  return { observedGeneration: g, conditions, distribution };
}

type Cond = (type: string, status: Condition['status'], reason: string, message: string) => Condition;

function mergeTranslated(placements: readonly ClusterPlacement[], generation: number): Condition[] {
  const types: string[] = [];
  for (const p of placements) for (const c of p.conditions) if (!types.includes(c.type)) types.push(c.type);
  return types.map((type) => {
    const found = placements.flatMap((p) =>
      p.conditions.filter((c) => c.type === type).map((c) => ({ cluster: p.cluster, c })),
    );
    const worst =
      found.find((f) => f.c.status === 'False') ?? found.find((f) => f.c.status === 'Unknown') ?? found[0];
    const c = worst?.c ?? { type, status: 'Unknown' as const, reason: 'Unknown', message: '' };
    const message =
      placements.length > 1 && c.status !== 'True' && worst !== undefined
        ? `${worst.cluster}: ${c.message}`
        : c.message;
    return {
      type,
      status: c.status,
      reason: c.reason,
      message,
      observedGeneration: c.observedGeneration ?? generation,
    };
  });
}

function programmed(input: StatusInput, cond: Cond): Condition {
  const { placements } = input;
  if (placements.length === 0)
    return cond('Programmed', 'False', 'NotPlaced', 'not placed in any known cluster');
  const pending = placements.filter((p) => !p.programmed);
  if (pending.length === 0) {
    const clusters = placements.map((p) => `${p.cluster}@${p.liveSince ?? 0}`).join(', ');
    return cond('Programmed', 'True', 'Programmed', `in the published snapshot of ${clusters}`);
  }
  const names = pending.map((p) => p.cluster).join(', ');
  const rejected = pending.some((p) =>
    p.conditions.some((c) => c.type === 'Accepted' && c.status === 'False'),
  );
  if (rejected)
    return cond('Programmed', 'False', 'Invalid', `not programmed in ${names}: the object was not accepted`);
  const failed = pending.filter((p) => input.failedClusters.includes(p.cluster));
  if (failed.length > 0) {
    return cond(
      'Programmed',
      'False',
      'TranslationFailed',
      `translation failed in ${failed.map((p) => p.cluster).join(', ')}; the previous snapshot is kept`,
    );
  }
  return cond('Programmed', 'False', 'Pending', `waiting for a snapshot of ${names}`);
}

function distributed(input: StatusInput, cond: Cond): Condition {
  const { placements } = input;
  if (placements.length === 0 || placements.some((p) => !p.programmed)) {
    return cond('Distributed', 'False', 'NotProgrammed', 'waiting until the object is programmed');
  }
  const gateways = placements.reduce((n, p) => n + p.gateways, 0);
  const acked = placements.reduce((n, p) => n + p.acked, 0);
  if (gateways === 0) {
    return cond(
      'Distributed',
      'Unknown',
      'NoGateways',
      `no gateway connected in ${placements.map((p) => p.cluster).join(', ')}`,
    );
  }
  const message = `${acked}/${gateways} connected gateways serve generation ${input.generation}`;
  return acked >= gateways
    ? cond('Distributed', 'True', 'Distributed', message)
    : cond('Distributed', 'False', 'Pending', message);
}

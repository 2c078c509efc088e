import type { AnyResource, KindName, ResourceByKind } from '@hubpo/api';
import { HubpoError, assertNever } from '@hubpo/core';
import { aiModelToIr } from './ai-model-to-ir.js';
import type { ClusterInfo } from './cluster-info.js';
import { compareStrings } from './compare.js';
import { consumerToIr, settleDuplicateKeys } from './consumer-to-ir.js';
import type { Ir, IrAIModel } from './ir.js';
import { byAge, metaOf } from './meta-of.js';
import type { ObjectStatus } from './object-status.js';
import { objectKey } from './object-key.js';
import { policyToIr } from './policy-to-ir.js';
import { promptTemplateToIr } from './prompt-template-to-ir.js';
import { Reasons } from './reasons.js';
import { RegexChecker } from './regex-checker.js';
import { routeToIr } from './route-to-ir.js';
import { StatusBuilder } from './status-builder.js';
import type { TranslationContext } from './translation-context.js';

export interface BuildIrResult {
  readonly ir: Ir;
  /** One per resource given, sorted by kind, namespace, name. */
  readonly statuses: readonly ObjectStatus[];
}

interface Entry<R> {
  readonly resource: R;
  readonly status: StatusBuilder;
}
type Grouped = { [K in KindName]: Entry<ResourceByKind[K]>[] };

/**
 * Stage one: the resources placed in a cluster -> IR plus a status per resource. Kinds are
 * translated in dependency order (AIModels, Routes, PromptTemplates, Consumers, Policies) so that
 * each reference resolves against objects already accepted; within a kind, objects go in id order
 * and conflicts are settled by age, so the result does not depend on the input order.
 */
export function buildIr(
  placed: readonly AnyResource[],
  cluster: ClusterInfo,
  credentials: ReadonlyMap<string, string>,
): BuildIrResult {
  const groups = groupByKind(placed);
  const modelNames = new Set<string>();
  const routeIds = new Set<string>();
  const aiModelIds = new Set<string>();
  const consumerIds = new Set<string>();
  const ctx: TranslationContext = {
    cluster,
    regex: new RegexChecker(),
    credentials,
    modelNames,
    routeIds,
    aiModelIds,
    consumerIds,
  };

  const aiModels = settleModelNames(
    groups.AIModel.flatMap(({ resource, status }) => {
      const ir = aiModelToIr(resource, status, ctx);
      return ir === null ? [] : [{ ir, status }];
    }),
  );
  for (const m of aiModels) {
    modelNames.add(m.modelName);
    aiModelIds.add(m.meta.id);
  }
  const routes = groups.Route.flatMap(({ resource, status }) => routeToIr(resource, status, ctx) ?? []);
  for (const r of routes) routeIds.add(r.meta.id);
  const promptTemplates = groups.PromptTemplate.map(({ resource, status }) =>
    promptTemplateToIr(resource, status, ctx),
  );
  const consumers = settleDuplicateKeys(
    groups.Consumer.map(({ resource, status }) => ({ ir: consumerToIr(resource, status, ctx), status })),
  );
  for (const c of consumers) consumerIds.add(c.meta.id);
  const policies = groups.Policy.flatMap(({ resource, status }) => policyToIr(resource, status, ctx) ?? []);

  const statuses = Object.values(groups)
    .flatMap((entries: readonly Entry<AnyResource>[]) => entries.map((e) => e.status.build()))
    .sort(
      (a, b) =>
        compareStrings(a.kind, b.kind) ||
        compareStrings(a.namespace, b.namespace) ||
        compareStrings(a.name, b.name),
    );
  return { ir: { routes, aiModels, promptTemplates, consumers, policies }, statuses };
}

/** Resources by kind, each list sorted by id; the same object twice is a caller bug. */
function groupByKind(placed: readonly AnyResource[]): Grouped {
  const groups: Grouped = { Route: [], AIModel: [], PromptTemplate: [], Consumer: [], Policy: [] };
  const seen = new Set<string>();
  for (const resource of placed) {
    const status = new StatusBuilder(metaOf(resource));
    const key = objectKey(resource.kind, status.meta.namespace, status.meta.name);
    if (seen.has(key)) throw new HubpoError('TRANSLATION', `${key} is given twice`);
    seen.add(key);
    switch (resource.kind) {
      case 'Route':
        groups.Route.push({ resource, status });
        break;
      case 'AIModel':
        groups.AIModel.push({ resource, status });
        break;
      case 'PromptTemplate':
        groups.PromptTemplate.push({ resource, status });
        break;
      case 'Consumer':
        groups.Consumer.push({ resource, status });
        break;
      case 'Policy':
        groups.Policy.push({ resource, status });
        break;
      default:
        assertNever(resource, 'resource kind');
    }
  }
  for (const entries of Object.values(groups) as Entry<AnyResource>[][]) {
    entries.sort((a, b) => compareStrings(a.status.meta.id, b.status.meta.id));
  }
  return groups;
}

/**
 * Clients name a model by `metadata.name` alone, so two AIModels of one name in a cluster (in
 * different namespaces) cannot both serve: the older wins, the other is rejected (Conflict).
 */
function settleModelNames(
  models: readonly { readonly ir: IrAIModel; readonly status: StatusBuilder }[],
): IrAIModel[] {
  const winners = new Map<string, IrAIModel>();
  for (const { ir, status } of [...models].sort((a, b) => byAge(a.ir, b.ir))) {
    const winner = winners.get(ir.modelName);
    if (winner === undefined) {
      winners.set(ir.modelName, ir);
      continue;
    }
    status.reject(
      Reasons.Conflict,
      `model name "${ir.modelName}" is already served by AIModel ${winner.meta.id}, which is older`,
    );
  }
  return [...winners.values()].sort((a, b) => compareStrings(a.meta.id, b.meta.id));
}

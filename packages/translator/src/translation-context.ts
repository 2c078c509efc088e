import type { ClusterInfo } from './cluster-info.js';
import type { RegexChecker } from './regex-checker.js';

/** What translating one object may look at besides the object itself. */
export interface TranslationContext {
  readonly cluster: ClusterInfo;
  readonly regex: RegexChecker;
  readonly credentials: ReadonlyMap<string, string>;
  /** Client-facing names of the AIModels accepted in the cluster (filled before Routes). */
  readonly modelNames: ReadonlySet<string>;
  /** Ids of the Routes accepted in the cluster (filled before Consumers and Policies). */
  readonly routeIds: ReadonlySet<string>;
  readonly aiModelIds: ReadonlySet<string>;
  readonly consumerIds: ReadonlySet<string>;
}

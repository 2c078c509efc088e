/** The cluster a snapshot is built for: its name and labels (`cloud`, `region`, `env`, ...). */
export interface ClusterInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Where a resource without `spec.placement` applies: `all` puts it in every cluster; `origin`
 * puts it in the cluster it was applied in (objects with no known origin, i.e. created through
 * the admin API, still go everywhere, as the Placement schema documents).
 */
export type DefaultPlacement = 'all' | 'origin';

import type { KindName } from '@hubpo/api';
import type { ConfigObject } from '@hubpo/snapshot';

/** The snapshot kind of each resource kind; PromptTemplates have no snapshot payload yet. */
export const CONFIG_KIND: Readonly<Record<KindName, ConfigObject['kind'] | undefined>> = Object.freeze({
  Route: 'route',
  AIModel: 'aimodel',
  Consumer: 'consumer',
  Policy: 'policy',
  PromptTemplate: undefined,
});

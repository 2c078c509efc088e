import type { AIModelConfig } from './ai-model-config.js';
import type { ConsumerConfig } from './consumer-config.js';
import type { PolicyConfig } from './policy-config.js';
import type { RouteConfig } from './route-config.js';

/** Every payload a snapshot can carry; `kind` is also the snapshot resource kind. */
export type ConfigObject = RouteConfig | ConsumerConfig | PolicyConfig | AIModelConfig;
export type ConfigKind = ConfigObject['kind'];

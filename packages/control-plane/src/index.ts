export { createControlPlane } from './control-plane.js';
export type { ControlPlane, ControlPlaneHooks } from './control-plane.js';
export { CONFIG_DEFAULTS, configFromEnv, defaultConfig, parseAddress } from './control-plane-config.js';
export type { ControlPlaneConfig } from './control-plane-config.js';
export { createLogger } from './logger.js';
export type { Logger } from './logger.js';
export type { TranslateFn } from './pipeline/config-pipeline.js';

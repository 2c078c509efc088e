export { createOperator } from './operator.js';
export type { Operator, OperatorHooks } from './operator.js';
export { OPERATOR_DEFAULTS, configFromEnv, defaultOperatorConfig } from './operator-config.js';
export type { OperatorConfig } from './operator-config.js';
export type { KubeconfigSource } from './kube/client-node-kube-client.js';
export { FINALIZER } from './reconcile/reconciler.js';
export { ALLOW_REFERENCES_FROM } from './reconcile/reference-grant.js';
export { createLogger } from './logger.js';
export type { Logger } from './logger.js';

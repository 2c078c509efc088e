export * from './process/index.js';
export * from './kube/index.js';
export * from './providers/index.js';
export * from './pki/index.js';
export * from './metrics/index.js';

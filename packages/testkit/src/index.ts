export * from './process/index.js';
export * from './kube/index.js';

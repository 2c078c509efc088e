export { startFakeKube, FakeKube } from './fake-kube.js';
export type {
  FakeKubeOptions,
  FakeKubeTls,
  FailNextOptions,
  KubeObject,
  KubeObjectLike,
} from './fake-kube.js';
export type { CrdRegistration } from './resource-registry.js';
export type { RequestRecord } from './api-server.js';
export { KubeStatusError } from './kube-status.js';
export type { KubeStatus, StatusCause, StatusDetails, StatusReason } from './kube-status.js';

export { launchDev, DEV_PORTS } from './dev-launcher.js';
export type { DevLauncherOptions } from './dev-launcher.js';
export { applyManifests, readManifests } from './apply-manifests.js';
export { startEchoUpstream } from './echo-upstream.js';

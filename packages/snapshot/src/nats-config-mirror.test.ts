import { configMirrorStreamConfig } from './nats-config-mirror.js';

describe('configMirrorStreamConfig', () => {
  // The Helm chart's mirror Job (charts/hubpo/templates/nats/mirror-job.yaml) creates this same
  // stream; a change here is a change to what every leaf node runs.
  it('mirrors the hub bucket under its own name, through the hub domain, readable by direct get', () => {
    expect(configMirrorStreamConfig({ hubDomain: 'hub' })).toEqual({
      name: 'KV_hubpo-config',
      mirror: { name: 'KV_hubpo-config', external: { api: '$JS.hub.API', deliver: '' } },
      num_replicas: 1,
      allow_direct: true,
      mirror_direct: true,
      allow_rollup_hdrs: true,
      max_msgs_per_subject: 1,
    });
  });

  it('follows a custom bucket, hub domain and leaf cluster size', () => {
    const config = configMirrorStreamConfig({ hubDomain: 'central', bucket: 'cfg', replicas: 3 });
    expect(config).toMatchObject({
      name: 'KV_cfg',
      mirror: { name: 'KV_cfg', external: { api: '$JS.central.API' } },
      num_replicas: 3,
    });
  });
});

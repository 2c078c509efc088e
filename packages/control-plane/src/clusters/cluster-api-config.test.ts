import { randomBytes } from 'node:crypto';
import { configFromEnv } from '../control-plane-config.js';

const key = () => randomBytes(32).toString('base64');

describe('cluster API settings from the environment', () => {
  it('leaves the cluster API off without HUBPO_BOOTSTRAP_TOKEN, with a 60 s silence default', () => {
    const config = configFromEnv({ HUBPO_ADMIN_TOKEN: 't' });
    expect(config.bootstrapToken).toBeUndefined();
    expect(config.clusterSilenceMs).toBe(60_000);
  });

  it('reads the token, both keys and the silence threshold', () => {
    const secretKey = key();
    const dataplaneKey = key();
    const config = configFromEnv({
      HUBPO_ADMIN_TOKEN: 't',
      HUBPO_BOOTSTRAP_TOKEN: 'boot',
      HUBPO_SECRET_KEY: secretKey,
      HUBPO_DATAPLANE_KEY: dataplaneKey,
      HUBPO_CLUSTER_SILENCE_SECONDS: '90',
    });
    expect(config).toMatchObject({
      bootstrapToken: 'boot',
      secretKey,
      dataplaneKey,
      clusterSilenceMs: 90_000,
    });
  });

  it('requires HUBPO_SECRET_KEY with the bootstrap token and refuses malformed keys', () => {
    expect(() => configFromEnv({ HUBPO_ADMIN_TOKEN: 't', HUBPO_BOOTSTRAP_TOKEN: 'b' })).toThrow(
      /HUBPO_SECRET_KEY is required with HUBPO_BOOTSTRAP_TOKEN/,
    );
    expect(() => configFromEnv({ HUBPO_ADMIN_TOKEN: 't', HUBPO_SECRET_KEY: 'c2hvcnQ=' })).toThrow(
      /HUBPO_SECRET_KEY/,
    );
    expect(() => configFromEnv({ HUBPO_ADMIN_TOKEN: 't', HUBPO_DATAPLANE_KEY: key().slice(4) })).toThrow(
      /HUBPO_DATAPLANE_KEY/,
    );
    expect(() => configFromEnv({ HUBPO_ADMIN_TOKEN: 't', HUBPO_CLUSTER_SILENCE_SECONDS: '0' })).toThrow(
      /HUBPO_CLUSTER_SILENCE_SECONDS/,
    );
  });
});

import { configFromEnv } from './operator-config.js';

const base = {
  HUBPO_CONTROL_PLANE_URL: 'https://cp.example.com',
  HUBPO_BOOTSTRAP_TOKEN: 'boot',
  HUBPO_CLUSTER: 'east',
};
const noFile = (): string => {
  throw new Error('absent');
};

describe('operator configFromEnv', () => {
  it('requires the control plane URL, the bootstrap token and the cluster, naming what is missing', () => {
    expect(() => configFromEnv({}, noFile)).toThrow(/HUBPO_CONTROL_PLANE_URL is required/);
    expect(() => configFromEnv({ ...base, HUBPO_BOOTSTRAP_TOKEN: '' }, noFile)).toThrow(
      /HUBPO_BOOTSTRAP_TOKEN is required/,
    );
    expect(() => configFromEnv({ ...base, HUBPO_CLUSTER: 'East' }, noFile)).toThrow(
      /HUBPO_CLUSTER must be a lowercase DNS label/,
    );
    expect(() => configFromEnv({ ...base, HUBPO_CONTROL_PLANE_URL: 'cp:9080' }, noFile)).toThrow(
      /http\(s\) URL/,
    );
  });

  it('applies the documented defaults', () => {
    const config = configFromEnv(base, noFile);
    expect(config).toMatchObject({
      healthAddr: '0.0.0.0:9092',
      leaseName: 'hubpo-operator',
      leaseNamespace: 'default',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      heartbeatMs: 10_000,
      clusterLabels: {},
      kubeconfig: 'default',
    });
    expect(config.watchNamespaces).toBeUndefined();
    expect(configFromEnv(base, () => 'hubpo-system\n').leaseNamespace).toBe('hubpo-system');
  });

  it('reads every variable', () => {
    const config = configFromEnv(
      {
        ...base,
        HUBPO_CLOUD: 'aws',
        HUBPO_REGION: 'us-east-1',
        HUBPO_CLUSTER_LABELS: 'env=prod, tier=edge,',
        HUBPO_WATCH_NAMESPACES: 'shop, ai,shop',
        HUBPO_LEADER_ELECTION_NAMESPACE: 'hubpo',
        POD_NAME: 'hubpo-operator-7d9f-abcde',
        HUBPO_HEALTH_ADDR: '127.0.0.1:9300',
        HUBPO_LOG_LEVEL: 'debug',
      },
      noFile,
    );
    expect(config).toMatchObject({
      cloud: 'aws',
      region: 'us-east-1',
      clusterLabels: { env: 'prod', tier: 'edge' },
      watchNamespaces: ['shop', 'ai'],
      leaseNamespace: 'hubpo',
      identity: 'hubpo-operator-7d9f-abcde',
      healthAddr: '127.0.0.1:9300',
      logLevel: 'debug',
    });
  });

  it("takes the chart's HUBPO_ADMIN_ADDR when HUBPO_HEALTH_ADDR is unset, and refuses malformed values", () => {
    expect(configFromEnv({ ...base, HUBPO_ADMIN_ADDR: '0.0.0.0:9093' }, noFile).healthAddr).toBe(
      '0.0.0.0:9093',
    );
    expect(() => configFromEnv({ ...base, HUBPO_CLUSTER_LABELS: 'env' }, noFile)).toThrow(
      /HUBPO_CLUSTER_LABELS/,
    );
    expect(() => configFromEnv({ ...base, HUBPO_WATCH_NAMESPACES: 'Bad_NS' }, noFile)).toThrow(
      /HUBPO_WATCH_NAMESPACES/,
    );
    expect(() => configFromEnv({ ...base, HUBPO_HEALTH_ADDR: '9092' }, noFile)).toThrow(/HUBPO_HEALTH_ADDR/);
    expect(() => configFromEnv({ ...base, HUBPO_REGION: 'us east' }, noFile)).toThrow(/HUBPO_REGION/);
  });

  it('reads HUBPO_CONTROL_PLANE_CA for an https URL and names it when the file is unusable', () => {
    const files = (path: string): string => {
      if (path === '/etc/hubpo/ca.crt')
        return '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      if (path === '/etc/hubpo/key.pem') return '-----BEGIN PRIVATE KEY-----\n';
      throw Object.assign(new Error('absent'), { code: 'ENOENT' });
    };
    expect(configFromEnv(base, files).controlPlaneCaFile).toBeUndefined();
    expect(
      configFromEnv({ ...base, HUBPO_CONTROL_PLANE_CA: '/etc/hubpo/ca.crt' }, files).controlPlaneCaFile,
    ).toBe('/etc/hubpo/ca.crt');
    expect(() => configFromEnv({ ...base, HUBPO_CONTROL_PLANE_CA: '/nope/ca.crt' }, files)).toThrow(
      /HUBPO_CONTROL_PLANE_CA: cannot read "\/nope\/ca.crt" \(ENOENT\)/,
    );
    expect(() => configFromEnv({ ...base, HUBPO_CONTROL_PLANE_CA: '/etc/hubpo/key.pem' }, files)).toThrow(
      /HUBPO_CONTROL_PLANE_CA: .* holds no PEM CERTIFICATE/,
    );
    expect(() =>
      configFromEnv(
        { ...base, HUBPO_CONTROL_PLANE_URL: 'http://cp:9080', HUBPO_CONTROL_PLANE_CA: '/etc/hubpo/ca.crt' },
        files,
      ),
    ).toThrow(/HUBPO_CONTROL_PLANE_CA needs an https HUBPO_CONTROL_PLANE_URL/);
  });
});

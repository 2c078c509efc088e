/*
 * The Helm chart, checked with the real helm binary (scripts/install-tools.sh puts helm 3.18 in
 * .tools/bin when it is missing):
 *   - `helm lint` passes for every values file;
 *   - `helm template` of every values file equals its golden render in test/__golden__/ (regenerate
 *     with `UPDATE_GOLDEN=1 npx jest charts --selectProjects integration` and review the diff);
 *   - what a user would notice: pods that run as non-root on a read-only root filesystem, probes
 *     on the ports the programs listen on, Services that select pods, Secrets that exist, a
 *     least-privilege operator, values.schema.json and the cross-value checks refusing bad input.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNats } from '@hubpo/testkit';
import type { NatsProcess } from '@hubpo/testkit';
import { parseAllDocuments } from 'yaml';
import { OPERATOR_PERMISSIONS } from '../../../packages/operator/test/support/operator-permissions.js';

const ROOT = join(__dirname, '..', '..', '..');
const CHART = join(ROOT, 'charts', 'hubpo');
// `__golden__` directories are left alone by prettier (.prettierignore): goldens are helm's exact output.
const GOLDEN = join(CHART, 'test', '__golden__');
const HELM = join(ROOT, '.tools', 'bin', 'helm');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const RELEASE = 'hubpo';
const NAMESPACE = 'hubpo';
const KUBE_VERSION = '1.31.0';

/** Golden case name -> values files (repo-relative), applied in order on top of values.yaml. */
const CASES: Record<string, readonly string[]> = {
  default: [],
  aws: ['charts/hubpo/values-aws.yaml'],
  gcp: ['charts/hubpo/values-gcp.yaml'],
  azure: ['charts/hubpo/values-azure.yaml'],
  onprem: ['charts/hubpo/values-onprem.yaml'],
  'multi-cluster-hub': ['charts/hubpo/values-aws.yaml', 'docs/install/examples/hub-cluster.yaml'],
  'multi-cluster-leaf': ['charts/hubpo/values-gcp.yaml', 'docs/install/examples/leaf-cluster.yaml'],
  'multi-cluster-grpc-member': [
    'charts/hubpo/values-azure.yaml',
    'docs/install/examples/grpc-member-cluster.yaml',
  ],
  'grpc-tls': ['charts/hubpo/values-aws.yaml', 'docs/install/examples/grpc-tls.yaml'],
  'grpc-token': ['charts/hubpo/values-aws.yaml', 'docs/install/examples/grpc-token.yaml'],
};

/** Secrets the values files expect to exist beforehand (existingSecret), with their keys. */
const EXTERNAL_SECRETS: Record<string, readonly string[]> = {
  'hubpo-secrets': ['admin-token', 'secret-key', 'bootstrap-token', 'dataplane-key'],
  'hubpo-database': ['database-url'],
  'hubpo-db-app': ['uri'],
  'hubpo-leafnode-auth': ['username', 'password'],
  'hubpo-leafnode-remote': ['url'],
  'hubpo-leafnode-tls': ['tls.crt', 'tls.key'],
  // cert-manager Certificate Secrets (docs/install/README.md, "TLS between the planes").
  'hubpo-grpc-server-tls': ['tls.crt', 'tls.key', 'ca.crt'],
  'hubpo-grpc-gateway-tls': ['tls.crt', 'tls.key', 'ca.crt'],
  // HTTPS on the admin API (admin.tls): the hub's certificate, and its CA copied to members.
  'hubpo-admin-server-tls': ['tls.crt', 'tls.key', 'ca.crt'],
  'hubpo-admin-ca': ['ca.crt'],
  // The shared gRPC bearer token (grpc.auth.existingSecret).
  'hubpo-grpc-token': ['token'],
};

type Obj = Record<string, any>;

interface HelmResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function helm(args: readonly string[]): HelmResult {
  const result = spawnSync(HELM, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(ROOT, '.tools', 'helm-cache'),
      HELM_CONFIG_HOME: join(ROOT, '.tools', 'helm-config'),
      HELM_DATA_HOME: join(ROOT, '.tools', 'helm-data'),
    },
  });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function valueArgs(files: readonly string[], sets: readonly string[] = []): string[] {
  return [...files.flatMap((f) => ['-f', f]), ...sets.flatMap((s) => ['--set', s])];
}

function template(files: readonly string[], sets: readonly string[] = []): HelmResult {
  return helm([
    'template',
    RELEASE,
    'charts/hubpo',
    '--namespace',
    NAMESPACE,
    '--kube-version',
    KUBE_VERSION,
    ...valueArgs(files, sets),
  ]);
}

function render(files: readonly string[], sets: readonly string[] = []): string {
  const result = template(files, sets);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return result.stdout;
}

function objects(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML in render: ${doc.errors[0]?.message}`);
      return doc.toJS() as Obj | null;
    })
    .filter((o): o is Obj => o !== null);
}

/**
 * Secret values the chart generated differ on every render (the live cluster keeps them): the
 * golden shows a placeholder for each key listed in `hubpo.io/generated-keys`.
 */
function maskGenerated(text: string): string {
  return text
    .split(/^---$/m)
    .map((doc) => {
      const listed = /^\s+hubpo\.io\/generated-keys: "([^"]*)"$/m.exec(doc)?.[1];
      if (listed === undefined || !/^kind: Secret$/m.test(doc)) return doc;
      return listed
        .split(',')
        .reduce((out, key) => out.replace(new RegExp(`^(  ${key}): .+$`, 'm'), '$1: <generated>'), doc);
    })
    .join('---');
}

function workloads(objs: readonly Obj[]): Obj[] {
  return objs.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o['kind']));
}

function find(objs: readonly Obj[], kind: string, name: string): Obj {
  const found = objs.find((o) => o['kind'] === kind && o['metadata']['name'] === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in the render`);
  return found;
}

function containersOf(workload: Obj): Obj[] {
  const spec = workload['spec']['template']['spec'];
  return [...(spec['initContainers'] ?? []), ...spec['containers']];
}

function envOf(container: Obj, name: string): Obj | undefined {
  return (container['env'] ?? []).find((e: Obj) => e['name'] === name);
}

/** Secret volumes of a pod (plain or projected): volume name -> its sources. */
function secretSources(workload: Obj): Map<string, { name: string; items: Obj[] | undefined }[]> {
  const out = new Map<string, { name: string; items: Obj[] | undefined }[]>();
  for (const volume of workload['spec']['template']['spec']['volumes'] ?? []) {
    const plain =
      volume['secret'] === undefined
        ? []
        : [{ secret: { ...volume['secret'], name: volume['secret']['secretName'] } }];
    const sources = [...plain, ...(volume['projected']?.['sources'] ?? [])].filter(
      (src: Obj) => src['secret'],
    );
    if (sources.length > 0)
      out.set(
        volume['name'],
        sources.map((src: Obj) => ({ name: src['secret']['name'], items: src['secret']['items'] })),
      );
  }
  return out;
}

/**
 * Files a container sees from Secrets, `mountPath/item path` -> `secret:key`, for volumes that
 * list their items (the chart's always do), and whether each mount is read-only.
 */
function secretFiles(workload: Obj, container: Obj): { files: Record<string, string>; readOnly: boolean[] } {
  const sources = secretSources(workload);
  const files: Record<string, string> = {};
  const readOnly: boolean[] = [];
  for (const mount of container['volumeMounts'] ?? []) {
    const volume = sources.get(mount['name']);
    if (volume === undefined) continue;
    readOnly.push(mount['readOnly'] === true);
    for (const source of volume)
      for (const item of source.items ?? [])
        files[`${mount['mountPath']}/${item['path']}`] = `${source.name}:${item['key']}`;
  }
  return { files, readOnly };
}

/** The container port a probe targets, by name or number. */
function probePort(container: Obj, probe: Obj): number {
  const port = probe['httpGet']['port'];
  if (typeof port === 'number') return port;
  const declared = (container['ports'] ?? []).find((p: Obj) => p['name'] === port);
  if (declared === undefined) throw new Error(`${container['name']}: probe port ${port} is not declared`);
  return declared['containerPort'];
}

beforeAll(() => {
  if (existsSync(HELM)) return;
  const install = spawnSync('bash', [join(ROOT, 'scripts', 'install-tools.sh')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (install.status !== 0)
    throw new Error(`scripts/install-tools.sh failed:\n${install.stdout}${install.stderr}`);
}, 300_000);

describe('helm lint', () => {
  it.each(Object.entries(CASES))('passes with the %s values', (_name, files) => {
    const result = helm(['lint', 'charts/hubpo', '--strict', ...valueArgs(files)]);
    expect(`${result.stdout}${result.stderr}`).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.stdout).not.toMatch(/\[(ERROR|WARNING)\]/);
    expect(result.status).toBe(0);
  });
});

describe('golden renders', () => {
  it.each(Object.entries(CASES))('%s matches test/__golden__/<name>.yaml', (name, files) => {
    const header =
      `# helm template ${RELEASE} charts/hubpo --namespace ${NAMESPACE} --kube-version ${KUBE_VERSION}` +
      `${files.map((f) => ` -f ${f}`).join('')}\n` +
      '# Generated by charts/hubpo/test/chart.test.ts; regenerate with UPDATE_GOLDEN=1 and review the diff.\n';
    const actual = header + maskGenerated(render(files));
    const file = join(GOLDEN, `${name}.yaml`);
    if (UPDATE) {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, actual);
    }
    expect(existsSync(file)).toBe(true);
    expect(actual).toBe(readFileSync(file, 'utf8'));
  });

  it('has no golden file without a case', () => {
    const names = readdirSync(GOLDEN).map((f) => f.replace(/\.yaml$/, ''));
    expect(names.sort()).toEqual(Object.keys(CASES).sort());
  });
});

describe.each(Object.entries(CASES))('the %s render', (_name, files) => {
  let objs: Obj[] = [];
  beforeAll(() => {
    objs = objects(render(files));
  });

  it('runs every container as uid 10001, non-root, read-only root filesystem, no privileges', () => {
    expect(workloads(objs).length).toBeGreaterThan(0);
    for (const workload of workloads(objs)) {
      const pod = workload['spec']['template']['spec'];
      expect(pod['securityContext']).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const container of containersOf(workload)) {
        expect({ name: container['name'], ...container['securityContext'] }).toMatchObject({
          name: container['name'],
          runAsNonRoot: true,
          runAsUser: 10001,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
      }
    }
  });

  it('mounts a writable /tmp in every Hubpo container', () => {
    for (const workload of workloads(objs)) {
      for (const container of containersOf(workload)) {
        if (!String(container['image']).startsWith('ghcr.io/hubpo/hubpo')) continue;
        const mounts = (container['volumeMounts'] ?? []).map((m: Obj) => m['mountPath']);
        expect({ container: container['name'], mounts }).toEqual({
          container: container['name'],
          mounts: expect.arrayContaining(['/tmp']),
        });
      }
    }
  });

  it('probes every long-running container on the port its program serves health on', () => {
    const healthPort: Record<string, number> = {
      'control-plane': 9080,
      gateway: 9091,
      operator: 9092,
      nats: 8222,
      'cloud-sql-proxy': 9801,
    };
    for (const workload of workloads(objs).filter((w) => w['kind'] !== 'Job')) {
      for (const container of containersOf(workload)) {
        const name = String(container['name']);
        expect(healthPort[name]).toBeDefined();
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
          expect({ name, probe, present: container[probe] !== undefined }).toEqual({
            name,
            probe,
            present: true,
          });
          expect(probePort(container, container[probe])).toBe(healthPort[name]);
        }
      }
    }
  });

  it('gives every Service pods to send to', () => {
    const podLabels = workloads(objs).map((w) => w['spec']['template']['metadata']['labels'] as Obj);
    for (const service of objs.filter((o) => o['kind'] === 'Service')) {
      const selector = service['spec']['selector'] as Obj;
      const matches = podLabels.filter((labels) =>
        Object.entries(selector).every(([k, v]) => labels[k] === v),
      );
      expect({ service: service['metadata']['name'], matches: matches.length }).toEqual({
        service: service['metadata']['name'],
        matches: 1,
      });
    }
  });

  it('references only Secrets and keys that exist (rendered here or expected beforehand)', () => {
    const keys = new Map<string, readonly string[]>(Object.entries(EXTERNAL_SECRETS));
    for (const secret of objs.filter((o) => o['kind'] === 'Secret')) {
      keys.set(secret['metadata']['name'], Object.keys(secret['data'] ?? {}));
    }
    for (const workload of workloads(objs)) {
      for (const container of containersOf(workload)) {
        for (const env of container['env'] ?? []) {
          const ref = env['valueFrom']?.['secretKeyRef'];
          if (ref === undefined) continue;
          expect({ env: env['name'], key: ref['key'], in: keys.get(ref['name']) }).toEqual({
            env: env['name'],
            key: ref['key'],
            in: expect.arrayContaining([ref['key']]),
          });
        }
      }
      for (const [volume, sources] of secretSources(workload)) {
        for (const source of sources) {
          const wanted = (source.items ?? []).map((item) => item['key']);
          expect({ volume, secret: source.name, in: keys.get(source.name) }).toEqual({
            volume,
            secret: source.name,
            in: expect.arrayContaining(wanted),
          });
        }
      }
    }
  });

  it('points gateways and the operator at a control plane', () => {
    const gateway = find(objs, 'Deployment', 'hubpo-gateway');
    const driver = envOf(gateway['spec']['template']['spec']['containers'][0], 'HUBPO_CONFIG_DRIVER');
    const operator = find(objs, 'Deployment', 'hubpo-operator')['spec']['template']['spec']['containers'][0];
    const controlPlane = objs.find(
      (o) => o['kind'] === 'Service' && o['metadata']['name'] === 'hubpo-control-plane',
    );
    if (controlPlane !== undefined) {
      const ports = Object.fromEntries(controlPlane['spec']['ports'].map((p: Obj) => [p['name'], p['port']]));
      // https when the control plane serves its admin port with TLS (admin.tls).
      const cp = find(objs, 'Deployment', 'hubpo-control-plane')['spec']['template']['spec']['containers'][0];
      const scheme = envOf(cp, 'HUBPO_ADMIN_TLS_CERT') === undefined ? 'http' : 'https';
      expect(envOf(operator, 'HUBPO_CONTROL_PLANE_URL')?.['value']).toBe(
        `${scheme}://hubpo-control-plane.${NAMESPACE}.svc:${ports['admin']}`,
      );
      if (driver?.['value'] === 'grpc') {
        expect(
          envOf(gateway['spec']['template']['spec']['containers'][0], 'HUBPO_CONTROL_PLANE_GRPC')?.['value'],
        ).toBe(`hubpo-control-plane.${NAMESPACE}.svc:${ports['grpc']}`);
      }
    } else {
      expect(envOf(operator, 'HUBPO_CONTROL_PLANE_URL')?.['value']).toMatch(/^https?:\/\//);
    }
    if (driver?.['value'] === 'nats') {
      expect(envOf(gateway['spec']['template']['spec']['containers'][0], 'NATS_URL')).toBeDefined();
    }
  });

  it('gives the operator no wildcard, no Secret writes and Leases only in its namespace', () => {
    const roles = objs.filter((o) => ['ClusterRole', 'Role'].includes(o['kind']));
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      for (const rule of role['rules'] as Obj[]) {
        for (const field of ['apiGroups', 'resources', 'verbs']) expect(rule[field]).not.toContain('*');
        if (rule['resources'].includes('secrets')) expect(rule['verbs'].sort()).toEqual(['list', 'watch']);
        if (role['kind'] === 'ClusterRole') expect(rule['resources']).not.toContain('leases');
      }
    }
    const leaseRole = roles.find(
      (o) => o['kind'] === 'Role' && o['rules'].some((r: Obj) => r['resources'].includes('leases')),
    );
    expect(leaseRole?.['metadata']['namespace']).toBe(NAMESPACE);
  });
});

describe('values checks', () => {
  it('values.schema.json refuses a negative gateway.replicas with a message naming it', () => {
    const result = template([], ['gateway.replicas=-1']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('gateway.replicas');
    expect(result.stderr).toMatch(/greater than or equal to 0/i);
  });

  it('values.schema.json refuses an unknown key (a typo) and a bad cluster name', () => {
    const typo = template([], ['gateway.replica=3']);
    expect(typo.status).not.toBe(0);
    expect(typo.stderr).toMatch(/gateway.*replica/);
    const cluster = template([], ['global.cluster=Prod_1']);
    expect(cluster.status).not.toBe(0);
    expect(cluster.stderr).toContain('global.cluster');
  });

  it.each([
    [['controlPlane.enabled=false'], 'controlPlane.remote.url'],
    [
      ['controlPlane.database.type=external'],
      'controlPlane.database.url or controlPlane.database.existingSecret',
    ],
    [['controlPlane.replicas=2'], 'needs controlPlane.database.type: external'],
    [['gateway.configDriver=nats'], 'nats.mode'],
    [['secrets.secretKey=c2hvcnQ='], 'secrets.secretKey must be 32 random bytes in base64'],
    [['secrets.dataplaneKey=not base64!'], 'secrets.dataplaneKey must be 32 random bytes in base64'],
    [['nats.mode=internal', 'nats.internal.leafnode.listen.enabled=true'], 'leafnode.listen.existingSecret'],
    [
      [
        'controlPlane.enabled=false',
        'controlPlane.remote.url=https://cp.example.com',
        'controlPlane.remote.grpcAddress=cp.example.com:18000',
      ],
      'secrets.bootstrapToken',
    ],
  ])('refuses %j with a message naming %s', (sets, message) => {
    const result = template([], sets);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

describe('chart behaviour', () => {
  it('generates strong credentials once per install and does not roll pods for them', () => {
    const first = objects(render([]));
    const second = objects(render([]));
    const data = (objs: Obj[]): Obj => find(objs, 'Secret', 'hubpo-secrets')['data'];
    const decoded = (objs: Obj[], key: string): string => Buffer.from(data(objs)[key], 'base64').toString();
    for (const key of ['secret-key', 'dataplane-key'])
      expect(Buffer.from(decoded(first, key), 'base64')).toHaveLength(32);
    for (const key of ['admin-token', 'bootstrap-token'])
      expect(decoded(first, key)).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(data(first)['admin-token']).not.toBe(data(second)['admin-token']);
    const checksum = (objs: Obj[]): string =>
      find(objs, 'Deployment', 'hubpo-gateway')['spec']['template']['metadata']['annotations'][
        'checksum/secrets'
      ];
    expect(checksum(first)).toBe(checksum(second));
    expect(checksum(objects(render([], ['secrets.adminToken=a-token-of-twenty-chars'])))).not.toBe(
      checksum(first),
    );
  });

  it('uses the values given for credentials instead of generating them', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const objs = objects(
      render([], ['secrets.adminToken=admin-token-0123456789', `secrets.secretKey=${key}`]),
    );
    const secret = find(objs, 'Secret', 'hubpo-secrets');
    expect(Buffer.from(secret['data']['admin-token'], 'base64').toString()).toBe('admin-token-0123456789');
    expect(Buffer.from(secret['data']['secret-key'], 'base64').toString()).toBe(key);
    expect(secret['metadata']['annotations']['hubpo.io/generated-keys']).toBe(
      'bootstrap-token,dataplane-key',
    );
  });

  it('renders a gateway PDB only when more than one replica runs, and an HPA when asked', () => {
    const kinds = (sets: string[]): string[] => objects(render([], sets)).map((o) => o['kind']);
    expect(kinds([])).toContain('PodDisruptionBudget');
    expect(kinds(['gateway.replicas=1'])).not.toContain('PodDisruptionBudget');
    const scaled = objects(
      render([], ['gateway.autoscaling.enabled=true', 'gateway.autoscaling.minReplicas=3']),
    );
    expect(find(scaled, 'HorizontalPodAutoscaler', 'hubpo-gateway')['spec']).toMatchObject({
      minReplicas: 3,
      scaleTargetRef: { kind: 'Deployment', name: 'hubpo-gateway' },
      metrics: [{ type: 'Resource', resource: { name: 'cpu' } }],
    });
    expect(find(scaled, 'Deployment', 'hubpo-gateway')['spec']['replicas']).toBeUndefined();
    expect(find(scaled, 'PodDisruptionBudget', 'hubpo-gateway')['spec']['minAvailable']).toBe(1);
  });

  it('scopes the operator to the watched namespaces with RoleBindings, Namespaces (cluster-scoped) aside', () => {
    const objs = objects(render([], ['operator.watchNamespaces={team-a,team-b}']));
    const clusterBindings = objs.filter((o) => o['kind'] === 'ClusterRoleBinding');
    expect(clusterBindings).toHaveLength(1);
    const clusterWide = find(objs, 'ClusterRole', clusterBindings[0]!['roleRef']['name']);
    expect(clusterWide['rules']).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
    ]);
    const bindings = objs.filter(
      (o) => o['kind'] === 'RoleBinding' && o['roleRef']['kind'] === 'ClusterRole',
    );
    expect(bindings.map((b) => b['metadata']['namespace']).sort()).toEqual(['team-a', 'team-b']);
    const operator = find(objs, 'Deployment', 'hubpo-operator')['spec']['template']['spec']['containers'][0];
    expect(envOf(operator, 'HUBPO_WATCH_NAMESPACES')?.['value']).toBe('team-a,team-b');
  });

  it('scrapes /metrics on the admin ports with ServiceMonitors when asked', () => {
    const objs = objects(render([], ['metrics.serviceMonitor.enabled=true']));
    const monitors = objs.filter((o) => o['kind'] === 'ServiceMonitor');
    expect(monitors.map((m) => m['metadata']['name']).sort()).toEqual([
      'hubpo-control-plane',
      'hubpo-gateway',
    ]);
    for (const monitor of monitors) {
      const selector = monitor['spec']['selector']['matchLabels'] as Obj;
      const services = objs.filter(
        (o) =>
          o['kind'] === 'Service' &&
          Object.entries(selector).every(([k, v]) => o['metadata']['labels'][k] === v),
      );
      expect(services).toHaveLength(1);
      const port = services[0]!['spec']['ports'].find(
        (p: Obj) => p['name'] === monitor['spec']['endpoints'][0]['port'],
      );
      expect({
        monitor: monitor['metadata']['name'],
        port: port?.['port'],
        path: monitor['spec']['endpoints'][0]['path'],
      }).toEqual({
        monitor: monitor['metadata']['name'],
        port: monitor['metadata']['name'] === 'hubpo-gateway' ? 9091 : 9080,
        path: '/metrics',
      });
    }
    expect(find(objs, 'Service', 'hubpo-gateway')['spec']['ports'].map((p: Obj) => p['port'])).toEqual([80]);
  });

  it('switches components off', () => {
    const objs = objects(
      render(
        [],
        [
          'controlPlane.enabled=false',
          'operator.enabled=false',
          'controlPlane.remote.grpcAddress=cp.example.com:18000',
          `secrets.dataplaneKey=${Buffer.alloc(32, 1).toString('base64')}`,
        ],
      ),
    );
    const names = workloads(objs).map((w) => w['metadata']['name']);
    expect(names).toEqual(['hubpo-gateway']);
    expect(objs.some((o) => o['kind'] === 'ClusterRole')).toBe(false);
    expect(Object.keys(find(objs, 'Secret', 'hubpo-secrets')['data'])).toEqual(['dataplane-key']);
  });

  it('configures the cloud specifics of each values file', () => {
    const aws = objects(render(CASES['aws']!));
    expect(find(aws, 'Service', 'hubpo-gateway')['metadata']['annotations']).toMatchObject({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-healthcheck-port': '9091',
    });
    expect(find(aws, 'ServiceAccount', 'hubpo-gateway')['metadata']['annotations']).toHaveProperty([
      'eks.amazonaws.com/role-arn',
    ]);

    const gcp = objects(render(CASES['gcp']!));
    const proxy = find(gcp, 'Deployment', 'hubpo-control-plane')['spec']['template']['spec'][
      'initContainers'
    ][0];
    expect(proxy).toMatchObject({ name: 'cloud-sql-proxy', restartPolicy: 'Always' });
    expect(proxy['args']).toContain('my-project:europe-west1:hubpo');
    const url = Buffer.from(
      find(gcp, 'Secret', 'hubpo-database')['data']['database-url'],
      'base64',
    ).toString();
    expect(url).toContain('@127.0.0.1:5432/');
    expect(find(gcp, 'ServiceAccount', 'hubpo-gateway')['metadata']['annotations']).toHaveProperty([
      'iam.gke.io/gcp-service-account',
    ]);

    const azure = objects(render(CASES['azure']!));
    expect(
      find(azure, 'Deployment', 'hubpo-gateway')['spec']['template']['metadata']['labels'],
    ).toMatchObject({
      'azure.workload.identity/use': 'true',
    });
    expect(find(azure, 'ServiceAccount', 'hubpo-gateway')['metadata']['annotations']).toHaveProperty([
      'azure.workload.identity/client-id',
    ]);
    expect(find(azure, 'Service', 'hubpo-gateway')['spec']['externalTrafficPolicy']).toBe('Local');

    const onprem = objects(render(CASES['onprem']!));
    expect(find(onprem, 'StatefulSet', 'hubpo-nats')['spec']['replicas']).toBe(3);
    expect(find(onprem, 'Service', 'hubpo-gateway')['metadata']['annotations']).toHaveProperty([
      'metallb.io/address-pool',
    ]);
  });

  it('tells the control plane how many replicas its NATS streams get (HUBPO_NATS_REPLICAS)', () => {
    const replicasOf = (files: readonly string[], sets: readonly string[] = []): unknown => {
      const cp = find(objects(render(files, sets)), 'Deployment', 'hubpo-control-plane');
      return envOf(containersOf(cp)[0]!, 'HUBPO_NATS_REPLICAS')?.['value'];
    };
    // In-chart NATS as a 3-server cluster: R3; a single server: R1; external: 1 unless set.
    expect(replicasOf(CASES['onprem']!)).toBe('3');
    expect(replicasOf([], ['nats.mode=internal'])).toBe('1');
    expect(replicasOf([], ['nats.mode=external', 'nats.external.url=nats://nats:4222'])).toBe('1');
    expect(
      replicasOf([], ['nats.mode=external', 'nats.external.url=nats://nats:4222', 'nats.streamReplicas=5']),
    ).toBe('5');
    expect(replicasOf(CASES['onprem']!, ['nats.streamReplicas=1'])).toBe('1');
    expect(replicasOf([])).toBeUndefined(); // no NATS
    const tooMany = template([], ['nats.mode=internal', 'nats.streamReplicas=6']);
    expect(tooMany.status).not.toBe(0);
    expect(tooMany.stderr).toMatch(/streamReplicas/);
    const moreThanServers = template(CASES['onprem']!, ['nats.streamReplicas=5']);
    expect(moreThanServers.status).not.toBe(0);
    expect(moreThanServers.stderr).toContain(
      'nats.streamReplicas (5) exceeds the servers of the in-chart NATS (nats.internal.replicas: 3)',
    );
  });

  it('makes a leaf cluster mirror the hub config bucket through its own NATS leaf node', () => {
    const leaf = objects(render(CASES['multi-cluster-leaf']!));
    expect(leaf.some((o) => o['metadata']['name'] === 'hubpo-control-plane')).toBe(false);
    const conf = find(leaf, 'ConfigMap', 'hubpo-nats-config')['data']['nats.conf'];
    expect(conf).toContain('domain: gke-euw1');
    expect(conf).toContain('remotes: [');
    const job = find(leaf, 'Job', 'hubpo-nats-mirror-1');
    expect(job['metadata']['annotations']?.['helm.sh/hook']).toBeUndefined();
    expect(find(leaf, 'ConfigMap', 'hubpo-nats-mirror')['data']['mirror.cjs']).toContain(
      '$JS.${process.env.HUB_DOMAIN}.API',
    );
    expect(envOf(job['spec']['template']['spec']['containers'][0], 'HUB_DOMAIN')?.['value']).toBe('hub');
    const hub = objects(render(CASES['multi-cluster-hub']!));
    expect(find(hub, 'ConfigMap', 'hubpo-nats-config')['data']['nats.conf']).toMatch(
      /domain: hub[\s\S]*port: 7422/,
    );
    expect(find(hub, 'Service', 'hubpo-nats-leafnodes')['spec']['type']).toBe('LoadBalancer');
  });
});

/**
 * NOTES.txt as `helm install` would print it: `helm template` leaves NOTES out and `helm install
 * --dry-run` needs a cluster, so a copy of the chart renders it as an ordinary template.
 */
function notes(sets: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'hubpo-notes-'));
  try {
    const copy = join(dir, 'hubpo');
    cpSync(CHART, copy, { recursive: true, filter: (src) => !src.includes('__golden__') });
    const text = readFileSync(join(copy, 'templates', 'NOTES.txt'), 'utf8');
    rmSync(join(copy, 'templates', 'NOTES.txt'));
    writeFileSync(join(copy, 'templates', '_notes.tpl'), `{{- define "test.notes" -}}\n${text}{{- end -}}\n`);
    writeFileSync(
      join(copy, 'templates', 'notes.yaml'),
      'kind: Notes\ntext: {{ include "test.notes" . | toJson }}\n',
    );
    const result = helm([
      'template',
      RELEASE,
      copy,
      '--namespace',
      NAMESPACE,
      '--show-only',
      'templates/notes.yaml',
      ...valueArgs([], sets),
    ]);
    if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
    return String(objects(result.stdout)[0]?.['text']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('gRPC TLS between the planes', () => {
  const DIR = '/etc/hubpo/grpc-tls';
  const TLS_ENV = /^HUBPO_(GRPC_TLS_|CONTROL_PLANE_GRPC_(CA|CERT|KEY|SERVER_NAME))/;
  const member = [
    'controlPlane.enabled=false',
    'operator.enabled=false',
    'controlPlane.remote.grpcAddress=cp.example.com:18000',
    `secrets.dataplaneKey=${Buffer.alloc(32, 1).toString('base64')}`,
  ];

  /** The control plane's or gateway's container with its env as a map and the Secret files it sees. */
  const side = (
    objs: Obj[],
    name: string,
  ): { env: Record<string, string>; files: Record<string, string>; readOnly: boolean[] } => {
    const workload = find(objs, 'Deployment', name);
    const container = workload['spec']['template']['spec']['containers'][0];
    const env = Object.fromEntries(
      (container['env'] as Obj[]).filter((e) => TLS_ENV.test(e['name'])).map((e) => [e['name'], e['value']]),
    );
    return { env, ...secretFiles(workload, container) };
  };

  it('is off by default: plaintext, nothing mounted, the gRPC port marked h2c', () => {
    const objs = objects(render([]));
    for (const name of ['hubpo-control-plane', 'hubpo-gateway']) {
      expect(side(objs, name)).toEqual({ env: {}, files: {}, readOnly: [] });
    }
    const grpc = find(objs, 'Service', 'hubpo-control-plane')['spec']['ports'].find(
      (p: Obj) => p['name'] === 'grpc',
    );
    expect(grpc['appProtocol']).toBe('kubernetes.io/h2c');
  });

  it("gives the control plane its certificate and this cluster's gateways only the CA", () => {
    const objs = objects(render([], ['grpc.tls.enabled=true', 'grpc.tls.serverSecret=cp-tls']));
    expect(side(objs, 'hubpo-control-plane')).toEqual({
      env: { HUBPO_GRPC_TLS_CERT: `${DIR}/tls.crt`, HUBPO_GRPC_TLS_KEY: `${DIR}/tls.key` },
      files: { [`${DIR}/tls.crt`]: 'cp-tls:tls.crt', [`${DIR}/tls.key`]: 'cp-tls:tls.key' },
      readOnly: [true],
    });
    // The server's private key never reaches the gateway pods.
    expect(side(objs, 'hubpo-gateway')).toEqual({
      env: { HUBPO_CONTROL_PLANE_GRPC_CA: `${DIR}/ca.crt` },
      files: { [`${DIR}/ca.crt`]: 'cp-tls:ca.crt' },
      readOnly: [true],
    });
    const grpc = find(objs, 'Service', 'hubpo-control-plane')['spec']['ports'].find(
      (p: Obj) => p['name'] === 'grpc',
    );
    expect(grpc['appProtocol']).toBeUndefined();
  });

  it('under mutual TLS, checks gateway certificates and gives gateways theirs', () => {
    const objs = objects(
      render(
        [],
        [
          'grpc.tls.enabled=true',
          'grpc.tls.serverSecret=cp-tls',
          'grpc.tls.mutual=true',
          'grpc.tls.clientCASecret=clients-ca',
          'grpc.tls.gatewaySecret=gw-tls',
          'grpc.tls.serverName=cp.internal.example.com',
        ],
      ),
    );
    expect(side(objs, 'hubpo-control-plane')).toEqual({
      env: {
        HUBPO_GRPC_TLS_CERT: `${DIR}/tls.crt`,
        HUBPO_GRPC_TLS_KEY: `${DIR}/tls.key`,
        HUBPO_GRPC_TLS_CLIENT_CA: `${DIR}/client-ca.crt`,
      },
      files: {
        [`${DIR}/tls.crt`]: 'cp-tls:tls.crt',
        [`${DIR}/tls.key`]: 'cp-tls:tls.key',
        [`${DIR}/client-ca.crt`]: 'clients-ca:ca.crt',
      },
      readOnly: [true],
    });
    expect(side(objs, 'hubpo-gateway')).toEqual({
      env: {
        HUBPO_CONTROL_PLANE_GRPC_CA: `${DIR}/ca.crt`,
        HUBPO_CONTROL_PLANE_GRPC_CERT: `${DIR}/tls.crt`,
        HUBPO_CONTROL_PLANE_GRPC_KEY: `${DIR}/tls.key`,
        HUBPO_CONTROL_PLANE_GRPC_SERVER_NAME: 'cp.internal.example.com',
      },
      files: {
        [`${DIR}/ca.crt`]: 'gw-tls:ca.crt',
        [`${DIR}/tls.crt`]: 'gw-tls:tls.crt',
        [`${DIR}/tls.key`]: 'gw-tls:tls.key',
      },
      readOnly: [true],
    });
  });

  it('configures the gateways of a cluster without a control plane on their own', () => {
    const objs = objects(
      render(
        [],
        [...member, 'grpc.tls.enabled=true', 'grpc.tls.mutual=true', 'grpc.tls.gatewaySecret=gw-tls'],
      ),
    );
    expect(workloads(objs).map((w) => w['metadata']['name'])).toEqual(['hubpo-gateway']);
    expect(side(objs, 'hubpo-gateway').files).toEqual({
      [`${DIR}/ca.crt`]: 'gw-tls:ca.crt',
      [`${DIR}/tls.crt`]: 'gw-tls:tls.crt',
      [`${DIR}/tls.key`]: 'gw-tls:tls.key',
    });
    const example = objects(render(CASES['multi-cluster-grpc-member']!));
    expect(side(example, 'hubpo-gateway').env).toMatchObject({
      HUBPO_CONTROL_PLANE_GRPC_CERT: `${DIR}/tls.crt`,
    });
  });

  it('leaves gateways that read config from NATS without certificates', () => {
    const hub = objects(render(CASES['multi-cluster-hub']!));
    expect(side(hub, 'hubpo-control-plane').env).toHaveProperty('HUBPO_GRPC_TLS_CLIENT_CA');
    expect(side(hub, 'hubpo-gateway')).toEqual({ env: {}, files: {}, readOnly: [] });
  });

  it.each([
    [['grpc.tls.mutual=true'], 'grpc.tls.enabled'],
    [['grpc.tls.enabled=true'], 'grpc.tls.serverSecret'],
    [
      ['grpc.tls.enabled=true', 'grpc.tls.serverSecret=cp-tls', 'grpc.tls.mutual=true'],
      'grpc.tls.gatewaySecret',
    ],
    [[...member, 'grpc.tls.enabled=true'], 'grpc.tls.gatewaySecret'],
    [['grpc.tls.enabled=true', 'grpc.tls.serverSecret=Not_A_Secret'], 'grpc.tls.serverSecret'],
  ])('values.schema.json refuses %j naming %s', (sets, path) => {
    const result = template([], sets);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`- ${path.replace(/\./g, '\\.')}: `));
  });

  it('warns in NOTES when gRPC would cross clusters in plaintext, or authenticating no gateway', () => {
    const plaintextWarning = /WARNING: [^\n]*gRPC[^\n]*\n?[^\n]*plaintext/;
    expect(notes([])).not.toMatch(/gRPC|grpc\.tls/);
    expect(notes(['controlPlane.service.type=LoadBalancer'])).toMatch(plaintextWarning);
    expect(notes(member)).toMatch(
      /WARNING: gateways reach the remote control plane \(cp\.example\.com:18000\) over gRPC in\nplaintext/,
    );
    expect(notes([...member, 'grpc.tls.enabled=true', 'grpc.tls.gatewaySecret=gw-tls'])).not.toMatch(
      plaintextWarning,
    );
    const oneWay = notes([
      'controlPlane.service.type=LoadBalancer',
      'grpc.tls.enabled=true',
      'grpc.tls.serverSecret=cp-tls',
    ]);
    expect(oneWay).not.toMatch(plaintextWarning);
    expect(oneWay).toMatch(
      /TLS\nthat authenticates no caller[\s\S]*client\ncertificates \(grpc\.tls\.mutual: false\)/,
    );
  });
});

describe('gRPC bearer token between the planes (grpc.auth)', () => {
  const member = [
    'controlPlane.enabled=false',
    'operator.enabled=false',
    'controlPlane.remote.grpcAddress=cp.example.com:18000',
    `secrets.dataplaneKey=${Buffer.alloc(32, 1).toString('base64')}`,
  ];
  const TOKEN = 'a-grpc-token-of-32-characters-00';

  /** Where each workload's HUBPO_GRPC_TOKEN comes from (`secret:key`), by workload name. */
  const tokenRefs = (objs: Obj[]): Record<string, string> => {
    const refs: Record<string, string> = {};
    for (const workload of workloads(objs)) {
      for (const container of containersOf(workload)) {
        const ref = envOf(container, 'HUBPO_GRPC_TOKEN')?.['valueFrom']?.['secretKeyRef'];
        if (ref !== undefined) refs[workload['metadata']['name']] = `${ref['name']}:${ref['key']}`;
        expect(envOf(container, 'HUBPO_GRPC_TOKEN')?.['value']).toBeUndefined(); // never inline
      }
    }
    return refs;
  };
  const tokenOf = (objs: Obj[]): string =>
    Buffer.from(find(objs, 'Secret', 'hubpo-grpc-auth')['data']['grpc-token'], 'base64').toString();

  it('is off by default: no token anywhere, no Secret for it', () => {
    const objs = objects(render([]));
    expect(tokenRefs(objs)).toEqual({});
    expect(objs.some((o) => o['metadata']['name'] === 'hubpo-grpc-auth')).toBe(false);
  });

  it('gives the control plane and gRPC gateways one generated token, kept, that rolls no pods', () => {
    const first = objects(render([], ['grpc.auth.enabled=true']));
    const second = objects(render([], ['grpc.auth.enabled=true']));
    expect(tokenRefs(first)).toEqual({
      'hubpo-control-plane': 'hubpo-grpc-auth:grpc-token',
      'hubpo-gateway': 'hubpo-grpc-auth:grpc-token',
    });
    expect(tokenOf(first)).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(tokenOf(first)).not.toBe(tokenOf(second));
    const secret = find(first, 'Secret', 'hubpo-grpc-auth');
    expect(secret['metadata']['annotations']).toMatchObject({
      'helm.sh/resource-policy': 'keep',
      'hubpo.io/generated-keys': 'grpc-token',
    });
    const checksum = (objs: Obj[]): string =>
      find(objs, 'Deployment', 'hubpo-gateway')['spec']['template']['metadata']['annotations'][
        'checksum/secrets'
      ];
    expect(checksum(first)).toBe(checksum(second));
    expect(checksum(first)).not.toBe(checksum(objects(render([]))));
    expect(checksum(objects(render([], ['grpc.auth.enabled=true', `grpc.auth.token=${TOKEN}`])))).not.toBe(
      checksum(first),
    );
  });

  it('stores a given token as is, and reads a Secret you manage without rendering one', () => {
    const given = objects(render([], ['grpc.auth.enabled=true', `grpc.auth.token=${TOKEN}`]));
    expect(tokenOf(given)).toBe(TOKEN);
    expect(find(given, 'Secret', 'hubpo-grpc-auth')['metadata']['annotations']).not.toHaveProperty([
      'hubpo.io/generated-keys',
    ]);
    const managed = objects(render(CASES['grpc-token']!));
    expect(tokenRefs(managed)).toEqual({
      'hubpo-control-plane': 'hubpo-grpc-token:token',
      'hubpo-gateway': 'hubpo-grpc-token:token',
    });
    expect(
      objects(render(CASES['grpc-token']!)).some((o) => o['metadata']['name'] === 'hubpo-grpc-auth'),
    ).toBe(false);
  });

  it('leaves the operator and NATS gateways without it', () => {
    const hub = objects(render(CASES['multi-cluster-hub']!, ['grpc.auth.enabled=true']));
    expect(tokenRefs(hub)).toEqual({ 'hubpo-control-plane': 'hubpo-grpc-auth:grpc-token' });
  });

  it('gives the gateways of a cluster without a control plane the token they are given, and needs one', () => {
    const objs = objects(render([], [...member, 'grpc.auth.enabled=true', `grpc.auth.token=${TOKEN}`]));
    expect(tokenRefs(objs)).toEqual({ 'hubpo-gateway': 'hubpo-grpc-auth:grpc-token' });
    expect(tokenOf(objs)).toBe(TOKEN);
    const missing = template([], [...member, 'grpc.auth.enabled=true']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain(
      "set grpc.auth.token (or grpc.auth.existingSecret) to the control plane cluster's token",
    );
  });

  it.each([
    [['grpc.auth.token=fifteen-chars-x'], /- grpc\.auth\.token: /],
    [['grpc.auth.token=has spaces inside it'], /- grpc\.auth\.token: /],
    [['grpc.auth.existingSecret=Not_A_Secret'], /- grpc\.auth\.existingSecret: /],
    [
      [`grpc.auth.token=${TOKEN}`, 'grpc.auth.existingSecret=mine'],
      /set only one of grpc\.auth\.token and grpc\.auth\.existingSecret/,
    ],
  ])('refuses %j', (sets, message) => {
    const result = template([], sets);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('warns in NOTES only when gRPC leaves the cluster with no way to authenticate gateways', () => {
    const exposedTls = [
      'controlPlane.service.type=LoadBalancer',
      'grpc.tls.enabled=true',
      'grpc.tls.serverSecret=cp-tls',
    ];
    const noCaller = /authenticates no caller/;
    expect(notes(exposedTls)).toMatch(noCaller);
    expect(notes([...exposedTls, 'grpc.auth.enabled=true'])).not.toMatch(/WARNING: [^\n]*gRPC/);
    expect(notes([...exposedTls, 'grpc.tls.mutual=true', 'grpc.tls.gatewaySecret=gw-tls'])).not.toMatch(
      /WARNING: [^\n]*gRPC/,
    );
    // A token over plaintext: the warning says the token crosses in the clear.
    expect(notes(['controlPlane.service.type=LoadBalancer', 'grpc.auth.enabled=true'])).toContain(
      'send the gRPC token (grpc.auth) in the clear',
    );
    const memberTls = [...member, 'grpc.tls.enabled=true', 'grpc.tls.gatewaySecret=gw-tls'];
    expect(notes(memberTls)).toContain(
      'with neither a\ngRPC token (grpc.auth.enabled: false) nor a client certificate',
    );
    expect(notes([...memberTls, 'grpc.auth.enabled=true', `grpc.auth.token=${TOKEN}`])).not.toMatch(
      /WARNING: [^\n]*gRPC/,
    );
    expect(notes([])).not.toMatch(/grpc\.auth/);
  });
});

describe('HTTPS on the admin and cluster API (admin.tls)', () => {
  const DIR = '/etc/hubpo/admin-tls';
  const TLS_ENV = /^HUBPO_(ADMIN_TLS_|CONTROL_PLANE_CA$|CONTROL_PLANE_URL$)/;
  const member = [
    'controlPlane.enabled=false',
    'gateway.enabled=false',
    'controlPlane.remote.url=https://cp.example.com',
    'secrets.bootstrapToken=member-bootstrap-token-0123',
  ];

  /** A container's admin TLS env, the files it sees under /etc/hubpo/admin-tls, and its probe schemes. */
  const side = (objs: Obj[], name: string) => {
    const workload = find(objs, 'Deployment', name);
    const container = workload['spec']['template']['spec']['containers'][0];
    const env = Object.fromEntries(
      (container['env'] as Obj[]).filter((e) => TLS_ENV.test(e['name'])).map((e) => [e['name'], e['value']]),
    );
    const mounted = secretFiles(workload, container);
    const files = Object.fromEntries(Object.entries(mounted.files).filter(([path]) => path.startsWith(DIR)));
    const schemes = ['startupProbe', 'livenessProbe', 'readinessProbe'].map(
      (probe) => container[probe]?.['httpGet']?.['scheme'] ?? 'HTTP',
    );
    return { env, files, schemes };
  };

  it('is off by default: plain HTTP, nothing mounted, probes over HTTP', () => {
    const objs = objects(render([]));
    expect(side(objs, 'hubpo-control-plane')).toEqual({
      env: {},
      files: {},
      schemes: ['HTTP', 'HTTP', 'HTTP'],
    });
    expect(side(objs, 'hubpo-operator').env).toEqual({
      HUBPO_CONTROL_PLANE_URL: 'http://hubpo-control-plane.hubpo.svc:9080',
    });
  });

  it('serves HTTPS with the Secret mounted read-only, and points the operator at it with the CA only', () => {
    const objs = objects(
      render(
        [],
        [
          'admin.tls.enabled=true',
          'admin.tls.serverSecret=cp-admin-tls',
          'metrics.serviceMonitor.enabled=true',
        ],
      ),
    );
    expect(side(objs, 'hubpo-control-plane')).toEqual({
      env: { HUBPO_ADMIN_TLS_CERT: `${DIR}/tls.crt`, HUBPO_ADMIN_TLS_KEY: `${DIR}/tls.key` },
      files: { [`${DIR}/tls.crt`]: 'cp-admin-tls:tls.crt', [`${DIR}/tls.key`]: 'cp-admin-tls:tls.key' },
      schemes: ['HTTPS', 'HTTPS', 'HTTPS'],
    });
    // The operator gets the CA, never the server's private key.
    expect(side(objs, 'hubpo-operator')).toEqual({
      env: {
        HUBPO_CONTROL_PLANE_URL: 'https://hubpo-control-plane.hubpo.svc:9080',
        HUBPO_CONTROL_PLANE_CA: `${DIR}/ca.crt`,
      },
      files: { [`${DIR}/ca.crt`]: 'cp-admin-tls:ca.crt' },
      schemes: ['HTTP', 'HTTP', 'HTTP'],
    });
    const mounts = find(objs, 'Deployment', 'hubpo-control-plane')['spec']['template']['spec'][
      'containers'
    ][0]['volumeMounts'] as Obj[];
    expect(mounts.find((m) => m['name'] === 'admin-tls')).toEqual({
      name: 'admin-tls',
      mountPath: DIR,
      readOnly: true,
    });
    const endpoint = find(objs, 'ServiceMonitor', 'hubpo-control-plane')['spec']['endpoints'][0];
    expect(endpoint).toMatchObject({
      scheme: 'https',
      tlsConfig: {
        serverName: 'hubpo-control-plane.hubpo.svc',
        ca: { secret: { name: 'cp-admin-tls', key: 'ca.crt' } },
      },
    });
  });

  it("gives a member cluster's operator the hub's CA from a Secret or a ConfigMap, else the system CAs", () => {
    const fromSecret = objects(
      render([], [...member, 'admin.tls.enabled=true', 'admin.tls.caSecret=hub-ca']),
    );
    expect(side(fromSecret, 'hubpo-operator')).toMatchObject({
      env: { HUBPO_CONTROL_PLANE_URL: 'https://cp.example.com', HUBPO_CONTROL_PLANE_CA: `${DIR}/ca.crt` },
      files: { [`${DIR}/ca.crt`]: 'hub-ca:ca.crt' },
    });
    const fromConfigMap = objects(
      render([], [...member, 'admin.tls.enabled=true', 'admin.tls.caConfigMap=hub-ca']),
    );
    const operator = find(fromConfigMap, 'Deployment', 'hubpo-operator');
    expect(side(fromConfigMap, 'hubpo-operator').env['HUBPO_CONTROL_PLANE_CA']).toBe(`${DIR}/ca.crt`);
    const volume = (operator['spec']['template']['spec']['volumes'] as Obj[]).find(
      (v) => v['name'] === 'admin-tls',
    );
    expect(volume?.['projected']['sources']).toEqual([
      { configMap: { name: 'hub-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
    const systemCas = objects(render([], [...member, 'admin.tls.enabled=true']));
    expect(side(systemCas, 'hubpo-operator')).toEqual({
      env: { HUBPO_CONTROL_PLANE_URL: 'https://cp.example.com' },
      files: {},
      schemes: ['HTTP', 'HTTP', 'HTTP'],
    });
  });

  it('uses it in the multi-cluster examples', () => {
    const hub = objects(render(CASES['multi-cluster-hub']!));
    expect(side(hub, 'hubpo-control-plane').env).toHaveProperty('HUBPO_ADMIN_TLS_CERT');
    for (const member of ['multi-cluster-leaf', 'multi-cluster-grpc-member']) {
      expect(side(objects(render(CASES[member]!)), 'hubpo-operator').files).toEqual({
        [`${DIR}/ca.crt`]: 'hubpo-admin-ca:ca.crt',
      });
    }
  });

  it.each([
    [['admin.tls.enabled=true'], /- admin\.tls\.serverSecret: /],
    [['admin.tls.enabled=true', 'admin.tls.serverSecret=Bad_Name'], /- admin\.tls\.serverSecret: /],
    [['admin.tls.tls=true'], /admin\.tls/],
    [
      [...member, 'admin.tls.enabled=true', 'admin.tls.caSecret=a', 'admin.tls.caConfigMap=b'],
      /set caSecret or caConfigMap, not both/,
    ],
    [
      [...member, 'controlPlane.remote.url=http://cp.example.com:9080', 'admin.tls.enabled=true'],
      /controlPlane\.remote\.url is not https:\/\//,
    ],
    [[...member, 'admin.tls.caSecret=hub-ca'], /need admin\.tls\.enabled: true/],
  ])('refuses %j', (sets, message) => {
    const result = template([], sets);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('warns in NOTES when the cluster API would cross clusters in plaintext', () => {
    const exposed = /WARNING: the control plane's admin and cluster API \(port 9080\) is exposed/;
    const remote =
      /WARNING: the operator reaches the remote control plane \(http:\/\/cp\.example\.com:9080\) in plaintext/;
    expect(notes([])).not.toMatch(exposed);
    expect(notes(['controlPlane.service.type=LoadBalancer'])).toMatch(exposed);
    expect(
      notes([
        'controlPlane.service.type=LoadBalancer',
        'admin.tls.enabled=true',
        'admin.tls.serverSecret=cp-tls',
      ]),
    ).not.toMatch(exposed);
    expect(notes([...member, 'controlPlane.remote.url=http://cp.example.com:9080'])).toMatch(remote);
    expect(notes(member)).not.toMatch(/operator reaches the remote control plane/);
  });
});

/**
 * What the operator's ServiceAccount may do, from every Role/ClusterRole bound to it:
 * `group|resource|verb|where`, where `*` is cluster-wide (a ClusterRoleBinding) or a namespace.
 */
function operatorGrants(objs: readonly Obj[]): string[] {
  const deployment = find(objs, 'Deployment', 'hubpo-operator');
  const sa = deployment['spec']['template']['spec']['serviceAccountName'];
  const grants = new Set<string>();
  for (const binding of objs.filter((o) => ['RoleBinding', 'ClusterRoleBinding'].includes(o['kind']))) {
    const bound = (binding['subjects'] as Obj[]).some(
      (s) => s['kind'] === 'ServiceAccount' && s['name'] === sa && s['namespace'] === NAMESPACE,
    );
    if (!bound) continue;
    const where = binding['kind'] === 'ClusterRoleBinding' ? '*' : binding['metadata']['namespace'];
    const ref = binding['roleRef'];
    const role = objs.find(
      (o) =>
        o['kind'] === ref['kind'] &&
        o['metadata']['name'] === ref['name'] &&
        (ref['kind'] === 'ClusterRole' || o['metadata']['namespace'] === binding['metadata']['namespace']),
    );
    if (role === undefined)
      throw new Error(`binding ${binding['metadata']['name']}: no ${ref['kind']} ${ref['name']}`);
    for (const rule of role['rules'] as Obj[])
      for (const group of rule['apiGroups'])
        for (const resource of rule['resources'])
          for (const verb of rule['verbs']) grants.add(`${group}|${resource}|${verb}|${where}`);
  }
  return [...grants].sort();
}

/** What OPERATOR_PERMISSIONS requires, in the same form, for a release watching `watched` (all: undefined). */
function requiredGrants(watched: readonly string[] | undefined): string[] {
  const out = OPERATOR_PERMISSIONS.flatMap((p) => {
    const where = p.scope === 'own' ? [NAMESPACE] : p.scope === 'cluster' ? ['*'] : (watched ?? ['*']);
    return p.verbs.flatMap((verb) => where.map((w) => `${p.apiGroup}|${p.resource}|${verb}|${w}`));
  });
  return [...new Set(out)].sort();
}

describe('operator RBAC', () => {
  it('grants exactly the API calls the operator code makes, cluster-wide', () => {
    expect(operatorGrants(objects(render([])))).toEqual(requiredGrants(undefined));
  });

  it('grants exactly the API calls the operator code makes, in the watched namespaces only', () => {
    const objs = objects(render([], ['operator.watchNamespaces={team-a,team-b}']));
    expect(operatorGrants(objs)).toEqual(requiredGrants(['team-a', 'team-b']));
  });
});

describe('CRDs', () => {
  it('ships in charts/hubpo/crds/ exactly the generated crds/', () => {
    const names = readdirSync(join(ROOT, 'crds')).sort();
    expect(names).toHaveLength(5);
    expect(readdirSync(join(CHART, 'crds')).sort()).toEqual(names);
    for (const name of names) {
      expect(readFileSync(join(CHART, 'crds', name), 'utf8')).toBe(
        readFileSync(join(ROOT, 'crds', name), 'utf8'),
      );
    }
  });

  it('has every kind the operator is granted', () => {
    const plurals = readdirSync(join(CHART, 'crds')).map((f) => f.replace('.hubpo.io.yaml', ''));
    const role = objects(render([])).find(
      (o) => o['kind'] === 'ClusterRole' && o['rules'][0]['apiGroups'].includes('hubpo.io'),
    )!;
    expect([...role['rules'][0]['resources']].sort()).toEqual(plurals.sort());
  });
});

describe('NATS mirror Job (leaf node)', () => {
  let nats: NatsProcess;
  let dir: string;
  let script: string;

  beforeAll(async () => {
    nats = await startNats();
    dir = mkdtempSync(join(tmpdir(), 'hubpo-mirror-'));
    const leaf = objects(render(CASES['multi-cluster-leaf']!));
    const source = find(leaf, 'ConfigMap', 'hubpo-nats-mirror')['data']['mirror.cjs'] as string;
    // The Job runs in the hubpo image (/app); here the repo's gateway package provides `nats`.
    script = join(dir, 'mirror.cjs');
    writeFileSync(
      script,
      source.replace('/app/packages/gateway/package.json', join(ROOT, 'packages/gateway/package.json')),
    );
  });

  afterAll(async () => {
    await nats?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const runJob = (stream: string): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NATS_URL: nats.url, HUB_DOMAIN: 'hub', MIRROR_STREAMS: stream, REPLICAS: '1' },
    });

  it('creates the mirror, then accepts it on the next run', () => {
    const first = runJob('KV_mirror-ok');
    expect(first.stdout).toContain('KV_mirror-ok: mirror of KV_mirror-ok in $JS.hub.API created');
    expect(first.status).toBe(0);
    const again = runJob('KV_mirror-ok');
    expect(again.stdout).toContain('KV_mirror-ok: mirror of KV_mirror-ok in $JS.hub.API exists');
    expect(again.status).toBe(0);
  });

  it('fails at once, naming the stream, when a stream of that name is not a mirror of the hub', () => {
    // A plain stream under the mirror's name (e.g. left from a NATS set up by hand).
    const setup = spawnSync(
      process.execPath,
      [
        '-e',
        `const { connect } = require('module').createRequire(process.argv[1])('nats');
         (async () => {
           const nc = await connect({ servers: process.env.NATS_URL });
           const jsm = await nc.jetstreamManager();
           await jsm.streams.add({ name: 'KV_not-a-mirror', subjects: ['$KV.not-a-mirror.>'] });
           await nc.close();
         })().catch((err) => { console.error(err); process.exit(1); });`,
        join(ROOT, 'packages/gateway/package.json'),
      ],
      { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NATS_URL: nats.url } },
    );
    expect(setup.stderr).toBe('');
    const run = runJob('KV_not-a-mirror');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'KV_not-a-mirror exists on this leaf node but is a stream of its own (not a mirror), not a mirror of KV_not-a-mirror in $JS.hub.API',
    );
    expect(run.stderr).not.toContain('retrying');
  });
});

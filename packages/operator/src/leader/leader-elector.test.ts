import pino from 'pino';
import { KubeApiError } from '../kube/kube-client.js';
import type { KubeClient, LeaseRecord } from '../kube/kube-client.js';
import { LeaderElector } from './leader-elector.js';

/** Leases in memory with the API server's optimistic concurrency (resourceVersion, 409). */
class MemoryLeases implements Pick<KubeClient, 'getLease' | 'createLease' | 'updateLease'> {
  lease: LeaseRecord | undefined;
  #version = 0;
  failing = false;

  async getLease(): Promise<LeaseRecord | undefined> {
    if (this.failing) throw new KubeApiError(0, '', 'connection refused');
    return this.lease;
  }
  async createLease(_ns: string, _name: string, lease: LeaseRecord): Promise<LeaseRecord> {
    if (this.failing) throw new KubeApiError(0, '', 'connection refused');
    if (this.lease !== undefined) throw new KubeApiError(409, 'AlreadyExists', 'exists');
    this.lease = { ...lease, resourceVersion: String(++this.#version) };
    return this.lease;
  }
  async updateLease(_ns: string, _name: string, lease: LeaseRecord): Promise<LeaseRecord> {
    if (this.failing) throw new KubeApiError(0, '', 'connection refused');
    if (lease.resourceVersion !== this.lease?.resourceVersion)
      throw new KubeApiError(409, 'Conflict', 'modified');
    this.lease = { ...lease, resourceVersion: String(++this.#version) };
    return this.lease;
  }
}

const until = async (check: () => boolean, what: string, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

function candidate(
  leases: Pick<KubeClient, 'getLease' | 'createLease' | 'updateLease'>,
  identity: string,
  log: string[],
) {
  return new LeaderElector({
    client: leases,
    namespace: 'hubpo',
    name: 'hubpo-operator',
    identity,
    leaseDurationMs: 1000,
    renewDeadlineMs: 600,
    retryPeriodMs: 50,
    logger: pino({ level: 'silent' }),
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: async () => {
      log.push(`${identity} stopped`);
    },
  });
}

describe('LeaderElector', () => {
  it('elects exactly one of several candidates, and a standby takes over at once when the leader releases', async () => {
    const leases = new MemoryLeases();
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((id) => candidate(leases, id, log));
    for (const e of [a, b, c]) e!.start();
    await until(() => [a, b, c].some((e) => e!.isLeader()), 'a leader');
    await new Promise((r) => setTimeout(r, 200));
    expect([a, b, c].filter((e) => e!.isLeader())).toHaveLength(1);
    const leader = [a, b, c].find((e) => e!.isLeader())!;
    const holder = leases.lease?.holderIdentity;
    const started = Date.now();
    await leader.stop();
    expect(leases.lease?.holderIdentity).not.toBe(holder);
    await until(() => [a, b, c].some((e) => e !== leader && e!.isLeader()), 'a new leader');
    // Released, not expired: well under the 1 s lease duration.
    expect(Date.now() - started).toBeLessThan(900);
    expect(leases.lease?.leaseTransitions).toBe(1);
    for (const e of [a, b, c]) await e!.stop();
    expect(log.filter((l) => l.endsWith('started'))).toHaveLength(2);
  });

  it('takes over a Lease whose holder stopped renewing, only after the lease duration', async () => {
    const leases = new MemoryLeases();
    leases.lease = {
      holderIdentity: 'crashed',
      leaseDurationSeconds: 1,
      renewTime: new Date(),
      acquireTime: new Date(),
      leaseTransitions: 3,
      resourceVersion: '100',
    };
    const log: string[] = [];
    const e = candidate(leases, 'b', log);
    const started = Date.now();
    e.start();
    await until(() => e.isLeader(), 'takeover', 5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(leases.lease).toMatchObject({ holderIdentity: 'b', leaseTransitions: 4 });
    await e.stop();
  });

  it('stops leading when it cannot renew within the renew deadline', async () => {
    const leases = new MemoryLeases();
    const log: string[] = [];
    const e = candidate(leases, 'a', log);
    e.start();
    await until(() => e.isLeader(), 'leader');
    leases.failing = true;
    const failed = Date.now();
    await until(() => !e.isLeader(), 'lost leadership');
    expect(Date.now() - failed).toBeGreaterThanOrEqual(550);
    expect(Date.now() - failed).toBeLessThan(1000);
    expect(log).toEqual(['a started', 'a stopped']);
    leases.failing = false;
    await until(() => e.isLeader(), 'leader again');
    await e.stop();
    expect(log).toEqual(['a started', 'a stopped', 'a started', 'a stopped']);
  });
});

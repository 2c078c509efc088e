import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubpoError } from '@hubpo/core';
import { buildSnapshot, discoveryResponseFor } from '@hubpo/snapshot';
import type { Snapshot } from '@hubpo/snapshot';
import { createTelemetry } from '@hubpo/telemetry';
import { pino } from 'pino';
import type { Runtime, RuntimeState } from '../runtime/index.js';
import { ConfigApplier } from './config-applier.js';
import type { CompileRuntime } from './config-applier.js';
import { LastKnownGoodFile } from './last-known-good-file.js';
import type { RevisionUpdate } from './revision-update.js';
import { RuntimeSlot } from './runtime-slot.js';

interface FakeRuntime extends Runtime {
  readonly ids: readonly string[];
  retired: boolean;
}

const CLUSTER = 'east';

/** A compiler double: the runtime remembers which object ids it was built from; "broken" ones fail. */
const fakeCompile: CompileRuntime = (input) => {
  const ids = input.objects.map((o) => o.id);
  if (ids.some((id) => id.includes('broken'))) {
    throw new HubpoError(
      'SNAPSHOT_INVALID',
      `route ${ids.find((id) => id.includes('broken'))} does not compile`,
    );
  }
  const runtime: FakeRuntime = {
    revision: input.revision,
    ids,
    retired: false,
    handle: () => undefined,
    handleUpgrade: () => undefined,
    retire() {
      runtime.retired = true;
    },
  };
  return runtime;
};

function policy(id: string, requests = 10) {
  return {
    kind: 'policy' as const,
    id,
    generation: 1,
    targets: [],
    authentication: null,
    rateLimit: { requests, windowMs: 1000, burst: 0, key: 'clientIp' as const },
  };
}

function snapshot(revision: number, ids: readonly string[], requests = 10): Snapshot {
  return buildSnapshot(
    CLUSTER,
    revision,
    ids.map((id) => ({ kind: 'policy', name: id, value: policy(id, requests) })),
  );
}

function update(next: Snapshot, held?: Snapshot): RevisionUpdate {
  const { nonce: _n, ...rest } = discoveryResponseFor(
    next,
    held === undefined ? { nonce: 'n' } : { nonce: 'n', held: heldVersions(held) },
  );
  return rest;
}

function heldVersions(s: Snapshot): Map<string, string> {
  return new Map([...s.resources].map(([key, res]) => [key, res.version]));
}

describe('ConfigApplier', () => {
  let dir: string;
  let slot: RuntimeSlot;
  let applier: ConfigApplier;
  let compile: jest.Mock<Runtime, Parameters<CompileRuntime>>;
  const placeholder: Runtime = {
    revision: 0,
    handle: () => undefined,
    handleUpgrade: () => undefined,
    retire: () => undefined,
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hubpo-applier-'));
    slot = new RuntimeSlot(placeholder);
    compile = jest.fn(fakeCompile);
    applier = new ConfigApplier({
      cluster: CLUSTER,
      slot,
      state: {} as RuntimeState,
      compile,
      lkg: new LastKnownGoodFile(dir),
      logger: pino({ level: 'silent' }),
      telemetry: createTelemetry({ serviceName: 'test', metrics: false }),
    });
  });

  afterEach(async () => {
    await applier.flush();
    await rm(dir, { recursive: true, force: true });
  });

  const current = () => slot.current as FakeRuntime;

  it('swaps in a full revision, retires the previous runtime and persists the snapshot', async () => {
    const first = snapshot(1, ['default/a']);
    expect(applier.apply(update(first), 'grpc')).toEqual({ kind: 'applied', revision: 1, hash: first.hash });
    const firstRuntime = current();
    expect(slot.ready).toBe(true);
    expect(firstRuntime.ids).toEqual(['default/a']);

    const second = snapshot(2, ['default/a', 'default/b']);
    expect(applier.apply(update(second, first), 'grpc').kind).toBe('applied');
    expect(current().ids).toEqual(['default/a', 'default/b']);
    expect(firstRuntime.retired).toBe(true);
    expect(applier.held).toEqual({ revision: 2, hash: second.hash });

    await applier.flush();
    const stored = await new LastKnownGoodFile(dir).load();
    expect(stored?.revision).toBe(2);
    expect(stored?.hash).toBe(second.hash);
  });

  it('assembles a delta against the held resources (removals included)', () => {
    const first = snapshot(1, ['default/a', 'default/b', 'default/c']);
    applier.apply(update(first), 'grpc');
    const second = snapshot(2, ['default/b', 'default/c', 'default/d']);
    const delta = update(second, first);
    expect(delta.full).toBe(false);
    expect(delta.removed).toEqual(['policy/default/a']);
    expect(delta.resources.map((r) => r.name)).toEqual(['default/d']);
    expect(applier.apply(delta, 'grpc').kind).toBe('applied');
    expect(current().ids).toEqual(['default/b', 'default/c', 'default/d']);
    expect([...applier.heldVersions().keys()]).toEqual([
      'policy/default/b',
      'policy/default/c',
      'policy/default/d',
    ]);
  });

  it('only moves the revision when the content hash is unchanged', () => {
    applier.apply(update(snapshot(1, ['default/a'])), 'grpc');
    const runtime = current();
    const outcome = applier.apply(update(snapshot(5, ['default/a'])), 'nats');
    expect(outcome.kind).toBe('unchanged');
    expect(outcome.revision).toBe(5);
    expect(current()).toBe(runtime);
    expect(compile).toHaveBeenCalledTimes(1);
  });

  it('ignores stale and out-of-order revisions', () => {
    applier.apply(update(snapshot(3, ['default/a'])), 'grpc');
    const outcome = applier.apply(update(snapshot(2, ['default/z'])), 'grpc');
    expect(outcome).toMatchObject({ kind: 'stale', revision: 3, offered: 2 });
    expect(current().ids).toEqual(['default/a']);
  });

  it('rejects a revision that does not compile and keeps serving the previous one', () => {
    const good = snapshot(1, ['default/a']);
    applier.apply(update(good), 'grpc');
    const runtime = current();
    const outcome = applier.apply(update(snapshot(2, ['default/a', 'default/broken']), good), 'grpc');
    expect(outcome.kind).toBe('rejected');
    if (outcome.kind !== 'rejected') return;
    expect(outcome.revision).toBe(1);
    expect(outcome.hash).toBe(good.hash);
    expect(outcome.error.code).toBe('HUBPO_ERR_SNAPSHOT_INVALID');
    expect(outcome.error.message).toContain('default/broken');
    expect(current()).toBe(runtime);
    expect(runtime.retired).toBe(false);
    expect(applier.lastRejected).toMatchObject({ revision: 2, code: 'HUBPO_ERR_SNAPSHOT_INVALID' });
  });

  it('rejects a delta that does not add up to the announced hash', () => {
    const first = snapshot(1, ['default/a']);
    applier.apply(update(first), 'grpc');
    // A delta computed against resources this gateway never held.
    const delta = update(snapshot(2, ['default/b', 'default/c']), snapshot(1, ['default/b']));
    const outcome = applier.apply(delta, 'grpc');
    expect(outcome.kind).toBe('rejected');
    expect(current().ids).toEqual(['default/a']);
  });

  it('rejects a payload that does not match its version', () => {
    const s = snapshot(1, ['default/a']);
    const full = update(s);
    const tampered = {
      ...full,
      resources: full.resources.map((r) => ({ ...r, payload: Buffer.from('{"x":1}') })),
    };
    expect(applier.apply(tampered, 'grpc').kind).toBe('rejected');
    expect(slot.ready).toBe(false);
  });

  it('rejects a snapshot of another cluster', () => {
    const other = buildSnapshot('west', 1, [
      { kind: 'policy', name: 'default/a', value: policy('default/a') },
    ]);
    expect(applier.restore(other).kind).toBe('rejected');
    expect(slot.ready).toBe(false);
  });

  it('resolves revision waiters when their revision is applied', async () => {
    const waiting = applier.waitForRevision(2, 5_000);
    applier.apply(update(snapshot(1, ['default/a'])), 'grpc');
    applier.apply(update(snapshot(2, ['default/b'])), 'grpc');
    await expect(waiting).resolves.toBeUndefined();
    await expect(applier.waitForRevision(3, 20)).rejects.toThrow(/revision 3 not applied/);
  });

  it('does not persist a snapshot restored from the LKG file', async () => {
    const path = new LastKnownGoodFile(dir).path;
    await writeFile(path, 'sentinel');
    expect(applier.restore(snapshot(4, ['default/a'])).kind).toBe('applied');
    await applier.flush();
    await expect(new LastKnownGoodFile(dir).load()).rejects.toThrow(/SNAPSHOT|snapshot/);
  });
});

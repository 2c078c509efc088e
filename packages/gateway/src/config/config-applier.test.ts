import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubpoError } from '@hubpo/core';
import { buildSnapshot, discoveryResponseFor } from '@hubpo/snapshot';
import type { Snapshot } from '@hubpo/snapshot';
import { createTelemetry } from '@hubpo/telemetry';
import type { Telemetry } from '@hubpo/telemetry';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { Runtime, RuntimeState } from '../runtime/index.js';
import { CONFIG_EPOCH_RESETS_METRIC, ConfigApplier } from './config-applier.js';
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

function snapshot(revision: number, ids: readonly string[], requests = 10, epoch = ''): Snapshot {
  return buildSnapshot(
    CLUSTER,
    revision,
    ids.map((id) => ({ kind: 'policy', name: id, value: policy(id, requests) })),
    epoch,
  );
}

/** Log lines of a pino logger at level warn and above, parsed. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

/** Telemetry whose counter `name` records what is added to it. */
function countingTelemetry(name: string): { telemetry: Telemetry; added: number[] } {
  const base = createTelemetry({ serviceName: 'test', metrics: false });
  const added: number[] = [];
  const meter = Object.create(base.meter) as Telemetry['meter'];
  meter.createCounter = ((metric: string, options?: object) => {
    const counter = base.meter.createCounter(metric, options);
    if (metric !== name) return counter;
    return { add: (value: number) => added.push(value) };
  }) as Telemetry['meter']['createCounter'];
  return { telemetry: { ...base, meter }, added };
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
    expect(applier.held).toEqual({ revision: 2, hash: second.hash, epoch: '' });

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

  describe('control-plane epochs', () => {
    const E1 = 'epoch-one';
    const E2 = 'epoch-two';

    function epochApplier(): { applier: ConfigApplier; lines: Record<string, unknown>[]; resets: number[] } {
      const { logger, lines } = capturingLogger();
      const { telemetry, added } = countingTelemetry(CONFIG_EPOCH_RESETS_METRIC);
      const withEpochs = new ConfigApplier({
        cluster: CLUSTER,
        slot,
        state: {} as RuntimeState,
        compile,
        lkg: new LastKnownGoodFile(dir),
        logger,
        telemetry,
      });
      return { applier: withEpochs, lines, resets: added };
    }

    it('adopts a lower revision of another epoch, warns naming both epochs and persists the new epoch', async () => {
      const { applier: a, lines, resets } = epochApplier();
      a.apply(update(snapshot(50, ['default/a'], 10, E1)), 'grpc');
      const reset = snapshot(3, ['default/b'], 10, E2);
      expect(a.apply(update(reset), 'nats')).toEqual({ kind: 'applied', revision: 3, hash: reset.hash });
      expect(current().ids).toEqual(['default/b']);
      expect(a.held).toEqual({ revision: 3, hash: reset.hash, epoch: E2 });
      expect(a.applied).toMatchObject({ revision: 3, epoch: E2 });
      const warning = lines.find((l) => l.heldEpoch === E1);
      expect(warning).toMatchObject({ offeredEpoch: E2, serving: 50, revision: 3 });
      expect(String(warning?.msg)).toContain(`from ${E1} to ${E2}`);
      expect(resets).toEqual([1]);
      await a.flush();
      expect(await new LastKnownGoodFile(dir).load()).toMatchObject({ revision: 3, epoch: E2 });
      // Within the new epoch the revision order holds again.
      const older = a.apply(update(snapshot(2, ['default/c'], 10, E2)), 'nats');
      expect(older).toMatchObject({ kind: 'stale', revision: 3 });
      expect(resets).toEqual([1]);
    });

    it('moves to the new epoch and its lower revision without recompiling identical content', async () => {
      const { applier: a, resets } = epochApplier();
      a.apply(update(snapshot(50, ['default/a'], 10, E1)), 'grpc');
      const runtime = current();
      const same = snapshot(4, ['default/a'], 10, E2);
      expect(a.apply(update(same), 'grpc')).toEqual({ kind: 'unchanged', revision: 4, hash: same.hash });
      expect(current()).toBe(runtime);
      expect(compile).toHaveBeenCalledTimes(1);
      expect(a.held.epoch).toBe(E2);
      expect(resets).toEqual([1]);
      await a.flush();
      expect(await new LastKnownGoodFile(dir).load()).toMatchObject({ revision: 4, epoch: E2 });
    });

    it('keeps the revision order when either epoch is unknown (senders older than epochs)', () => {
      const { applier: a, resets } = epochApplier();
      a.apply(update(snapshot(5, ['default/a'], 10, E1)), 'grpc');
      expect(a.apply(update(snapshot(3, ['default/b'])), 'grpc').kind).toBe('stale');
      expect(a.held).toMatchObject({ revision: 5, epoch: E1 });

      const { applier: legacy } = epochApplier();
      legacy.restore(snapshot(5, ['default/a']));
      expect(legacy.apply(update(snapshot(3, ['default/b'], 10, E2)), 'grpc').kind).toBe('stale');
      expect(legacy.apply(update(snapshot(6, ['default/b'], 10, E2)), 'grpc').kind).toBe('applied');
      expect(legacy.held).toMatchObject({ revision: 6, epoch: E2 });
      expect(resets).toEqual([]);
    });

    it('keeps serving the old epoch when the new epoch snapshot does not compile', () => {
      const { applier: a, lines, resets } = epochApplier();
      const served = snapshot(50, ['default/a'], 10, E1);
      a.apply(update(served), 'grpc');
      const outcome = a.apply(update(snapshot(3, ['default/broken'], 10, E2)), 'grpc');
      expect(outcome).toMatchObject({ kind: 'rejected', revision: 50, offered: 3 });
      expect(a.held).toEqual({ revision: 50, hash: served.hash, epoch: E1 });
      expect(resets).toEqual([]);
      expect(lines.some((l) => l.heldEpoch !== undefined)).toBe(false);
    });

    it('adopts a new epoch after a restart from a last-known-good file of the old one', async () => {
      await new LastKnownGoodFile(dir).save(snapshot(50, ['default/a'], 10, E1));
      const { applier: a } = epochApplier();
      const restored = await new LastKnownGoodFile(dir).load();
      expect(restored?.epoch).toBe(E1);
      expect(a.restore(restored!).kind).toBe('applied');
      expect(a.apply(update(snapshot(1, ['default/z'], 10, E2)), 'nats').kind).toBe('applied');
      expect(a.held).toMatchObject({ revision: 1, epoch: E2 });
      expect(current().ids).toEqual(['default/z']);
    });
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

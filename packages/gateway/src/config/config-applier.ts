import { HubpoError } from '@hubpo/core';
import { applyDiscoveryResponse, decodeResource, isEpochReset, snapshotVersions } from '@hubpo/snapshot';
import type { ConfigObject, Snapshot } from '@hubpo/snapshot';
import { LATENCY_BUCKETS_S, MetricNames, SpanNames } from '@hubpo/telemetry';
import type { Telemetry } from '@hubpo/telemetry';
import type { Logger } from 'pino';
import type { Runtime, RuntimeState } from '../runtime/index.js';
import type { LastKnownGoodFile } from './last-known-good-file.js';
import type { ApplyOutcome, ConfigSource, HeldRevision, RevisionUpdate } from './revision-update.js';
import type { RuntimeSlot } from './runtime-slot.js';

/** The runtime engine's compiler (`compileRuntime` of `../runtime`), injectable for tests. */
export type CompileRuntime = (
  input: { readonly revision: number; readonly objects: readonly ConfigObject[] },
  state: RuntimeState,
) => Runtime;

export interface ConfigApplierOptions {
  readonly cluster: string;
  readonly slot: RuntimeSlot;
  readonly state: RuntimeState;
  readonly compile: CompileRuntime;
  /** Where applied revisions are persisted; undefined keeps nothing on disk. */
  readonly lkg: LastKnownGoodFile | undefined;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  /** Epoch ms; injected for tests. */
  readonly now?: () => number;
}

/** Counter of config epoch changes (the control plane's database was recreated or restored). */
export const CONFIG_EPOCH_RESETS_METRIC = 'hubpo.config.epoch.resets';

/** The config being served, as `/config` shows it. */
export interface AppliedConfig {
  readonly revision: number;
  readonly hash: string;
  /** Control-plane epoch of `revision` ("" = unknown). */
  readonly epoch: string;
  readonly source: ConfigSource;
  /** Epoch ms of the swap (or of the last revision bump with an identical hash). */
  readonly appliedAt: number;
  readonly resources: number;
}

/** The last revision the gateway refused, kept for `/config` and logs. */
export interface RejectedConfig {
  readonly revision: number;
  readonly source: ConfigSource;
  readonly code: string;
  readonly message: string;
  readonly at: number;
}

interface Waiter {
  readonly revision: number;
  readonly resolve: () => void;
}

/** SpanStatusCode.ERROR of @opentelemetry/api. */
const SPAN_STATUS_ERROR = 2;

/**
 * Applies whole revisions (ARCHITECTURE.md "The config pipeline" §4): assembles the complete
 * resource set from what is held plus the update, checks it against the announced hash, decodes
 * and compiles it, and only then swaps the served runtime in one assignment. Anything that fails
 * leaves the served runtime, the held resources and the held revision untouched.
 *
 * `apply` is synchronous, so two drivers or two responses never interleave inside it. Persisting
 * the LKG file happens after `apply` returns (drivers ACK first), one write at a time, always the
 * newest applied revision.
 */
export class ConfigApplier {
  readonly #options: ConfigApplierOptions;
  readonly #now: () => number;
  /** The snapshot the served runtime was compiled from (its revision may have moved since). */
  #snapshot: Snapshot | undefined;
  #held: HeldRevision = { revision: 0, hash: '', epoch: '' };
  #applied: AppliedConfig | undefined;
  #rejected: RejectedConfig | undefined;
  #waiters: Waiter[] = [];
  #pendingSave: Snapshot | undefined;
  #saving: Promise<void> | undefined;
  readonly #applyDuration;
  readonly #applyFailures;
  readonly #epochResets;

  constructor(options: ConfigApplierOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const meter = options.telemetry.meter;
    this.#applyDuration = meter.createHistogram(MetricNames.configApplyDuration, {
      unit: 's',
      description: 'Time to assemble, decode and compile a config revision',
      advice: { explicitBucketBoundaries: [...LATENCY_BUCKETS_S] },
    });
    this.#applyFailures = meter.createCounter(MetricNames.configApplyFailures, {
      description: 'Config revisions the gateway rejected (NACKed)',
    });
    this.#epochResets = meter.createCounter(CONFIG_EPOCH_RESETS_METRIC, {
      description: 'Snapshots of another control-plane epoch adopted regardless of their revision',
    });
    meter
      .createObservableGauge(MetricNames.configRevision, {
        description: 'Config revision the gateway serves',
      })
      .addCallback((result) => result.observe(this.#held.revision, { 'hubpo.cluster': options.cluster }));
  }

  /** What the gateway serves (0 / "" before any config). */
  get held(): HeldRevision {
    return this.#held;
  }

  get applied(): AppliedConfig | undefined {
    return this.#applied;
  }

  get lastRejected(): RejectedConfig | undefined {
    return this.#rejected;
  }

  /** `kind/name` -> version of every held resource (sent to the control plane on (re)connect). */
  heldVersions(): ReadonlyMap<string, string> {
    return this.#snapshot === undefined ? new Map() : snapshotVersions(this.#snapshot);
  }

  /** Serves a snapshot read from the LKG file (nothing to ACK, nothing to persist). */
  restore(snapshot: Snapshot): ApplyOutcome {
    return this.#apply(fullUpdate(snapshot), 'lkg');
  }

  /** Applies a complete snapshot (the NATS driver reads whole snapshots). */
  applySnapshot(snapshot: Snapshot, source: Exclude<ConfigSource, 'lkg'>): ApplyOutcome {
    return this.#apply(fullUpdate(snapshot), source);
  }

  /** Applies a full or delta update (a ConfigDiscovery response). */
  apply(update: RevisionUpdate, source: Exclude<ConfigSource, 'lkg'>): ApplyOutcome {
    return this.#apply(update, source);
  }

  /** Resolves once the served revision is `revision` or newer. */
  waitForRevision(revision: number, timeoutMs: number): Promise<void> {
    if (this.#held.revision >= revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        const rejected =
          this.#rejected?.revision === revision ? ` (rejected: ${this.#rejected.message})` : '';
        reject(
          new HubpoError(
            'UNAVAILABLE',
            `revision ${revision} not applied within ${timeoutMs} ms; serving ${this.#held.revision}${rejected}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Resolves when the newest applied revision is on disk (or its write failed and was logged). */
  async flush(): Promise<void> {
    while (this.#saving !== undefined) await this.#saving;
  }

  #apply(update: RevisionUpdate, source: ConfigSource): ApplyOutcome {
    const held = this.#held;
    const log = this.#options.logger;
    // Revisions compare within one epoch only: a snapshot of another epoch (the control plane's
    // database was recreated or restored) replaces what is served, whatever its revision.
    const reset = this.#snapshot !== undefined && isEpochReset(held.epoch, update.epoch);
    // Nothing held yet: any whole snapshot applies, including the control plane's empty revision 0.
    const stale =
      this.#snapshot !== undefined &&
      !reset &&
      (update.revision < held.revision ||
        (update.revision === held.revision && update.snapshotHash !== held.hash));
    if (stale) {
      log.warn(
        { revision: update.revision, serving: held.revision, epoch: held.epoch, source },
        'ignoring a stale config revision',
      );
      return { kind: 'stale', revision: held.revision, hash: held.hash, offered: update.revision };
    }
    if (this.#snapshot !== undefined && update.snapshotHash === held.hash)
      return this.#bump(update.revision, update.epoch, reset, source);

    const started = process.hrtime.bigint();
    const span = this.#options.telemetry.tracer.startSpan(SpanNames.configApply, {
      attributes: { 'hubpo.config.revision': update.revision, 'hubpo.config.source': source },
    });
    let snapshot: Snapshot;
    let runtime: Runtime;
    try {
      if (update.cluster !== this.#options.cluster) {
        throw new HubpoError(
          'SNAPSHOT_INVALID',
          `config for cluster "${update.cluster}", this gateway serves "${this.#options.cluster}"`,
        );
      }
      // Verifies every payload against its version and the result against the announced hash.
      snapshot = applyDiscoveryResponse(this.#snapshot, { ...update, nonce: '' });
      const objects = [...snapshot.resources.values()].map((resource) =>
        decodeResource<ConfigObject>(resource),
      );
      runtime = this.#options.compile({ revision: update.revision, objects }, this.#options.state);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SPAN_STATUS_ERROR });
      span.end();
      return this.#reject(update.revision, source, HubpoError.from(err, 'SNAPSHOT_INVALID'));
    }
    span.end();
    this.#swap(runtime);
    if (reset) this.#epochReset(held, snapshot, source);
    const resources = snapshot.resources.size;
    this.#snapshot = snapshot;
    this.#held = { revision: snapshot.revision, hash: snapshot.hash, epoch: snapshot.epoch };
    this.#applied = {
      revision: snapshot.revision,
      hash: snapshot.hash,
      epoch: snapshot.epoch,
      source,
      appliedAt: this.#now(),
      resources,
    };
    this.#applyDuration.record(Number(process.hrtime.bigint() - started) / 1e9, {
      'hubpo.config.source': source,
    });
    log.info(
      { revision: snapshot.revision, hash: snapshot.hash, epoch: snapshot.epoch, source, resources },
      'config applied',
    );
    this.#settleWaiters();
    if (source !== 'lkg') this.#scheduleSave();
    return { kind: 'applied', revision: snapshot.revision, hash: snapshot.hash };
  }

  #swap(runtime: Runtime): void {
    const previous = this.#options.slot.swap(runtime);
    try {
      previous?.retire();
    } catch (err) {
      // The new runtime already serves; a failing retire only leaks the old one's resources.
      this.#options.logger.error(
        { err, revision: previous?.revision },
        'retiring the previous runtime failed',
      );
    }
  }

  /**
   * The same snapshot under a newer revision, or under another epoch (any revision): nothing to
   * compile, but the revision (and epoch) move. A first known epoch for the held revision is
   * adopted too (a snapshot held from before epochs).
   */
  #bump(revision: number, epoch: string, reset: boolean, source: ConfigSource): ApplyOutcome {
    const snapshot = this.#snapshot;
    const held = this.#held;
    const learnsEpoch = revision === held.revision && held.epoch === '' && epoch !== '';
    const moves = reset || revision > held.revision || learnsEpoch;
    if (snapshot !== undefined && this.#applied !== undefined && moves) {
      if (reset) this.#epochReset(held, { revision, epoch }, source);
      this.#snapshot = Object.freeze({ ...snapshot, revision, epoch });
      this.#held = { revision, hash: snapshot.hash, epoch };
      this.#applied = { ...this.#applied, revision, epoch, appliedAt: this.#now() };
      this.#options.logger.info(
        { revision, hash: snapshot.hash, epoch, source },
        'config revision unchanged in content',
      );
      this.#settleWaiters();
      if (source !== 'lkg') this.#scheduleSave();
    }
    return { kind: 'unchanged', revision: this.#held.revision, hash: this.#held.hash };
  }

  /** A snapshot of another epoch was adopted: warn naming both epochs, and count it. */
  #epochReset(
    held: HeldRevision,
    adopted: { readonly revision: number; readonly epoch: string },
    source: ConfigSource,
  ): void {
    this.#epochResets.add(1, { 'hubpo.config.source': source });
    this.#options.logger.warn(
      {
        heldEpoch: held.epoch,
        offeredEpoch: adopted.epoch,
        serving: held.revision,
        revision: adopted.revision,
        source,
      },
      `control-plane epoch changed from ${held.epoch} to ${adopted.epoch} (its database was recreated ` +
        `or restored): adopted revision ${adopted.revision} although revision ${held.revision} was served`,
    );
  }

  #reject(offered: number, source: ConfigSource, error: HubpoError): ApplyOutcome {
    this.#rejected = { revision: offered, source, code: error.code, message: error.message, at: this.#now() };
    this.#applyFailures.add(1, { 'hubpo.config.source': source, 'error.type': error.code });
    this.#options.logger.warn(
      { revision: offered, serving: this.#held.revision, source, code: error.code, err: error },
      `config revision ${offered} rejected: ${error.message}`,
    );
    return { kind: 'rejected', revision: this.#held.revision, hash: this.#held.hash, offered, error };
  }

  #settleWaiters(): void {
    const revision = this.#held.revision;
    const ready = this.#waiters.filter((w) => w.revision <= revision);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.revision > revision);
    for (const waiter of ready) waiter.resolve();
  }

  #scheduleSave(): void {
    const lkg = this.#options.lkg;
    if (lkg === undefined || this.#snapshot === undefined) return;
    this.#pendingSave = this.#snapshot;
    if (this.#saving !== undefined) return;
    // setImmediate: the driver sends its ACK right after apply() returns, before any disk I/O.
    this.#saving = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#saveLoop(lkg));
  }

  async #saveLoop(lkg: LastKnownGoodFile): Promise<void> {
    try {
      for (let next = this.#pendingSave; next !== undefined; next = this.#pendingSave) {
        this.#pendingSave = undefined;
        try {
          await lkg.save(next);
          this.#options.logger.debug(
            { revision: next.revision, path: lkg.path },
            'last-known-good snapshot saved',
          );
        } catch (err) {
          this.#options.logger.error(
            { err, revision: next.revision, path: lkg.path },
            'cannot save the last-known-good snapshot',
          );
        }
      }
    } finally {
      this.#saving = undefined;
    }
  }
}

function fullUpdate(snapshot: Snapshot): RevisionUpdate {
  return {
    cluster: snapshot.cluster,
    revision: snapshot.revision,
    snapshotHash: snapshot.hash,
    epoch: snapshot.epoch,
    full: true,
    resources: [...snapshot.resources.values()],
    removed: [],
  };
}

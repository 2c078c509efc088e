import type { BackendHealth } from './backend-health.js';
import type { UpstreamPool } from './upstream-pool.js';

/** One backend of one rule, compiled: where requests go and the shared state they update. */
export class BackendTarget {
  readonly id: string;
  readonly weight: number;
  /** `http(s)://host:port` */
  readonly origin: string;
  /** The backend URL's path without trailing slash ('' for none), prefixed to every request path. */
  readonly basePath: string;
  readonly health: BackendHealth;
  readonly pool: UpstreamPool;

  constructor(
    id: string,
    weight: number,
    origin: string,
    basePath: string,
    health: BackendHealth,
    pool: UpstreamPool,
  ) {
    this.id = id;
    this.weight = weight;
    this.origin = origin;
    this.basePath = basePath;
    this.health = health;
    this.pool = pool;
  }

  /**
   * Whether a picker may choose this target: weight above 0, not `exclude` (the backend that
   * just failed) and, unless in panic mode, not ejected. The clock is read only for ejected ones.
   */
  pickable(clock: () => number, exclude: BackendTarget | null, panic: boolean): boolean {
    if (this.weight <= 0 || this === exclude) return false;
    return panic || this.health.ejectedUntil === 0 || !this.health.isEjected(clock());
  }
}

/** Connection state of a config driver, as `/config` shows it. */
export type DriverState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface DriverStatus {
  readonly kind: 'grpc' | 'nats';
  /** The control plane / NATS servers it talks to, without credentials. */
  readonly endpoint: string;
  readonly state: DriverState;
  /** Epoch ms of the last (re)connect. */
  readonly connectedAt: number | null;
  /** Epoch ms of the last revision received. */
  readonly lastUpdateAt: number | null;
  readonly lastError: string | null;
  /** Connections lost since start. */
  readonly disconnects: number;
  readonly acks: number;
  readonly nacks: number;
}

/**
 * Brings revisions from the control plane to a ConfigApplier and reports the outcome back (ACK /
 * NACK). `start` returns at once: a driver keeps (re)connecting in the background forever, and
 * the gateway serves whatever is applied meanwhile.
 */
export interface ConfigDriver {
  readonly kind: DriverStatus['kind'];
  start(): void;
  /** Stops reconnecting and closes the connection; resolves once nothing of it is left running. */
  stop(): Promise<void>;
  status(): DriverStatus;
}

/** Mutable counters behind a DriverStatus; drivers own one each. */
export class DriverStats {
  state: DriverState = 'connecting';
  connectedAt: number | null = null;
  lastUpdateAt: number | null = null;
  lastError: string | null = null;
  disconnects = 0;
  acks = 0;
  nacks = 0;

  snapshot(kind: DriverStatus['kind'], endpoint: string): DriverStatus {
    return {
      kind,
      endpoint,
      state: this.state,
      connectedAt: this.connectedAt,
      lastUpdateAt: this.lastUpdateAt,
      lastError: this.lastError,
      disconnects: this.disconnects,
      acks: this.acks,
      nacks: this.nacks,
    };
  }
}

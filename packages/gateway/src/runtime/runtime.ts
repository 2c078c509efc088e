import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The data plane compiled from one config revision (`compileRuntime`). The program keeps one
 * current runtime and hands it every request and upgrade; swapping runtimes is one assignment.
 */
export interface Runtime {
  readonly revision: number;
  /** Serves one request: match, authenticate, rate limit, proxy. Never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** WebSocket pass-through for an `upgrade` event of the HTTP server. Never throws. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Called when a newer runtime replaced this one; in-flight requests finish on it, then the
   * upstream pools it alone used are closed. A runtime that was compiled but never served must
   * be retired too.
   */
  retire(): void;
}

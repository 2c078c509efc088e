import { randomBytes } from 'node:crypto';

/** What a client-sent `x-request-id` may look like to be kept: it ends up in logs and JSON bodies. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._~:+/=-]{1,128}$/;

/**
 * Request ids: the client's `x-request-id` when it is sane (1-128 characters of
 * `[A-Za-z0-9._~:+/=-]`, safe in logs, headers and JSON without escaping), otherwise
 * `<random per process>-<counter in base 36>`, which costs one string concatenation.
 */
export class RequestIds {
  readonly #prefix: string;
  #counter = 0;

  constructor(prefix: string = randomBytes(6).toString('hex')) {
    this.#prefix = `${prefix}-`;
  }

  /** The id for a request whose `x-request-id` header is `sent` (undefined when absent). */
  idFor(sent: string | string[] | undefined): string {
    if (typeof sent === 'string' && SANE_REQUEST_ID.test(sent)) return sent;
    return this.next();
  }

  next(): string {
    this.#counter++;
    return this.#prefix + this.#counter.toString(36);
  }
}

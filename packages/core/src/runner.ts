/**
 * A long-lived part of a program (a server, a watcher, a publisher). `main.ts` builds runners
 * in an explicit order; a RunnerGroup starts them in that order and stops them in reverse, so
 * a consumer never outlives what it consumes.
 */
export interface Runner {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class RunnerGroup implements Runner {
  readonly name: string;
  readonly #runners: Runner[];
  readonly #started: Runner[] = [];

  constructor(name: string, runners: readonly Runner[]) {
    this.name = name;
    this.#runners = [...runners];
  }

  async start(): Promise<void> {
    for (const runner of this.#runners) {
      try {
        await runner.start();
      } catch (err) {
        await this.stop();
        throw new Error(`runner ${runner.name} failed to start`, { cause: err });
      }
      this.#started.push(runner);
    }
  }

  /** Stops every started runner in reverse order; one failing stop does not skip the rest. */
  async stop(): Promise<void> {
    const errors: unknown[] = [];
    while (this.#started.length > 0) {
      const runner = this.#started.pop();
      if (runner === undefined) break;
      try {
        await runner.stop();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${this.name}: some runners failed to stop`);
  }
}

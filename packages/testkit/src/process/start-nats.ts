import { accessSync, constants, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { HubpoError, errorMessage } from '@hubpo/core';
import { getFreePort } from './get-free-port.js';
import { httpGet } from './http-get.js';
import { renderNatsConfig, type NatsServerConfig } from './nats-config.js';
import { SpawnedProcess } from './spawned-process.js';

export interface NatsOptions {
  /** Client port on 127.0.0.1; a free one when omitted. */
  readonly port?: number;
  /** `server_name`; defaults to `hubpo-nats-<port>`. Must be unique within a leaf topology. */
  readonly serverName?: string;
  /** JetStream domain of this server (give hub and leaves different domains). */
  readonly jetstreamDomain?: string;
  /** Accept leaf node connections (this server is a hub); the port is free when omitted. */
  readonly leafnodes?: { readonly listenPort?: number };
  /** Hubs this server connects to as a leaf node, e.g. `hub.leafnodeUrl`. */
  readonly leafRemotes?: readonly string[];
}

export interface NatsProcess {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** JetStream store directory (kept across restart() and kill(), removed by stop()). */
  readonly storeDir: string;
  readonly serverName: string;
  /** The JetStream domain it was started with, if any. */
  readonly jetstreamDomain?: string;
  /** Monitoring endpoint, e.g. `${monitorUrl}/jsz`. */
  readonly monitorUrl: string;
  /** `nats-leaf://127.0.0.1:<port>` when started with `leafnodes`; pass it to a leaf's `leafRemotes`. */
  readonly leafnodeUrl?: string;
  /** Stops the server for good and removes its temp directory. Idempotent. */
  stop(): Promise<void>;
  /** Stops (gracefully, if running) and starts again with the same ports, config and store. */
  restart(): Promise<void>;
  /** SIGKILL, like a crash; the store is kept so restart() can bring the server back. */
  kill(): Promise<void>;
  /** Resolves once this server has at least `count` leaf node connections (either direction). */
  waitForLeafnodes(count?: number, timeoutMs?: number): Promise<void>;
}

/** Env var with the path of the nats-server binary to use. */
export const NATS_SERVER_BIN_ENV = 'HUBPO_NATS_SERVER_BIN';

const READY_LINE = /Server is ready/;
const ADDRESS_IN_USE = /address already in use/i;
const START_ATTEMPTS = 5;
const READY_TIMEOUT_MS = 30_000;

/**
 * Starts nats-server with JetStream on 127.0.0.1 (free ports, temp store) and resolves once it
 * accepts clients and reports healthy on its monitoring port.
 */
export async function startNats(options: NatsOptions = {}): Promise<NatsProcess> {
  const binary = findNatsServer();
  const root = await mkdtemp(join(tmpdir(), 'hubpo-nats-'));
  const configFile = join(root, 'nats.conf');
  const fixedPorts = options.port !== undefined || options.leafnodes?.listenPort !== undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      const config = await chooseConfig(options, join(root, 'store'));
      await writeFile(configFile, renderNatsConfig(config));
      try {
        const server = await launch(binary, configFile, config, root);
        return new LocalNats(binary, configFile, config, root, server);
      } catch (error) {
        if (fixedPorts || attempt >= START_ATTEMPTS || !ADDRESS_IN_USE.test(String(error))) throw error;
      }
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** `HUBPO_NATS_SERVER_BIN`, else `/usr/sbin/nats-server` (Debian's package), else `nats-server` on PATH. */
export function findNatsServer(): string {
  const configured = process.env[NATS_SERVER_BIN_ENV];
  if (configured !== undefined && configured !== '') return configured;
  const candidates = [
    '/usr/sbin/nats-server',
    ...(process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'nats-server')),
  ];
  for (const candidate of candidates) {
    if (isExecutable(candidate)) return candidate;
  }
  throw new HubpoError(
    'UNAVAILABLE',
    `nats-server not found (looked at /usr/sbin/nats-server and PATH). Install it (apt-get install nats-server) or set ${NATS_SERVER_BIN_ENV}.`,
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return existsSync(path);
  } catch {
    return false;
  }
}

async function chooseConfig(options: NatsOptions, storeDir: string): Promise<NatsServerConfig> {
  const port = options.port ?? (await getFreePort());
  const monitorPort = await getFreePort();
  const leafnodeListenPort =
    options.leafnodes === undefined ? undefined : (options.leafnodes.listenPort ?? (await getFreePort()));
  return {
    serverName: options.serverName ?? `hubpo-nats-${port}`,
    port,
    monitorPort,
    storeDir,
    ...(options.jetstreamDomain === undefined ? {} : { jetstreamDomain: options.jetstreamDomain }),
    ...(leafnodeListenPort === undefined ? {} : { leafnodeListenPort }),
    ...(options.leafRemotes === undefined ? {} : { leafRemotes: options.leafRemotes }),
  };
}

async function launch(
  binary: string,
  configFile: string,
  config: NatsServerConfig,
  root: string,
): Promise<SpawnedProcess> {
  const server = await SpawnedProcess.spawn(binary, ['-c', configFile], {
    name: 'nats-server',
    crashSignal: 'SIGKILL',
    cleanupPaths: [root],
  });
  try {
    await server.waitForOutput(READY_LINE, READY_TIMEOUT_MS);
    await waitForHealthy(server, `http://127.0.0.1:${config.monitorPort}/healthz`, READY_TIMEOUT_MS);
  } catch (error) {
    await server.kill();
    server.release();
    throw error;
  }
  return server;
}

/** /healthz answers 200 once JetStream is up; polling it also proves the monitor port is ours. */
async function waitForHealthy(server: SpawnedProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (server.exit !== undefined) throw server.startupError('exited before it was healthy');
    try {
      const response = await httpGet(url, 1000);
      if (response.status === 200) return;
      last = `${response.status} ${response.body}`;
    } catch (error) {
      last = errorMessage(error);
    }
    await sleep(20);
  }
  throw server.startupError(`was not healthy within ${timeoutMs} ms (last /healthz: ${last})`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type NatsState = 'running' | 'killed' | 'stopped';

class LocalNats implements NatsProcess {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly serverName: string;
  readonly jetstreamDomain?: string;
  readonly monitorUrl: string;
  readonly leafnodeUrl?: string;
  readonly #binary: string;
  readonly #configFile: string;
  readonly #config: NatsServerConfig;
  readonly #root: string;
  #server: SpawnedProcess;
  #state: NatsState = 'running';
  /** Serialises stop/restart/kill so they never interleave. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    binary: string,
    configFile: string,
    config: NatsServerConfig,
    root: string,
    server: SpawnedProcess,
  ) {
    this.#binary = binary;
    this.#configFile = configFile;
    this.#config = config;
    this.#root = root;
    this.#server = server;
    this.port = config.port;
    this.url = `nats://127.0.0.1:${config.port}`;
    this.storeDir = config.storeDir;
    this.serverName = config.serverName;
    if (config.jetstreamDomain !== undefined) this.jetstreamDomain = config.jetstreamDomain;
    this.monitorUrl = `http://127.0.0.1:${config.monitorPort}`;
    if (config.leafnodeListenPort !== undefined)
      this.leafnodeUrl = `nats-leaf://127.0.0.1:${config.leafnodeListenPort}`;
  }

  stop(): Promise<void> {
    return this.#serialised(async () => {
      if (this.#state === 'stopped') return;
      this.#state = 'stopped';
      await this.#server.stop({ signal: 'SIGTERM', timeoutMs: 10_000 });
      await rm(this.#root, { recursive: true, force: true, maxRetries: 3 });
      this.#server.release();
    });
  }

  restart(): Promise<void> {
    return this.#serialised(async () => {
      if (this.#state === 'stopped')
        throw new HubpoError('UNAVAILABLE', `nats-server ${this.serverName} was stopped`);
      const previous = this.#server;
      await previous.stop({ signal: 'SIGTERM', timeoutMs: 10_000 });
      this.#state = 'killed';
      this.#server = await launch(this.#binary, this.#configFile, this.#config, this.#root);
      this.#state = 'running';
      previous.release();
    });
  }

  kill(): Promise<void> {
    return this.#serialised(async () => {
      if (this.#state !== 'running') return;
      await this.#server.kill();
      this.#state = 'killed';
    });
  }

  async waitForLeafnodes(count = 1, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    while (Date.now() < deadline) {
      try {
        const response = await httpGet(`${this.monitorUrl}/leafz`, 1000);
        seen = (JSON.parse(response.body) as { leafnodes?: number }).leafnodes ?? 0;
        if (seen >= count) return;
      } catch {
        // not up (yet): keep polling until the deadline
      }
      await sleep(25);
    }
    throw new HubpoError(
      'UNAVAILABLE',
      `nats-server ${this.serverName} has ${seen} leaf node connections after ${timeoutMs} ms, wanted ${count}`,
    );
  }

  #serialised<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

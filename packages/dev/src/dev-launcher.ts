import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { applyManifests, readManifests } from './apply-manifests.js';
import { ChildProgram } from './child-program.js';
import { startEchoUpstream } from './echo-upstream.js';

export interface DevLauncherOptions {
  /** Repository root: programs are run from `packages/<name>/dist/main.js`. */
  readonly root: string;
  readonly dataDir: string;
  readonly examplesDir: string;
  readonly adminToken?: string;
}

const HOST = '127.0.0.1';
export const DEV_PORTS = Object.freeze({
  admin: 9080,
  grpc: 18000,
  gateway: 8080,
  gatewayAdmin: 9091,
  echo: 9700,
});

async function waitFor(
  url: string,
  what: string,
  timeoutMs: number,
  exited: Promise<unknown>,
): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${what} exited during start-up (see its log above)`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready at ${url} within ${timeoutMs / 1000}s`);
}

/**
 * `pnpm start`: the control plane (embedded Postgres), one gateway on the gRPC driver, the demo
 * echo upstream and the example config. Returns a stop function that shuts everything down in
 * reverse order.
 */
export async function launchDev(options: DevLauncherOptions): Promise<() => Promise<void>> {
  const token = options.adminToken ?? randomBytes(24).toString('base64url');
  await mkdir(options.dataDir, { recursive: true });
  const echo: Server = await startEchoUpstream(HOST, DEV_PORTS.echo);
  const adminUrl = `http://${HOST}:${DEV_PORTS.admin}`;
  const controlPlane = new ChildProgram({
    name: 'control-plane',
    colour: 36,
    script: join(options.root, 'packages/control-plane/dist/main.js'),
    env: {
      HUBPO_ADMIN_TOKEN: token,
      HUBPO_ADMIN_ADDR: `${HOST}:${DEV_PORTS.admin}`,
      HUBPO_GRPC_ADDR: `${HOST}:${DEV_PORTS.grpc}`,
      HUBPO_DATA_DIR: options.dataDir,
      HUBPO_CLUSTER: 'local',
    },
  });
  const stopAll = async (gateway?: ChildProgram): Promise<void> => {
    await gateway?.stop();
    await controlPlane.stop();
    await new Promise((r) => echo.close(r));
  };
  try {
    await waitFor(`${adminUrl}/healthz`, 'control plane', 120_000, controlPlane.exited);
    await applyManifests(adminUrl, token, await readManifests(options.examplesDir));
  } catch (err) {
    await stopAll();
    throw err;
  }
  const gateway = new ChildProgram({
    name: 'gateway',
    colour: 35,
    script: join(options.root, 'packages/gateway/dist/main.js'),
    env: {
      HUBPO_NODE_ID: 'gateway-local-0',
      HUBPO_CLUSTER: 'local',
      HUBPO_LISTEN_ADDR: `${HOST}:${DEV_PORTS.gateway}`,
      HUBPO_ADMIN_ADDR: `${HOST}:${DEV_PORTS.gatewayAdmin}`,
      HUBPO_CONFIG_DRIVER: 'grpc',
      HUBPO_CONTROL_PLANE_GRPC: `${HOST}:${DEV_PORTS.grpc}`,
      HUBPO_DATA_DIR: join(options.dataDir, 'gateway-local'),
    },
  });
  try {
    await waitFor(`http://${HOST}:${DEV_PORTS.gatewayAdmin}/readyz`, 'gateway', 30_000, gateway.exited);
  } catch (err) {
    await stopAll(gateway);
    throw err;
  }
  printWelcome(token);
  return () => stopAll(gateway);
}

function printWelcome(token: string): void {
  const gw = `http://${HOST}:${DEV_PORTS.gateway}`;
  const lines = [
    '',
    'Hubpo is running.',
    `  Gateway (traffic)        ${gw}`,
    `  Gateway health/metrics   http://${HOST}:${DEV_PORTS.gatewayAdmin}/readyz  /metrics`,
    `  Admin API                http://${HOST}:${DEV_PORTS.admin}/api/v1   (OpenAPI: /openapi.json)`,
    `  Admin token              ${token}`,
    `  Demo echo upstream       http://${HOST}:${DEV_PORTS.echo}`,
    '',
    'Try it:',
    `  curl -H 'authorization: Bearer hubpo-demo-key-0123456789' ${gw}/echo/hello`,
    `  curl ${gw}/public/anyone`,
    // The demo AIModel (examples/local/ai-demo.yaml, the built-in mock provider), OpenAI format.
    `  curl -i -H 'authorization: Bearer hubpo-demo-key-0123456789' -H 'content-type: application/json' ` +
      `-d '{"model":"demo","messages":[{"role":"user","content":"Hello!"}]}' ${gw}/v1/chat/completions`,
    `  curl -H 'authorization: Bearer ${token}' http://${HOST}:${DEV_PORTS.admin}/api/v1/routes`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

// Runs the built gateway as a child process pinned to one core, as it runs in production.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitForHttp } from './wait.mjs';

export async function startGatewayProcess({
  root,
  core,
  port,
  adminPort,
  grpcTarget,
  dataDir,
  nodeId = 'bench-gw',
}) {
  const proc = spawn(
    'taskset',
    ['-c', String(core), process.execPath, join(root, 'packages/gateway/dist/main.js')],
    {
      env: {
        ...process.env,
        HUBPO_NODE_ID: nodeId,
        HUBPO_CLUSTER: 'local',
        HUBPO_LISTEN_ADDR: `127.0.0.1:${port}`,
        HUBPO_ADMIN_ADDR: `127.0.0.1:${adminPort}`,
        HUBPO_CONFIG_DRIVER: 'grpc',
        HUBPO_CONTROL_PLANE_GRPC: grpcTarget,
        HUBPO_DATA_DIR: dataDir,
        HUBPO_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, 30000, (s) => s === 200);
  return {
    pid: proc.pid,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

export function startNodeFloor({ script, core, port, target }) {
  const proc = spawn('taskset', ['-c', String(core), process.execPath, script, String(port), target], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return waitForHttp(`http://127.0.0.1:${port}/`).then(() => ({
    pid: proc.pid,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  }));
}

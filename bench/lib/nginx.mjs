// Starts Debian's nginx with a generated config: either a fixed-response upstream or a plain
// keep-alive reverse proxy (the reference every Node contestant is compared with).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForHttp } from './wait.mjs';

const BODY = JSON.stringify({ ok: true, service: 'bench-upstream', payload: 'x'.repeat(64) });

function config(dir, server) {
  return `daemon off; master_process on; worker_processes 1; user root;
pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  keepalive_requests 100000;
  ${server}
}`;
}

export function nginxAvailable() {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function start(server, port, core) {
  const dir = mkdtempSync(join(tmpdir(), 'hubpo-bench-nginx-'));
  writeFileSync(join(dir, 'nginx.conf'), config(dir, server));
  const proc = spawn('taskset', ['-c', String(core), 'nginx', '-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForHttp(`http://127.0.0.1:${port}/`);
  const workerPid = () =>
    Number(
      execFileSync('pgrep', ['-P', String(proc.pid)])
        .toString()
        .trim()
        .split('\n')[0],
    );
  return {
    pid: proc.pid,
    workerPid,
    async stop() {
      proc.kill('SIGQUIT');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fixed 200 JSON response: the upstream all contestants proxy to. */
export function startNginxUpstream(port, core) {
  const server = `server { listen 127.0.0.1:${port} backlog=4096; location / { default_type application/json; return 200 '${BODY}'; } }`;
  return start(server, port, core);
}

/** nginx as a plain reverse proxy with upstream keep-alive. */
export function startNginxProxy(port, upstreamPort, core) {
  const server = `upstream up { server 127.0.0.1:${upstreamPort}; keepalive 256; }
  server { listen 127.0.0.1:${port} backlog=4096;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } }`;
  return start(server, port, core);
}

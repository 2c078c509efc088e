import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { connect, type NatsConnection } from 'nats';
import { HubpoError } from '@hubpo/core';
import { startNats, type NatsProcess } from '@hubpo/testkit';

const text = new TextEncoder();
const fromBytes = new TextDecoder();

/** A connection that gives up at once instead of reconnecting (the server is restarted under it). */
function client(server: NatsProcess): Promise<NatsConnection> {
  return connect({ servers: server.url, reconnect: false, timeout: 2000 });
}

async function getVarz(server: NatsProcess): Promise<{ server_name: string; port: number }> {
  const response = await fetch(`${server.monitorUrl}/varz`);
  return (await response.json()) as { server_name: string; port: number };
}

describe('startNats', () => {
  let server: NatsProcess;

  beforeAll(async () => {
    server = await startNats({ serverName: 'nats-under-test' });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('accepts clients on the loopback URL it reports, with JetStream on', async () => {
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    const nc = await client(server);
    try {
      const info = await (await nc.jetstreamManager()).getAccountInfo();
      expect(info.limits).toBeDefined();
      expect(existsSync(server.storeDir)).toBe(true);
    } finally {
      await nc.close();
    }
  });

  it('uses the server name it was given', async () => {
    const varz = await getVarz(server);
    expect(varz.server_name).toBe('nats-under-test');
    expect(server.serverName).toBe('nats-under-test');
    expect(varz.port).toBe(server.port);
  });

  it('keeps JetStream KV values across restart(), on the same port', async () => {
    const before = await client(server);
    const kv = await before.jetstream().views.kv('b');
    await kv.put('greeting', text.encode('hello'));
    await before.close();
    const port = server.port;

    await server.restart();

    expect(server.port).toBe(port);
    const after = await client(server);
    try {
      const entry = await (await after.jetstream().views.kv('b')).get('greeting');
      expect(entry === null ? null : fromBytes.decode(entry.value)).toBe('hello');
    } finally {
      await after.close();
    }
  });

  it('kill() takes the server down like a crash, and restart() brings it back with its data', async () => {
    const nc = await client(server);
    const kv = await nc.jetstream().views.kv('crash');
    await kv.put('k', text.encode('survives'));
    await nc.close();

    await server.kill();
    await expect(client(server)).rejects.toThrow();
    expect(existsSync(server.storeDir)).toBe(true);

    await server.restart();
    const again = await client(server);
    try {
      const entry = await (await again.jetstream().views.kv('crash')).get('k');
      expect(entry === null ? null : fromBytes.decode(entry.value)).toBe('survives');
    } finally {
      await again.close();
    }
  });
});

describe('stopping nats-server', () => {
  it('frees the port, removes the store and cannot be restarted', async () => {
    const server = await startNats();
    const storeDir = server.storeDir;

    await server.stop();
    await server.stop();

    expect(existsSync(storeDir)).toBe(false);
    await expect(client(server)).rejects.toThrow();
    await expect(server.restart()).rejects.toThrow(HubpoError);
  });
});

describe('nats-server startup errors', () => {
  let blocker: Server;

  afterEach(async () => {
    await new Promise((resolve) => blocker.close(resolve));
  });

  it('include the tail of the server output', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;

    const error: unknown = await startNats({ port }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(HubpoError);
    expect((error as Error).message).toMatch(/last output of nats-server/);
    expect((error as Error).message).toMatch(/address already in use/);
  });
});

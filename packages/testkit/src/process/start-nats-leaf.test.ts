import { HubpoError } from '@hubpo/core';
import { startNatsLeaf } from './start-nats-leaf.js';
import type { NatsProcess } from './start-nats.js';

/** A stand-in for a running server; startNatsLeaf must refuse it before spawning anything. */
function server(fields: Partial<NatsProcess>): NatsProcess {
  return { serverName: 'hub', url: 'nats://127.0.0.1:1', ...fields } as NatsProcess;
}

describe('startNatsLeaf', () => {
  it('needs a hub that accepts leaf nodes and has a JetStream domain', async () => {
    const noListener = await startNatsLeaf(server({ jetstreamDomain: 'hub' }), { domain: 'eu' }).catch(
      (e: unknown) => e,
    );
    expect(HubpoError.is(noListener, 'BAD_REQUEST')).toBe(true);
    const noDomain = await startNatsLeaf(server({ leafnodeUrl: 'nats-leaf://127.0.0.1:1' }), {
      domain: 'eu',
    }).catch((e: unknown) => e);
    expect(HubpoError.is(noDomain, 'BAD_REQUEST')).toBe(true);
  });

  it('refuses the hub domain for a leaf, which would merge their JetStream', async () => {
    const hub = server({ jetstreamDomain: 'hub', leafnodeUrl: 'nats-leaf://127.0.0.1:1' });
    await expect(startNatsLeaf(hub, { domain: 'hub' })).rejects.toThrow(/other than the hub/);
  });
});

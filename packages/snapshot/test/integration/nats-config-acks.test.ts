import type { NatsConnection } from 'nats';
import { encodeConfigAck, publishAck, subscribeAcks } from '@hubpo/snapshot';
import type { ConfigAck } from '@hubpo/snapshot';
import { startNats } from '@hubpo/testkit';
import type { NatsProcess } from '@hubpo/testkit';
import { connectNats, waitFor } from './helpers.js';

jest.setTimeout(60_000);

const ack = (overrides: Partial<ConfigAck> = {}): ConfigAck => ({
  nodeId: 'gw-1',
  cluster: 'prod.eu',
  revision: 7,
  hash: 'aaaaaaaaaaaaaaaa',
  ok: true,
  appliedAtUnixMs: 1_767_225_600_000,
  heartbeat: false,
  rejectedRevision: 0,
  rejectedHash: '',
  epoch: '',
  ...overrides,
});

describe('config ACK subjects', () => {
  let nats: NatsProcess;
  let nc: NatsConnection;
  beforeAll(async () => {
    nats = await startNats();
    nc = await connectNats(nats.url);
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('delivers ACKs, NACKs and heartbeats of a cluster to its subscribers only', async () => {
    const all: ConfigAck[] = [];
    const euOnly: ConfigAck[] = [];
    const subAll = subscribeAcks(nc, (a) => void all.push(a));
    const subEu = subscribeAcks(nc, (a) => void euOnly.push(a), { cluster: 'prod.eu' });
    await nc.flush();

    const nack = ack({
      ok: false,
      error: { code: 'HUBPO_ERR_SNAPSHOT_INVALID', message: 'Route/x: bad regex' },
      rejectedRevision: 8,
      rejectedHash: 'bbbbbbbbbbbbbbbb',
    });
    publishAck(nc, ack());
    publishAck(nc, nack);
    publishAck(nc, ack({ heartbeat: true }));
    publishAck(nc, ack({ cluster: 'prod.us', nodeId: 'gw.*' }));
    await waitFor(() => all.length === 4 && euOnly.length === 3, 5_000, 'acks');
    expect(euOnly).toEqual([ack(), nack, ack({ heartbeat: true })]);
    expect(all[3]).toMatchObject({ cluster: 'prod.us', nodeId: 'gw.*' });
    subAll.unsubscribe();
    subEu.unsubscribe();
  });

  it('rejects a message that claims another cluster or node than its subject', async () => {
    const received: ConfigAck[] = [];
    const errors: unknown[] = [];
    const sub = subscribeAcks(nc, (a) => void received.push(a), { onError: (e) => errors.push(e) });
    await nc.flush();
    nc.publish('hubpo.config.ack.prod=2Eeu.gw-1', encodeConfigAck(ack({ cluster: 'other' })));
    nc.publish('hubpo.config.ack.prod=2Eeu.gw-1', Buffer.from('not protobuf'));
    nc.publish('hubpo.config.ack.prod=2Eeu.gw-1', encodeConfigAck(ack()));
    await waitFor(() => received.length + errors.length === 3, 5_000, 'three messages');
    expect(received).toEqual([ack()]);
    expect(errors).toHaveLength(2);
    sub.unsubscribe();
  });
});

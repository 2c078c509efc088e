import { HubpoError } from '@hubpo/core';
import { decodeDiscoveryResponse, encodeDiscoveryResponse } from './config-codec.js';
import type { DiscoveryNode } from './config-messages.js';
import {
  ackDiscoveryRequest,
  applyDiscoveryResponse,
  discoveryRequestKind,
  discoveryResponseFor,
  heartbeatDiscoveryRequest,
  initialDiscoveryRequest,
  nackDiscoveryRequest,
} from './discovery-protocol.js';
import { buildSnapshot, snapshotVersions } from './snapshot.js';
import { modelObject, routeObject } from './testdata/fixtures.js';

const node = (): DiscoveryNode => ({
  id: 'gw-1',
  cluster: 'prod',
  cloud: 'gcp',
  region: 'europe-west1',
  zone: 'b',
  build: 'dev',
  labels: new Map(),
});

const v1 = () => buildSnapshot('prod', 1, [routeObject('a'), routeObject('b'), modelObject('m')]);
const v2 = () =>
  buildSnapshot('prod', 2, [routeObject('a'), routeObject('b', { hostnames: ['new'] }), routeObject('c')]);

describe('ConfigDiscovery protocol', () => {
  it('sends a full response to a gateway that holds nothing, and it applies', () => {
    const response = discoveryResponseFor(v1(), { nonce: 'n1' });
    expect(response).toMatchObject({ full: true, removed: [], revision: 1, nonce: 'n1', cluster: 'prod' });
    const applied = applyDiscoveryResponse(
      undefined,
      decodeDiscoveryResponse(encodeDiscoveryResponse(response)),
    );
    expect(applied.hash).toBe(v1().hash);
  });

  it('sends only the changes to a gateway that holds a revision, and it reaches the same snapshot', () => {
    const held = v1();
    const response = discoveryResponseFor(v2(), { nonce: 'n2', held: snapshotVersions(held) });
    expect(response.full).toBe(false);
    expect(response.resources.map((r) => r.name)).toEqual(['b', 'c']);
    expect(response.removed).toEqual(['AIModel/m']);
    const applied = applyDiscoveryResponse(held, decodeDiscoveryResponse(encodeDiscoveryResponse(response)));
    expect(applied.hash).toBe(v2().hash);
    expect([...applied.resources.keys()]).toEqual([...v2().resources.keys()]);
  });

  it('sends the full snapshot when asked even if the gateway holds something', () => {
    const response = discoveryResponseFor(v2(), { nonce: 'n', held: snapshotVersions(v1()), full: true });
    expect(response.full).toBe(true);
    expect(response.resources).toHaveLength(3);
    expect(applyDiscoveryResponse(v1(), response).hash).toBe(v2().hash);
  });

  it('rejects a response that does not produce its announced hash (the gateway NACKs)', () => {
    const response = discoveryResponseFor(v2(), { nonce: 'n', held: snapshotVersions(v1()) });
    // Applied on top of a different held snapshot, the delta cannot yield the announced hash.
    const other = buildSnapshot('prod', 1, [routeObject('a'), routeObject('x')]);
    expect(() => applyDiscoveryResponse(other, response)).toThrow(/expected/);
    expect(() => applyDiscoveryResponse(undefined, response)).toThrow(/without a held snapshot/);
    const tampered = { ...response, resources: [{ ...response.resources[0]!, version: '0000000000000000' }] };
    let caught: unknown;
    try {
      applyDiscoveryResponse(v1(), tampered);
    } catch (err) {
      caught = err;
    }
    expect(HubpoError.is(caught, 'SNAPSHOT_INVALID')).toBe(true);
    const otherCluster = buildSnapshot('staging', 1, [routeObject('a')]);
    expect(() => applyDiscoveryResponse(otherCluster, response)).toThrow(/cluster/);
  });

  it('builds the four request forms, each recognisable', () => {
    const held = v1();
    const initial = initialDiscoveryRequest(node(), held);
    expect(initial).toMatchObject({ node: node(), revision: 1, snapshotHash: held.hash, responseNonce: '' });
    expect(initial.initialResourceVersions).toEqual(snapshotVersions(held));
    expect(discoveryRequestKind(initial)).toBe('initial');
    expect(initialDiscoveryRequest(node())).toMatchObject({ revision: 0, snapshotHash: '' });

    const ack = ackDiscoveryRequest('n2', v2());
    expect(ack).toMatchObject({ revision: 2, snapshotHash: v2().hash, responseNonce: 'n2' });
    expect(discoveryRequestKind(ack)).toBe('ack');

    const nack = nackDiscoveryRequest('n3', held, { code: 'HUBPO_ERR_SNAPSHOT_INVALID', message: 'bad' });
    expect(nack).toMatchObject({ revision: 1, snapshotHash: held.hash, responseNonce: 'n3' });
    expect(discoveryRequestKind(nack)).toBe('nack');

    const heartbeat = heartbeatDiscoveryRequest(held, 1234);
    expect(heartbeat).toMatchObject({ revision: 1, heartbeat: { sentAtUnixMs: 1234 }, responseNonce: '' });
    expect(discoveryRequestKind(heartbeat)).toBe('heartbeat');
  });
});

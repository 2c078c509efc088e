import type { Condition } from '@hubpo/api';
import { desiredStatus } from './desired-status.js';
import type { ClusterPlacement, StatusInput } from './desired-status.js';

const accepted = (status: Condition['status'] = 'True', message = 'accepted'): Condition => ({
  type: 'Accepted',
  status,
  reason: status === 'True' ? 'Accepted' : 'InvalidRegex',
  message,
  observedGeneration: 3,
});

const placement = (overrides: Partial<ClusterPlacement> = {}): ClusterPlacement => ({
  cluster: 'eu',
  conditions: [accepted()],
  programmed: true,
  liveSince: 40,
  gateways: 2,
  acked: 2,
  ...overrides,
});

const input = (overrides: Partial<StatusInput> = {}): StatusInput => ({
  kind: 'Route',
  generation: 3,
  distributable: true,
  placements: [placement()],
  failedClusters: [],
  ...overrides,
});

const byType = (conditions: readonly Condition[]) => Object.fromEntries(conditions.map((c) => [c.type, c]));

describe('desiredStatus', () => {
  it('is Programmed and Distributed when every connected gateway serves the live revision', () => {
    const status = desiredStatus(input({ placements: [placement({ propagationMs: 120 })] }));
    const c = byType(status.conditions);
    expect(c['Accepted']?.status).toBe('True');
    expect(c['Programmed']).toMatchObject({ status: 'True', reason: 'Programmed', observedGeneration: 3 });
    expect(c['Distributed']).toMatchObject({
      status: 'True',
      reason: 'Distributed',
      message: '2/2 connected gateways serve generation 3',
    });
    expect(status.distribution).toEqual([
      { cluster: 'eu', gateways: 2, acked: 2, revision: 40, propagationMs: 120 },
    ]);
    expect(status.conditions.every((cond) => cond.observedGeneration === 3)).toBe(true);
  });

  it('counts gateways over every placed cluster', () => {
    const status = desiredStatus(
      input({ placements: [placement(), placement({ cluster: 'us', gateways: 3, acked: 1 })] }),
    );
    expect(byType(status.conditions)['Distributed']).toMatchObject({
      status: 'False',
      reason: 'Pending',
      message: '3/5 connected gateways serve generation 3',
    });
  });

  it('reports an object rejected in one cluster as not accepted, naming the cluster', () => {
    const rejected = placement({
      cluster: 'us',
      conditions: [accepted('False', 'bad regex')],
      programmed: false,
      acked: 0,
    });
    const status = desiredStatus(input({ placements: [placement(), rejected] }));
    const c = byType(status.conditions);
    expect(c['Accepted']).toMatchObject({
      status: 'False',
      reason: 'InvalidRegex',
      message: 'us: bad regex',
    });
    expect(c['Programmed']).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(c['Distributed']).toMatchObject({ status: 'False', reason: 'NotProgrammed' });
  });

  it('says why it is not programmed when the cluster translation failed', () => {
    const status = desiredStatus(
      input({ placements: [placement({ programmed: false })], failedClusters: ['eu'] }),
    );
    expect(byType(status.conditions)['Programmed']).toMatchObject({
      status: 'False',
      reason: 'TranslationFailed',
    });
  });

  it('is Unknown when no gateway is connected, and NotPlaced when no cluster matches', () => {
    expect(
      byType(desiredStatus(input({ placements: [placement({ gateways: 0, acked: 0 })] })).conditions)[
        'Distributed'
      ],
    ).toMatchObject({
      status: 'Unknown',
      reason: 'NoGateways',
    });
    const unplaced = byType(desiredStatus(input({ placements: [] })).conditions);
    expect(unplaced['Accepted']).toMatchObject({ status: 'Unknown', reason: 'NotPlaced' });
    expect(unplaced['Programmed']).toMatchObject({ status: 'False', reason: 'NotPlaced' });
  });

  it('does not claim Programmed or Distributed for kinds without snapshot payloads', () => {
    const status = desiredStatus(input({ kind: 'PromptTemplate', distributable: false }));
    expect(byType(status.conditions)['Programmed']).toMatchObject({
      status: 'Unknown',
      reason: 'NotDistributed',
    });
    expect(byType(status.conditions)['Distributed']).toBeUndefined();
    expect(status.distribution).toEqual([]);
  });
});

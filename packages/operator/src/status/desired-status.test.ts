import type { KubeObject } from '../kube/kube-client.js';
import { desiredStatus, statusPatch } from './desired-status.js';

const NOW = '2024-06-01T00:00:00.000Z';
const object = (generation: number, status?: Record<string, unknown>): KubeObject => ({
  metadata: { name: 'r', namespace: 'ns', generation },
  ...(status === undefined ? {} : { status }),
});
const remoteStatus = (generation: number, accepted = 'True') => ({
  kind: 'Route',
  namespace: 'ns',
  name: 'r',
  generation,
  status: {
    observedGeneration: generation,
    conditions: [
      {
        type: 'Distributed',
        status: 'Unknown',
        reason: 'NoGateways',
        message: 'none',
        observedGeneration: generation,
        lastTransitionTime: '2024-01-01T00:00:00.000Z',
      },
      {
        type: 'Accepted',
        status: accepted,
        reason: 'Accepted',
        message: 'ok',
        observedGeneration: generation,
        lastTransitionTime: '2024-01-01T00:00:00.000Z',
      },
      {
        type: 'Programmed',
        status: 'True',
        reason: 'Programmed',
        message: 'east@4',
        observedGeneration: generation,
        lastTransitionTime: '2024-01-01T00:00:00.000Z',
      },
    ],
    distribution: [{ cluster: 'east', gateways: 0, acked: 0, revision: 4 }],
  },
});

describe('desiredStatus', () => {
  it('takes the control plane status of the current generation, conditions in Gateway API order', () => {
    const s = desiredStatus(object(2), undefined, remoteStatus(2), NOW);
    expect(s).toMatchObject({ observedGeneration: 2, distribution: [{ cluster: 'east' }] });
    expect((s?.['conditions'] as any[]).map((c) => c.type)).toEqual([
      'Accepted',
      'Programmed',
      'Distributed',
    ]);
    expect((s?.['conditions'] as any[])[0]).toEqual({
      type: 'Accepted',
      status: 'True',
      reason: 'Accepted',
      message: 'ok',
      observedGeneration: 2,
      lastTransitionTime: '2024-01-01T00:00:00.000Z',
    });
  });

  it('says Pending for a new object sent but not yet reported, and nothing before it was sent', () => {
    const local = { generation: 1, conditions: [], sent: true };
    expect(desiredStatus(object(1), local, undefined, NOW)).toEqual({
      conditions: [
        {
          type: 'Accepted',
          status: 'Unknown',
          reason: 'Pending',
          message: expect.any(String),
          observedGeneration: 1,
          lastTransitionTime: NOW,
        },
      ],
    });
    expect(desiredStatus(object(1), undefined, undefined, NOW)).toBeUndefined();
  });

  it('leaves the reported status of the previous generation alone until the new one is reported', () => {
    const reported = desiredStatus(object(2), undefined, remoteStatus(2), NOW)!;
    const local = { generation: 3, conditions: [], sent: true };
    const s = desiredStatus(object(3, reported), local, remoteStatus(2), NOW);
    expect(s).toEqual({ conditions: reported['conditions'] });
    expect(statusPatch(reported, s!)).toBeUndefined();
  });

  it('writes a refusal of the current generation at once, with observedGeneration', () => {
    const reported = desiredStatus(object(2), undefined, remoteStatus(2), NOW)!;
    const local = {
      generation: 3,
      conditions: [{ type: 'Accepted', status: 'False' as const, reason: 'Invalid', message: '/spec: bad' }],
      sent: false,
    };
    const s = desiredStatus(object(3, reported), local, remoteStatus(2), NOW)!;
    expect(s['observedGeneration']).toBe(3);
    expect(s['distribution']).toBeNull();
    const accepted = (s['conditions'] as any[]).find((c) => c.type === 'Accepted');
    expect(accepted).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      observedGeneration: 3,
      lastTransitionTime: NOW,
    });
    expect((s['conditions'] as any[]).find((c) => c.type === 'Programmed')).toMatchObject({
      observedGeneration: 2,
    });
  });

  it("lets the operator's own conditions win by type", () => {
    const local = {
      generation: 2,
      conditions: [
        {
          type: 'ResolvedRefs',
          status: 'False' as const,
          reason: 'SecretNotFound',
          message: 'Secret ns/k not found',
        },
      ],
      sent: true,
    };
    const s = desiredStatus(object(2), local, remoteStatus(2), NOW);
    expect((s?.['conditions'] as any[]).map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Accepted=True/Accepted',
      'ResolvedRefs=False/SecretNotFound',
      'Programmed=True/Programmed',
      'Distributed=Unknown/NoGateways',
    ]);
  });

  it('keeps lastTransitionTime of a condition whose status did not flip, and stamps now on a flip', () => {
    const existing = {
      conditions: [
        {
          type: 'Accepted',
          status: 'True',
          reason: 'Accepted',
          message: 'old',
          lastTransitionTime: '2023-01-01T00:00:00.000Z',
        },
        {
          type: 'Programmed',
          status: 'False',
          reason: 'Pending',
          message: 'old',
          lastTransitionTime: '2023-01-01T00:00:00.000Z',
        },
      ],
    };
    const s = desiredStatus(object(2, existing), undefined, remoteStatus(2), NOW);
    const byType = Object.fromEntries(
      (s?.['conditions'] as any[]).map((c) => [c.type, c.lastTransitionTime]),
    );
    expect(byType['Accepted']).toBe('2023-01-01T00:00:00.000Z');
    expect(byType['Programmed']).toBe('2024-01-01T00:00:00.000Z');
  });
});

describe('statusPatch', () => {
  it('patches only what differs, removes a vanished field with null, and is undefined when equal', () => {
    const desired = { observedGeneration: 2, conditions: [{ type: 'A' }], distribution: null };
    expect(statusPatch({ observedGeneration: 2, conditions: [{ type: 'A' }] }, desired)).toBeUndefined();
    expect(
      statusPatch({ observedGeneration: 1, conditions: [{ type: 'A' }], distribution: [] }, desired),
    ).toEqual({
      observedGeneration: 2,
      distribution: null,
    });
    expect(statusPatch(undefined, desired)).toEqual({ observedGeneration: 2, conditions: [{ type: 'A' }] });
  });
});

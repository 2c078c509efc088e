import { objectKey } from '@hubpo/translator';
import type { TranslateResult } from '@hubpo/translator';
import { explainUnavailableCredentials } from './explain-unavailable-credentials.js';

type Status = TranslateResult['statuses'][number];

function status(
  name: string,
  conditions: { type: string; status: 'True' | 'False'; message: string }[],
): Status {
  return {
    kind: 'AIModel',
    namespace: 'ai',
    name,
    generation: 1,
    conditions: conditions.map((c) => ({ ...c, reason: 'Test', observedGeneration: 1 })),
  } as Status;
}

describe('explainUnavailableCredentials', () => {
  const unavailable = new Map([[objectKey('AIModel', 'ai', 'chat'), 'HUBPO_DATAPLANE_KEY is not set']]);

  it("appends the reason to the object's ResolvedRefs=False message only", () => {
    const result = explainUnavailableCredentials(
      {
        objects: [],
        statuses: [
          status('chat', [
            { type: 'Accepted', status: 'True', message: 'ok' },
            { type: 'ResolvedRefs', status: 'False', message: 'missing' },
          ]),
          status('other', [{ type: 'ResolvedRefs', status: 'False', message: 'missing' }]),
        ],
      },
      unavailable,
    );
    expect(result.statuses.map((s) => s.conditions.map((c) => c.message))).toEqual([
      ['ok', 'missing (HUBPO_DATAPLANE_KEY is not set)'],
      ['missing'],
    ]);
  });

  it('leaves a resolved ResolvedRefs condition alone and keeps the objects', () => {
    const objects = [{}] as unknown as TranslateResult['objects'];
    const input: TranslateResult = {
      objects,
      statuses: [status('chat', [{ type: 'ResolvedRefs', status: 'True', message: 'resolved' }])],
    };
    const result = explainUnavailableCredentials(input, unavailable);
    expect(result.objects).toBe(objects);
    expect(result.statuses[0]!.conditions[0]!.message).toBe('resolved');
  });
});

import { HubpoError } from '@hubpo/core';
import { encodeUsageCursor } from './usage-cursor-token.js';
import { parseUsageListQuery, parseUsageSummaryQuery } from './usage-query.js';

const issuesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (HubpoError.is(err, 'BAD_REQUEST')) return err.issues.map((i) => i.path).sort();
    throw err;
  }
  throw new Error('expected a BAD_REQUEST');
};

describe('usage query parameters', () => {
  it('reads filters, limit and a continue token bound to the same filters', () => {
    const filter = { consumer: 'team-a', since: new Date('2026-03-01T00:00:00Z') };
    const token = encodeUsageCursor({ startedAtUnixMs: 1_772_323_200_000, requestId: 'r9' }, filter);
    const q = parseUsageListQuery({
      consumer: 'team-a',
      since: '2026-03-01T00:00:00Z',
      limit: '10',
      continue: token,
    });
    expect(q).toEqual({ filter, limit: 10, after: { startedAtUnixMs: 1_772_323_200_000, requestId: 'r9' } });
    expect(issuesOf(() => parseUsageListQuery({ consumer: 'team-b', continue: token }))).toEqual([
      'continue',
    ]);
    expect(issuesOf(() => parseUsageListQuery({ continue: 'not a token!' }))).toEqual(['continue']);
  });

  it('defaults: 100 records, grouped by model', () => {
    expect(parseUsageListQuery({})).toEqual({ filter: {}, limit: 100 });
    expect(parseUsageSummaryQuery({})).toEqual({ filter: {}, groupBy: 'model' });
  });

  it('reports every bad parameter at once', () => {
    expect(
      issuesOf(() =>
        parseUsageListQuery({
          limit: '1001',
          since: '2026-03-01',
          until: 'soon',
          model: ['a', 'b'],
          extra: 'x',
        }),
      ),
    ).toEqual(['extra', 'limit', 'model', 'since', 'until']);
    expect(
      issuesOf(() =>
        parseUsageSummaryQuery({
          groupBy: 'colour',
          since: '2026-03-02T00:00:00Z',
          until: '2026-03-01T00:00:00Z',
        }),
      ),
    ).toEqual(['groupBy', 'until']);
  });
});

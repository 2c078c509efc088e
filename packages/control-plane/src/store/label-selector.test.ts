import { matchesLabels, parseLabelSelector } from './label-selector.js';

describe('label selector', () => {
  it('parses equality, inequality, existence and absence', () => {
    expect(parseLabelSelector('env=prod, tier==web,zone!=a,canary,!legacy')).toEqual([
      { op: 'eq', key: 'env', value: 'prod' },
      { op: 'eq', key: 'tier', value: 'web' },
      { op: 'neq', key: 'zone', value: 'a' },
      { op: 'exists', key: 'canary' },
      { op: 'absent', key: 'legacy' },
    ]);
    expect(parseLabelSelector('')).toEqual([]);
  });

  it('matches like Kubernetes: != also matches objects without the label', () => {
    const selector = parseLabelSelector('env=prod,zone!=a');
    expect(matchesLabels(selector, { env: 'prod' })).toBe(true);
    expect(matchesLabels(selector, { env: 'prod', zone: 'b' })).toBe(true);
    expect(matchesLabels(selector, { env: 'prod', zone: 'a' })).toBe(false);
    expect(matchesLabels(selector, { zone: 'b' })).toBe(false);
  });

  it.each(['env in (a,b)', 'bad key=1', 'env=has space', '=x'])(
    'rejects %s with a 400 naming labelSelector',
    (text) => {
      expect(() => parseLabelSelector(text)).toThrow(
        expect.objectContaining({
          status: 400,
          issues: [expect.objectContaining({ path: 'labelSelector' })],
        }),
      );
    },
  );
});

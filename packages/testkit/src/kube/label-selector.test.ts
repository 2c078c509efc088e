import { KubeStatusError } from './kube-status.js';
import { parseLabelSelector } from './label-selector.js';

describe('parseLabelSelector', () => {
  const labels = { app: 'web', tier: 'front', replicas: '3' };

  it.each([
    ['', true],
    ['app=web', true],
    ['app = web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db, web)', true],
    ['app notin (db,web)', false],
    ['missing notin (x)', true],
    ['missing in (x)', false],
    ['tier', true],
    ['!tier', false],
    ['! missing', true],
    ['replicas>2', true],
    ['replicas<2', false],
    ['app=web,tier in (front,back),!missing', true],
    ['app.kubernetes.io/name=x', false],
    ['empty=', false],
  ])('%s matches %s', (selector, expected) => {
    expect(parseLabelSelector(selector).matches(labels)).toBe(expected);
  });

  it('treats an empty value as a value', () => {
    expect(parseLabelSelector('empty=').matches({ empty: '' })).toBe(true);
    expect(parseLabelSelector('empty==').matches({ empty: 'x' })).toBe(false);
  });

  it('matches nothing-labelled objects only by negative requirements', () => {
    expect(parseLabelSelector('!a').matches(undefined)).toBe(true);
    expect(parseLabelSelector('a').matches(undefined)).toBe(false);
  });

  it.each(['app in web', 'app=web=x', '=web', 'app in (a', 'a,,b'])('rejects %s with 400', (selector) => {
    try {
      parseLabelSelector(selector);
      throw new Error('expected a parse error');
    } catch (err) {
      expect(err).toBeInstanceOf(KubeStatusError);
      expect((err as KubeStatusError).code).toBe(400);
    }
  });
});

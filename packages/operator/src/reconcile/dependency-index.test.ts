import { DependencyIndex } from './dependency-index.js';

describe('DependencyIndex', () => {
  it('finds every object that used a dependency in its last reconcile', () => {
    const index = new DependencyIndex();
    index.set('Consumer/shop/a', ['Secret:shop/keys']);
    index.set('AIModel/shop/b', ['Secret:shop/keys', 'Secret:vault/openai']);
    expect(index.dependents('Secret:shop/keys').sort()).toEqual(['AIModel/shop/b', 'Consumer/shop/a']);
    index.set('AIModel/shop/b', ['Secret:vault/openai']);
    expect(index.dependents('Secret:shop/keys')).toEqual(['Consumer/shop/a']);
    index.remove('Consumer/shop/a');
    expect(index.dependents('Secret:shop/keys')).toEqual([]);
    expect(index.dependents('Secret:vault/openai')).toEqual(['AIModel/shop/b']);
  });
});

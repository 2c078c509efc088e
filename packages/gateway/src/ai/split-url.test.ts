import { splitUrl } from './split-url.js';

describe('splitUrl', () => {
  it('splits origin and request target as written', () => {
    expect(splitUrl('https://api.openai.com/v1/chat/completions')).toEqual({
      origin: 'https://api.openai.com',
      path: '/v1/chat/completions',
    });
    expect(splitUrl('http://127.0.0.1:8080/a?b=c')).toEqual({
      origin: 'http://127.0.0.1:8080',
      path: '/a?b=c',
    });
    expect(splitUrl('https://host:443')).toEqual({ origin: 'https://host:443', path: '/' });
    expect(splitUrl('https://host?x=1')).toEqual({ origin: 'https://host', path: '/?x=1' });
  });
});

import { signSigV4 } from './sign-sigv4.js';

// AWS SigV4 test suite (aws-sig-v4-test-suite): credentials, region, service and time shared by every vector.
const SUITE = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  service: 'service',
  now: Date.UTC(2015, 7, 30, 12, 36, 0),
};

describe('signSigV4', () => {
  it('reproduces the get-vanilla vector', () => {
    const headers = signSigV4(
      { method: 'GET', url: 'https://example.amazonaws.com/', headers: {}, body: '' },
      SUITE,
    );
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('reproduces the post-vanilla vector', () => {
    const headers = signSigV4(
      { method: 'POST', url: 'https://example.amazonaws.com/', headers: {}, body: '' },
      SUITE,
    );
    expect(headers['authorization']).toContain(
      'Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    );
  });

  it('reproduces the get-vanilla-query-order-key-case vector (query parameters sorted)', () => {
    const headers = signSigV4(
      {
        method: 'GET',
        url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
        headers: {},
        body: '',
      },
      SUITE,
    );
    expect(headers['authorization']).toContain(
      'Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    );
  });

  it('adds the session token of temporary credentials and signs it', () => {
    const headers = signSigV4(
      {
        method: 'POST',
        url: 'https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse',
        headers: {},
        body: '{}',
      },
      { ...SUITE, credentials: { ...SUITE.credentials, sessionToken: 'TOKEN' } },
    );
    expect(headers['x-amz-security-token']).toBe('TOKEN');
    expect(headers['authorization']).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token');
  });

  it('signs the body: a different payload gives a different signature', () => {
    const sign = (body: string) =>
      signSigV4(
        {
          method: 'POST',
          url: 'https://example.amazonaws.com/',
          headers: { 'content-type': 'application/json' },
          body,
        },
        SUITE,
      )['authorization'];
    expect(sign('{"a":1}')).not.toBe(sign('{"a":2}'));
  });
});

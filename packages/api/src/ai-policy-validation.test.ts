import { validateResource } from './kind-registry.js';

const policy = (spec: Record<string, unknown>) => ({
  apiVersion: 'hubpo.io/v1alpha1',
  kind: 'Policy',
  metadata: { name: 'ai', namespace: 'shop' },
  spec: { targetRefs: [{ kind: 'AIModel', name: 'chat' }], ...spec },
});

describe('Policy aiLogging and aiCredentials', () => {
  it('accepts logging with detectors, custom patterns and a size limit, and pass-through', () => {
    const result = validateResource(
      'Policy',
      policy({
        aiLogging: {
          prompts: true,
          completions: true,
          redact: ['email', 'creditCard'],
          patterns: [{ name: 'ticket', regex: 'TCK-[0-9]{6}' }],
          maxChars: 2000,
        },
        aiCredentials: { passThrough: true, header: 'x-provider-key', providers: ['openai'] },
      }),
    );
    expect(result.ok).toBe(true);
  });

  it('a policy with only aiCredentials is complete', () => {
    expect(validateResource('Policy', policy({ aiCredentials: { passThrough: true } })).ok).toBe(true);
  });

  it('still refuses a policy that asks for nothing', () => {
    expect(validateResource('Policy', policy({}))).toEqual({
      ok: false,
      issues: [
        {
          path: '/spec',
          message: 'a policy needs at least one of authentication, rateLimit, aiLogging or aiCredentials',
        },
      ],
    });
  });

  it('refuses an unknown detector, an over-long pattern and an invalid header name', () => {
    const result = validateResource(
      'Policy',
      policy({
        aiLogging: { prompts: true, redact: ['ssn'], patterns: [{ name: 'x', regex: 'a'.repeat(257) }] },
        aiCredentials: { passThrough: true, header: 'bad header' },
      }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      const paths = result.issues.map((i) => i.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          expect.stringContaining('/spec/aiLogging/redact/0'),
          '/spec/aiLogging/patterns/0/regex',
          '/spec/aiCredentials/header',
        ]),
      );
    }
  });

  it('refuses a pattern that does not compile and duplicate pattern names', () => {
    const result = validateResource(
      'Policy',
      policy({
        aiLogging: {
          prompts: true,
          patterns: [
            { name: 'p', regex: '(unclosed' },
            { name: 'p', regex: 'ok' },
          ],
        },
      }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues.map((i) => i.path).sort()).toEqual([
        '/spec/aiLogging/patterns/0/regex',
        '/spec/aiLogging/patterns/1/name',
      ]);
  });
});

import { Redactor } from './redactor.js';

const ALL = ['email', 'phone', 'creditCard', 'apiKey', 'ipAddress'] as const;

describe('Redactor', () => {
  const all = new Redactor(ALL, []);

  it('redacts e-mails, card numbers that pass Luhn, phones, IPs and key-shaped tokens', () => {
    const text =
      'mail ana.lee+x@example.co.uk, card 4111 1111 1111 1111, call +1 415 555 0100, ' +
      'host 10.0.12.7 or 2001:db8::8a2e:370:7334, key sk-proj-AbCdEfGhIjKlMnOpQrSt, password=hunter22';
    const out = all.redact(text);
    expect(out).toBe(
      'mail [REDACTED:email], card [REDACTED:creditCard], call [REDACTED:phone], ' +
        'host [REDACTED:ipAddress] or [REDACTED:ipAddress], key [REDACTED:apiKey], password=[REDACTED:apiKey]',
    );
  });

  it('keeps digit runs that are not card numbers and ordinary text', () => {
    expect(all.redact('order 1234567890123 shipped in 2024, version 1.2.3')).toBe(
      'order 1234567890123 shipped in 2024, version 1.2.3',
    );
  });

  it('runs only the detectors asked for, then custom patterns', () => {
    const r = new Redactor(['email'], [{ name: 'ticket', regex: 'TCK-[0-9]{6}' }]);
    expect(r.redact('a@b.io about TCK-123456 from 10.0.0.1')).toBe(
      '[REDACTED:email] about [REDACTED:ticket] from 10.0.0.1',
    );
  });

  it('treats $ in a pattern name literally and an empty redactor as identity', () => {
    const r = new Redactor([], [{ name: 'x$1', regex: 'secret' }]);
    expect(r.redact('a secret')).toBe('a [REDACTED:x$1]');
    expect(new Redactor([], []).empty).toBe(true);
  });

  it('refuses an over-long custom pattern', () => {
    expect(() => new Redactor([], [{ name: 'long', regex: 'a'.repeat(257) }])).toThrow(/longer than 256/);
  });
});

import { readPemFile, unreadableFile } from './unreadable-file.js';

describe('unreadableFile', () => {
  it('names the path and the error code, or the message when there is no code', () => {
    const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    expect(unreadableFile('/etc/x.pem', enoent)).toBe('cannot read "/etc/x.pem" (ENOENT)');
    expect(unreadableFile('/etc/x.pem', new Error('boom'))).toBe('cannot read "/etc/x.pem" (boom)');
  });
});

describe('readPemFile', () => {
  const files: Record<string, string> = {
    '/ca.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    '/key.pem': '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n',
  };
  const read = (path: string): string => {
    const content = files[path];
    if (content === undefined) throw Object.assign(new Error('absent'), { code: 'ENOENT' });
    return content;
  };

  it('returns the text of a file holding the labelled block', () => {
    expect(readPemFile('/ca.crt', 'CERTIFICATE', read)).toEqual({ pem: files['/ca.crt'] });
    expect(readPemFile('/key.pem', 'PRIVATE KEY', read)).toEqual({ pem: files['/key.pem'] });
  });

  it('names an unreadable file or one without the block, never showing the content', () => {
    expect(readPemFile('/nope', 'CERTIFICATE', read)).toEqual({ problem: 'cannot read "/nope" (ENOENT)' });
    expect(readPemFile('/key.pem', 'CERTIFICATE', read)).toEqual({
      problem: '"/key.pem" holds no PEM CERTIFICATE',
    });
  });
});

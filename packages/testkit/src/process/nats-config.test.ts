import { renderNatsConfig } from './nats-config.js';

describe('renderNatsConfig', () => {
  const base = { serverName: 'n1', port: 4222, monitorPort: 8222, storeDir: '/tmp/x/store' };

  it('binds every listener to loopback and enables JetStream with the store dir', () => {
    expect(renderNatsConfig(base)).toBe(
      [
        '# Written by @hubpo/testkit startNats().',
        'server_name: "n1"',
        'listen: "127.0.0.1:4222"',
        'http: "127.0.0.1:8222"',
        'jetstream {',
        '  store_dir: "/tmp/x/store"',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('adds the JetStream domain, a leaf node listener and one remote per hub URL', () => {
    const config = renderNatsConfig({
      ...base,
      jetstreamDomain: 'aws',
      leafnodeListenPort: 7422,
      leafRemotes: ['nats-leaf://127.0.0.1:7000', 'nats-leaf://127.0.0.1:7001'],
    });
    expect(config).toContain('  domain: "aws"\n}');
    expect(config).toContain(
      [
        'leafnodes {',
        '  listen: "127.0.0.1:7422"',
        '  remotes: [',
        '    { urls: ["nats-leaf://127.0.0.1:7000"] }',
        '    { urls: ["nats-leaf://127.0.0.1:7001"] }',
        '  ]',
        '}',
      ].join('\n'),
    );
  });

  it('quotes strings so that paths with spaces or quotes stay one value', () => {
    expect(renderNatsConfig({ ...base, storeDir: '/tmp/a "b"/c' })).toContain(
      'store_dir: "/tmp/a \\"b\\"/c"',
    );
  });
});

import { rm } from 'node:fs/promises';
import { JetStreamUsageSink, createGateway } from '@hubpo/gateway';
import { MetricNames, createTelemetry } from '@hubpo/telemetry';
import type { Telemetry } from '@hubpo/telemetry';
import { pino } from 'pino';
import { snapshotOf, tempDataDir, testGatewayConfig } from './gateway-fixtures.js';
import { TestConfigServer } from './test-config-server.js';

/** A telemetry whose meters remember the name of every instrument created on them. */
function recordingTelemetry(): { readonly telemetry: Telemetry; readonly names: Set<string> } {
  const inner = createTelemetry({ serviceName: 'metric-names-test' });
  const names = new Set<string>();
  const recording = <M extends object>(meter: M): M =>
    new Proxy(meter, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof prop !== 'string' || !prop.startsWith('create') || typeof value !== 'function')
          return value;
        return (name: string, ...rest: unknown[]) => {
          names.add(name);
          return (value as (...args: unknown[]) => unknown).call(target, name, ...rest);
        };
      },
    });
  return {
    telemetry: { ...inner, meter: recording(inner.meter), hotMeter: recording(inner.hotMeter) },
    names,
  };
}

describe('gateway metric names', () => {
  it('registers only instruments named in @hubpo/telemetry MetricNames', async () => {
    const { telemetry, names } = recordingTelemetry();
    const dataDir = await tempDataDir();
    const controlPlane = await TestConfigServer.start();
    const config = testGatewayConfig({ kind: 'grpc', target: controlPlane.target }, dataDir);
    controlPlane.publish(snapshotOf(1, []));
    const gateway = await createGateway(config, { telemetry });
    // Connected before stopping: a stop racing the first connect leaves grpc-js's readiness timer behind.
    await gateway.waitForRevision(1, 10_000);
    // The usage publisher registers its instruments on construction (it connects only on start).
    const sink = new JetStreamUsageSink({
      servers: 'nats://127.0.0.1:1',
      cluster: config.cluster,
      logger: pino({ level: 'silent' }),
      meter: telemetry.meter,
    });
    try {
      const known = new Set<string>(Object.values(MetricNames));
      expect(names.size).toBeGreaterThan(0);
      expect([...names].filter((name) => !known.has(name))).toEqual([]);
      // The ones this check was written for: the runtime gauge and the usage publisher's.
      expect(names).toContain(MetricNames.activeRequests);
      expect(names).toContain(MetricNames.usageQueued);
      expect(names).toContain(MetricNames.httpServerRequestDuration);
      expect(names).toContain(MetricNames.genAiTokenUsage);
      expect(names).toContain(MetricNames.configRevision);
    } finally {
      await sink.stop(0);
      await gateway.stop();
      await controlPlane.stop();
      await telemetry.shutdown();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

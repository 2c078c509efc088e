import { createTelemetry } from '@hubpo/telemetry';
import { pino } from 'pino';
import { loadGatewayConfig } from '../gateway-config.js';
import { GrpcUsageSink } from './grpc-usage-sink.js';
import { JetStreamUsageSink } from './jetstream-usage-sink.js';
import { createUsageSink, loadUsageSinkConfig } from './usage-sink-config.js';

const logger = pino({ level: 'silent' });

describe('usage sink selection', () => {
  const telemetry = createTelemetry({ serviceName: 'usage-sink-config-test' });
  afterAll(() => telemetry.shutdown());

  const build = (env: Record<string, string>) =>
    createUsageSink(loadUsageSinkConfig(env), loadGatewayConfig(env), logger, telemetry);

  it('reports over gRPC to the config control plane when NATS_URL is not set', async () => {
    const sink = build({ HUBPO_CONTROL_PLANE_GRPC: '127.0.0.1:18000' });
    expect(sink).toBeInstanceOf(GrpcUsageSink);
    await sink.stop(0);
  });

  it('publishes to JetStream when NATS_URL is set, whatever the config driver', async () => {
    const grpcDriver = build({ HUBPO_CONTROL_PLANE_GRPC: '127.0.0.1:18000', NATS_URL: 'nats://127.0.0.1:1' });
    const natsDriver = build({ HUBPO_CONFIG_DRIVER: 'nats', NATS_URL: 'nats://127.0.0.1:1' });
    expect(grpcDriver).toBeInstanceOf(JetStreamUsageSink);
    expect(natsDriver).toBeInstanceOf(JetStreamUsageSink);
    await grpcDriver.stop(0);
    await natsDriver.stop(0);
  });

  it('refuses a queue size that is not a whole number from 1', () => {
    expect(() => loadUsageSinkConfig({ HUBPO_USAGE_QUEUE_SIZE: '0' })).toThrow(
      /invalid gateway configuration/,
    );
    expect(loadUsageSinkConfig({ HUBPO_USAGE_QUEUE_SIZE: '25' }).maxQueue).toBe(25);
  });
});

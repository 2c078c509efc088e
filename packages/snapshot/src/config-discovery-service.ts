import { makeClientConstructor } from '@grpc/grpc-js';
import type {
  CallOptions,
  Client,
  ChannelCredentials,
  ChannelOptions,
  ClientDuplexStream,
  Metadata,
  MethodDefinition,
  ServiceDefinition,
  UntypedServiceImplementation,
  handleBidiStreamingCall,
} from '@grpc/grpc-js';
import { bidiMethodDefinition } from './bidi-method-definition.js';
import {
  decodeDiscoveryRequest,
  decodeDiscoveryResponse,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
} from './config-codec.js';
import type { DiscoveryRequest, DiscoveryResponse } from './config-messages.js';
import { configV1Descriptor } from './generated/index.js';

export const CONFIG_DISCOVERY_SERVICE_NAME = 'hubpo.config.v1.ConfigDiscovery';

/** The gRPC service definition of ConfigDiscovery, with this package's typed message codecs. */
export interface ConfigDiscoveryServiceDefinition extends ServiceDefinition {
  readonly StreamConfig: MethodDefinition<DiscoveryRequest, DiscoveryResponse>;
}

/** Server implementation, for `server.addService(service, handlers)`. */
export interface ConfigDiscoveryHandlers extends UntypedServiceImplementation {
  streamConfig: handleBidiStreamingCall<DiscoveryRequest, DiscoveryResponse>;
}

export interface ConfigDiscoveryClient extends Client {
  streamConfig(options?: CallOptions): ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  streamConfig(
    metadata: Metadata,
    options?: CallOptions,
  ): ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
}

export type ConfigDiscoveryClientConstructor = new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ChannelOptions>,
) => ConfigDiscoveryClient;

/**
 * Channel options the client applies unless overridden. A full response carries a whole
 * snapshot, which can exceed gRPC's default 4 MiB receive limit.
 */
export const configDiscoveryChannelOptions: Readonly<Partial<ChannelOptions>> = Object.freeze({
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
});

let definition: ConfigDiscoveryServiceDefinition | undefined;
let clientConstructor: ConfigDiscoveryClientConstructor | undefined;

/**
 * The service definition, built once from the generated descriptor by @grpc/proto-loader (path,
 * streaming flags, descriptors for reflection); messages are (de)serialized by this package's
 * codecs, so handlers and clients see the TypeScript message types.
 */
export function configDiscoveryServiceDefinition(): ConfigDiscoveryServiceDefinition {
  if (definition !== undefined) return definition;
  const method = bidiMethodDefinition(configV1Descriptor, CONFIG_DISCOVERY_SERVICE_NAME, 'StreamConfig', {
    encodeRequest: encodeDiscoveryRequest,
    decodeRequest: decodeDiscoveryRequest,
    encodeResponse: encodeDiscoveryResponse,
    decodeResponse: decodeDiscoveryResponse,
  });
  definition = Object.freeze({ StreamConfig: method });
  return definition;
}

/** The service definition and a client class for it (`new Client(address, credentials)`). */
export function loadConfigDiscovery(): {
  readonly service: ConfigDiscoveryServiceDefinition;
  readonly Client: ConfigDiscoveryClientConstructor;
} {
  const service = configDiscoveryServiceDefinition();
  if (clientConstructor === undefined) {
    const Generated = makeClientConstructor(service, CONFIG_DISCOVERY_SERVICE_NAME);
    clientConstructor = class extends Generated {
      constructor(address: string, credentials: ChannelCredentials, options: Partial<ChannelOptions> = {}) {
        super(address, credentials, { ...configDiscoveryChannelOptions, ...options });
      }
    } as unknown as ConfigDiscoveryClientConstructor;
  }
  return { service, Client: clientConstructor };
}

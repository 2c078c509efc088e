import type { MethodDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/proto-loader';
import { HubpoError } from '@hubpo/core';

/** This package's codecs for the two messages of one gRPC method. */
export interface BidiMethodCodecs<Req, Res> {
  readonly encodeRequest: (message: Req) => Buffer;
  readonly decodeRequest: (bytes: Uint8Array) => Req;
  readonly encodeResponse: (message: Res) => Buffer;
  readonly decodeResponse: (bytes: Uint8Array) => Res;
}

/**
 * One bidirectional streaming method of `service` in a generated descriptor, built by
 * @grpc/proto-loader (path, streaming flags, descriptors for reflection) with its messages
 * (de)serialized by `codecs`, so handlers and clients see the TypeScript message types. Throws
 * `INTERNAL` when the descriptor lacks the method or the method is not bidirectional.
 */
export function bidiMethodDefinition<Req, Res>(
  descriptor: object,
  service: string,
  method: string,
  codecs: BidiMethodCodecs<Req, Res>,
): MethodDefinition<Req, Res> {
  // The generated descriptor is plain JSON; proto-loader types it with its own protobufjs copy.
  const entry = fromJSON(descriptor as Parameters<typeof fromJSON>[0], {})[service];
  // Message and enum definitions carry a `format`; a service is a map of its methods.
  const loaded = entry === undefined || 'format' in entry ? undefined : (entry as ServiceDefinition)[method];
  if (loaded === undefined || !loaded.requestStream || !loaded.responseStream) {
    throw new HubpoError('INTERNAL', `descriptor lacks the bidirectional ${service}/${method}`);
  }
  return {
    ...loaded,
    requestSerialize: codecs.encodeRequest,
    requestDeserialize: codecs.decodeRequest,
    responseSerialize: codecs.encodeResponse,
    responseDeserialize: codecs.decodeResponse,
  };
}

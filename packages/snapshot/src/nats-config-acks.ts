import type { NatsConnection, Subscription } from 'nats';
import { HubpoError } from '@hubpo/core';
import { decodeConfigAck, encodeConfigAck } from './config-codec.js';
import { ackSubject, ackSubjectFilter } from './config-kv-layout.js';
import type { ConfigAck } from './config-messages.js';

/**
 * Publishes a gateway's ACK, NACK or heartbeat on `hubpo.config.ack.<cluster>.<node>` (core NATS,
 * at most once: a lost message is repaired by the next heartbeat, which restates the state).
 */
export function publishAck(nc: NatsConnection, ack: ConfigAck): void {
  nc.publish(ackSubject(ack.cluster, ack.nodeId), encodeConfigAck(ack));
}

export interface SubscribeAcksOptions {
  /** Only this cluster's gateways; default every cluster. */
  readonly cluster?: string;
  /**
   * Undecodable messages, messages whose cluster or node differ from their subject, and errors
   * thrown by `onAck`.
   */
  readonly onError?: (err: unknown) => void;
}

/**
 * Calls `onAck` for every ConfigAck published. A message is accepted only on the subject its own
 * cluster and node id map to, so subject permissions (a gateway may publish only on its
 * cluster's subjects) also bind the message content.
 */
export function subscribeAcks(
  nc: NatsConnection,
  onAck: (ack: ConfigAck) => void,
  options: SubscribeAcksOptions = {},
): Subscription {
  const onError = options.onError ?? (() => undefined);
  return nc.subscribe(ackSubjectFilter(options.cluster), {
    callback: (err, msg) => {
      if (err !== null) {
        onError(err);
        return;
      }
      try {
        const ack = decodeConfigAck(msg.data);
        if (msg.subject !== ackSubject(ack.cluster, ack.nodeId)) {
          throw new HubpoError(
            'BAD_REQUEST',
            `ConfigAck of ${ack.cluster}/${ack.nodeId} on subject ${msg.subject}`,
          );
        }
        onAck(ack);
      } catch (error) {
        onError(error);
      }
    },
  });
}

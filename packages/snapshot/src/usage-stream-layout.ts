/*
 * Names of the usage pipeline on NATS JetStream (docs/design/usage-pipeline.md). Gateways publish
 * one `hubpo.usage.v1.UsageRecord` per AI request to `hubpo.usage.<cluster>` with the header
 * `Nats-Msg-Id: <request id>`; the control plane owns the stream (it creates it with a duplicate
 * window, so a retried publish is stored once) and reads it with a durable pull consumer.
 *
 *   Stream "HUBPO_USAGE", subjects "hubpo.usage.>"
 *     hubpo.usage.<cluster>        UsageRecord (protobuf), Nats-Msg-Id = request_id
 */
import { escapeKeyToken, unescapeKeyToken } from './key-token.js';

export const USAGE_STREAM = 'HUBPO_USAGE';
export const USAGE_SUBJECT_PREFIX = 'hubpo.usage';
/** Every usage subject: the stream's subject filter. */
export const USAGE_SUBJECTS = `${USAGE_SUBJECT_PREFIX}.>`;

/** The subject a gateway of `cluster` publishes its usage records to (one escaped token). */
export function usageSubject(cluster: string): string {
  return `${USAGE_SUBJECT_PREFIX}.${escapeKeyToken(cluster)}`;
}

/** The cluster a usage subject names; undefined for a subject outside the layout. */
export function clusterOfUsageSubject(subject: string): string | undefined {
  const prefix = `${USAGE_SUBJECT_PREFIX}.`;
  if (!subject.startsWith(prefix)) return undefined;
  const token = subject.slice(prefix.length);
  if (token === '' || token.includes('.')) return undefined;
  try {
    return unescapeKeyToken(token);
  } catch {
    return undefined;
  }
}

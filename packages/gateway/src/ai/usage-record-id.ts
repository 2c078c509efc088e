import { randomBytes } from 'node:crypto';

/*
 * The id of a usage record is also its JetStream de-duplication key and the control plane's
 * primary key, so it must be unique per call even when clients reuse an `x-request-id` (which
 * would otherwise make a second call's record a "duplicate" and undercount usage). It keeps the
 * request id as a prefix for correlation and adds a process-unique suffix.
 */
const processTag = randomBytes(6).toString('hex');
let sequence = 0;

export function usageRecordId(requestId: string): string {
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
  return `${requestId}~${processTag}${sequence.toString(36)}`;
}

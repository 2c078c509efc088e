import type { AIRule } from '../ai/ai-rule.js';
import { buildUsageRecord } from '../ai/build-usage-record.js';
import { usageRecordId } from '../ai/usage-record-id.js';
import { Replies } from '../runtime/error-reply.js';
import type { ErrorReply } from '../runtime/error-reply.js';

/** Why admission refused a request (the `Admission` values other than Admitted). */
export type AdmissionRejection = 1 | 2 | 3 | 4;

/** The reply the runtime sends for each rejection, by `Admission` value (index 0 unused). */
const REPLIES: readonly (ErrorReply | null)[] = Object.freeze([
  null,
  Replies.keyMissing,
  Replies.keyInvalid,
  Replies.routeForbidden,
  Replies.rateLimited,
]);

/** Endpoints that produce a usage record when admitted (`/v1/models` and count_tokens do not). */
const USAGE_SUFFIXES: readonly string[] = Object.freeze(['/chat/completions', '/embeddings', '/messages']);

/** What the rejection recorder reads from the request exchange. */
export interface RejectedRequest {
  readonly method: string;
  readonly requestId: string;
  readonly req?: { readonly url?: string | undefined };
  readonly consumer: { readonly id: string } | null;
}

/**
 * Records the usage record of an AI request that admission refused (401 missing or invalid key,
 * 403 route not allowed, 429 rate limited), so that every AI request leaves exactly one record
 * (docs/design/usage-pipeline.md): status and error code of the reply, the route, the consumer
 * when the key identified one, no model (the body is never read for a refused request), no
 * target, zero tokens and zero cost. Only for the endpoints that record usage when admitted
 * (chat completions, messages, embeddings, POST); `/v1/models` and count_tokens record nothing
 * either way. The path is judged by its ending, as the rule's prefix is not known here.
 */
export function recordAdmissionRejection(
  ai: AIRule,
  request: RejectedRequest,
  rejection: AdmissionRejection,
): void {
  if (request.method !== 'POST' || !recordsUsage(request.req?.url ?? '/')) return;
  const reply = REPLIES[rejection];
  if (reply === null || reply === undefined) return;
  const now = Date.now();
  try {
    ai.router.ai.usageSink.record(
      buildUsageRecord({
        requestId: usageRecordId(request.requestId),
        startedAtUnixMs: now,
        finishedAtUnixMs: now,
        consumer: request.consumer === null ? null : request.consumer.id,
        route: ai.routeId,
        model: '',
        target: null,
        usage: null,
        cost: null,
        latencyMs: 0,
        timeToFirstTokenMs: null,
        statusCode: reply.status,
        errorCode: reply.code,
        stream: false,
        aborted: false,
      }),
    );
  } catch {
    // A sink must not throw (UsageSink contract); a faulty one must not break the request path.
  }
}

function recordsUsage(url: string): boolean {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  for (const suffix of USAGE_SUFFIXES) if (path.endsWith(suffix)) return true;
  return false;
}

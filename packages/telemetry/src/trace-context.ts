import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, Span, TextMapGetter, Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/*
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for the request path, without a
 * global propagator or context manager: the gateway passes spans explicitly.
 */

const propagator = new W3CTraceContextPropagator();

type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

const getter: TextMapGetter<HeaderBag> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** Starts a SERVER span, child of the caller's `traceparent` when it sent a valid one. */
export function startServerSpan(
  tracer: Tracer,
  name: string,
  headers: HeaderBag,
  attributes: Attributes,
): Span {
  const parent =
    headers['traceparent'] === undefined ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, headers, getter);
  return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
}

/** Starts a CLIENT span (one upstream attempt) under `parent`. */
export function startClientSpan(tracer: Tracer, name: string, parent: Span, attributes: Attributes): Span {
  return tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, trace.setSpan(ROOT_CONTEXT, parent));
}

/** The `traceparent` header value that makes the upstream's spans children of `span`. */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

/**
 * Trace ids for every request's logs and problem details. With OpenTelemetry running they come
 * from the active span (the logger's mixin adds them); without it (no OTLP endpoint: the
 * instrumentation would cost ~40 % of the CPU of a cached read for spans nobody receives) they
 * come from the caller's W3C `traceparent`, or fresh random ids, so logs still correlate.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { trace } from '@opentelemetry/api';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    traceId: string | undefined;
  }
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const TRACE_ID = Symbol('collab-docs.traceId');
type TracedMessage = IncomingMessage & { [TRACE_ID]?: string };

export function traceIdFromHeader(traceparent: string | string[] | undefined): string | undefined {
  const match = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  return match?.[1] && match[1] !== INVALID_TRACE_ID ? match[1] : undefined;
}

/** A random trace id; randomUUID is ~10× cheaper than randomBytes for this size. */
const randomTraceId = () => randomUUID().replaceAll('-', '');

/**
 * Span ids only need to be unique within their trace (W3C Trace Context §3.2.2.4), and each of
 * these traces has one span here: a per-process random prefix and a counter, instead of a second
 * random id on every request.
 */
const SPAN_PREFIX = randomUUID().slice(0, 8);
let spanCounter = 0;
const nextSpanId = () => {
  spanCounter = (spanCounter + 1) >>> 0;
  return SPAN_PREFIX + spanCounter.toString(16).padStart(8, '0');
};

/**
 * Fastify's per-request child logger, with trace ids bound in the same child (one child per
 * request, not two) when no span is active.
 */
export function childLoggerWithTrace(
  logger: FastifyBaseLogger,
  bindings: Record<string, unknown>,
  opts: object,
  raw: IncomingMessage,
): FastifyBaseLogger {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && trace.isSpanContextValid(active)) {
    (raw as TracedMessage)[TRACE_ID] = active.traceId;
    return logger.child(bindings, opts);
  }
  const traceId = traceIdFromHeader(raw.headers.traceparent) ?? randomTraceId();
  (raw as TracedMessage)[TRACE_ID] = traceId;
  return logger.child({ ...bindings, trace_id: traceId, span_id: nextSpanId() }, opts);
}

export function bindTraceContext(request: FastifyRequest): void {
  request.traceId = (request.raw as TracedMessage)[TRACE_ID];
}

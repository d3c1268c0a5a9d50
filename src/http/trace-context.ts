/**
 * Trace ids for every request's logs and problem details. With OpenTelemetry running they come
 * from the active span; without it (no OTLP endpoint: the instrumentation would cost ~40 % of
 * the CPU of a cached read for spans nobody receives) they come from the caller's W3C
 * `traceparent`, or fresh random ids, so logs still correlate across services.
 */
import { randomBytes } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    traceId: string | undefined;
  }
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;
const INVALID_TRACE_ID = '0'.repeat(32);

export function traceIdFromHeader(traceparent: string | string[] | undefined): string | undefined {
  const match = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  return match?.[1] && match[1] !== INVALID_TRACE_ID ? match[1] : undefined;
}

export function bindTraceContext(request: FastifyRequest): void {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && trace.isSpanContextValid(active)) {
    // The logger's mixin already adds the active span's ids.
    request.traceId = active.traceId;
    return;
  }
  const traceId = traceIdFromHeader(request.headers.traceparent) ?? randomBytes(16).toString('hex');
  request.traceId = traceId;
  request.log = request.log.child({ trace_id: traceId, span_id: randomBytes(8).toString('hex') });
}

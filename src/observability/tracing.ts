/** Starts the OpenTelemetry SDK (W3C propagation, auto-instrumentation, tail sampling, OTLP export) and opens application spans. */
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Instrumentation, InstrumentationBase } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import { SENSITIVE_QUERY_PARAMS } from './logger.ts';
import { HeadOrRecordSampler, TailSamplingSpanProcessor, type TailSamplingStats } from './tail-sampler.ts';

export type TracingOptions = {
  serviceName: string;
  /** OTLP/HTTP base endpoint (as OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<endpoint>/v1/traces`. */
  otlpEndpoint?: string;
  /** Share of traces kept whatever happens (head sampling), 0..1. */
  sampleRatio: number;
  /** Traces whose local root lasts at least this long are kept. */
  slowMs: number;
  /** Export here instead of OTLP (tests and tools); takes precedence over `otlpEndpoint`. */
  spanExporter?: SpanExporter;
};

export type Tracing = {
  /** Flushes what is queued for export, then stops the SDK. */
  shutdown(): Promise<void>;
  /**
   * Already attached to every Fastify instance created after `startTracing` through Fastify's
   * `fastify.initialization` diagnostics channel (`registerOnInitialization`), which needs no
   * module patching and so works under ESM: do NOT also `app.register(fastifyOtel.plugin())`.
   * Undefined when nothing is exported, since its per-hook spans would only cost time.
   */
  fastifyOtel: FastifyOtelInstrumentation | undefined;
  /** Modules the instrumentations patch: the only ones the ESM loader hook needs to intercept. */
  instrumentedModules: string[];
  /** Tail-sampling counters (kept, dropped, evicted) for a metrics collector; undefined when nothing is exported. */
  samplingStats(): TailSamplingStats | undefined;
};

/** Probes and scrapes: frequent, uninteresting, and they would crowd out real traces. */
export const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/livez', '/readyz', '/metrics']);

/** Signed-URL parameters (the HTTP instrumentation's own defaults, which setting a list replaces). */
const SIGNED_URL_QUERY_PARAMS = [
  'sig',
  'Signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
];
const REDACTED_QUERY_PARAMS = [...SIGNED_URL_QUERY_PARAMS, ...SENSITIVE_QUERY_PARAMS];

const APP_TRACER = 'collab-docs';

/** Call once per process, before the application modules that the instrumentations patch are imported. */
export function startTracing(opts: TracingOptions): Tracing {
  const exporter = opts.spanExporter ?? (opts.otlpEndpoint ? otlpExporter(opts.otlpEndpoint) : undefined);
  const fastifyOtel = exporter
    ? new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (route) => UNTRACED_PATHS.has(pathOf(route.url)),
        // The plugin puts the raw URL, query string included (`?token=`), in url.path.
        requestHook: (span, request) => span.setAttribute(ATTR_URL_PATH, pathOf(request.url)),
      })
    : undefined;
  // @fastify/otel patches no module: it hooks Fastify's diagnostics channel.
  const patching: InstrumentationBase[] = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has(pathOf(req.url ?? '')),
      redactedQueryParams: REDACTED_QUERY_PARAMS,
      redactedQueryParamsServer: REDACTED_QUERY_PARAMS,
    }),
    new PgInstrumentation(),
    new IORedisInstrumentation(),
  ];
  const instrumentations: Instrumentation[] = fastifyOtel ? [...patching, fastifyOtel] : patching;

  const tail = exporter
    ? new TailSamplingSpanProcessor(new BatchSpanProcessor(exporter), { slowMs: opts.slowMs })
    : undefined;
  // No exporter: roots are not recorded at all. The SDK still mints trace and span ids (so logs
  // correlate) and passes an upstream's sampled flag on, but allocates no span data.
  const sampler = tail
    ? new HeadOrRecordSampler(opts.sampleRatio)
    : new ParentBasedSampler({ root: new AlwaysOffSampler() });
  const sdk = new NodeSDK({
    serviceName: opts.serviceName,
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    instrumentations,
    sampler,
    spanProcessors: [tail ?? new NoopSpanProcessor()],
    // Without these the SDK would start default OTLP metric and log exporters from the environment;
    // metrics are Prometheus (metrics.ts) and logs are pino on stdout.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();

  const instrumentedModules = [
    ...new Set(patching.flatMap((i) => i.getModuleDefinitions().map((definition) => definition.name))),
  ];
  return { shutdown: () => sdk.shutdown(), fastifyOtel, instrumentedModules, samplingStats: () => tail?.stats() };
}

function otlpExporter(endpoint: string): OTLPTraceExporter {
  const base = endpoint.replace(/\/+$/, '');
  return new OTLPTraceExporter({ url: base.endsWith('/v1/traces') ? base : `${base}/v1/traces` });
}

function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * Runs `fn` inside a new active application span; a throw is recorded on the span, marks it
 * ERROR (so the tail sampler keeps the trace) and propagates.
 */
export async function withSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: (span: Span) => Promise<T>,
  opts: { root?: boolean } = {},
): Promise<T> {
  // `root`: work started by a timer (a batch, a compaction) is its own trace, not a late child of
  // whichever request happened to schedule it.
  return trace.getTracer(APP_TRACER).startActiveSpan(name, { attributes, root: opts.root }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

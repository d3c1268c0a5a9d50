/** Specifies which traces the head sampler and the tail processor keep, and how the buffer stays bounded. */
import {
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SamplingDecision,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { HeadOrRecordSampler, type TailSamplingOptions, TailSamplingSpanProcessor } from './tail-sampler.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (ms: number) => new Date(T0 + ms);

type Harness = { tracer: Tracer; exporter: InMemorySpanExporter; tail: TailSamplingSpanProcessor };
const providers: BasicTracerProvider[] = [];

function harness(sampleRatio: number, opts: TailSamplingOptions = {}): Harness {
  const exporter = new InMemorySpanExporter();
  // The real downstream: SimpleSpanProcessor skips spans not flagged SAMPLED.
  const tail = new TailSamplingSpanProcessor(new SimpleSpanProcessor(exporter), { slowMs: 500, ...opts });
  const provider = new BasicTracerProvider({ sampler: new HeadOrRecordSampler(sampleRatio), spanProcessors: [tail] });
  providers.push(provider);
  return { tracer: provider.getTracer('test'), exporter, tail };
}

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
});

function child(tracer: Tracer, parent: Span, name: string, startMs = 1): Span {
  return tracer.startSpan(name, { startTime: at(startMs) }, trace.setSpan(ROOT_CONTEXT, parent));
}

/** A request-shaped trace: root → handler → query, each ending in order; `rootMs` is the root's duration. */
function request(tracer: Tracer, opts: { rootMs: number; failing?: 'query' | 'root'; parent?: SpanContext }) {
  const parentContext = opts.parent ? trace.setSpanContext(ROOT_CONTEXT, opts.parent) : ROOT_CONTEXT;
  const root = tracer.startSpan('GET /docs', { kind: SpanKind.SERVER, startTime: at(0) }, parentContext);
  const handler = child(tracer, root, 'handler');
  const query = child(tracer, handler, 'pg.query');
  if (opts.failing === 'query') query.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  query.end(at(3));
  handler.end(at(4));
  if (opts.failing === 'root') root.setStatus({ code: SpanStatusCode.ERROR });
  root.end(at(opts.rootMs));
  return root;
}

const names = (exporter: InMemorySpanExporter) => exporter.getFinishedSpans().map((s) => s.name);

describe('HeadOrRecordSampler', () => {
  const sample = (ratio: number, parent?: SpanContext) => {
    const ctx = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    const traceId = parent?.traceId ?? 'f'.repeat(32);
    return new HeadOrRecordSampler(ratio).shouldSample(ctx, traceId, 'span', SpanKind.SERVER, {}, []).decision;
  };
  const remote = (traceFlags: number): SpanContext => ({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags,
    isRemote: true,
  });

  it('samples a root span when the trace id falls inside the ratio', () => {
    expect(sample(1)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('records without sampling a root span outside the ratio', () => {
    expect(sample(0)).toBe(SamplingDecision.RECORD);
  });

  it('samples whatever a sampled remote parent sampled, whatever the ratio', () => {
    expect(sample(0, remote(TraceFlags.SAMPLED))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('records without sampling under an unsampled remote parent, leaving the tail decision open', () => {
    expect(sample(1, remote(TraceFlags.NONE))).toBe(SamplingDecision.RECORD);
  });
});

describe('TailSamplingSpanProcessor', () => {
  it('forwards head-sampled spans as they end, without waiting for the root', () => {
    const { tracer, exporter } = harness(1);
    const root = tracer.startSpan('root', { startTime: at(0) });
    child(tracer, root, 'child').end(at(2));
    expect(names(exporter)).toEqual(['child']);
    root.end(at(3));
    expect(names(exporter)).toEqual(['child', 'root']);
  });

  it('drops a fast trace with no error that the head sampler skipped', () => {
    const { tracer, exporter, tail } = harness(0);
    request(tracer, { rootMs: 20 });
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(tail.stats()).toMatchObject({ droppedTraces: 1, keptTraces: 0, pendingTraces: 0 });
  });

  it('keeps every span of a trace in which any span has status ERROR', () => {
    const { tracer, exporter, tail } = harness(0);
    const root = request(tracer, { rootMs: 20, failing: 'query' });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual(['GET /docs', 'handler', 'pg.query']);
    for (const span of spans) {
      expect(span.spanContext().traceId).toBe(root.spanContext().traceId);
      expect(span.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(TraceFlags.SAMPLED);
    }
    expect(spans.find((s) => s.name === 'pg.query')?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
    expect(tail.stats()).toMatchObject({ keptTraces: 1, droppedTraces: 0 });
  });

  it('keeps a trace whose root span itself failed', () => {
    const { tracer, exporter } = harness(0);
    request(tracer, { rootMs: 20, failing: 'root' });
    expect(exporter.getFinishedSpans()).toHaveLength(3);
  });

  it('keeps a trace whose local root took at least slowMs, and drops one just under it', () => {
    const { tracer, exporter } = harness(0, { slowMs: 500 });
    request(tracer, { rootMs: 499 });
    expect(exporter.getFinishedSpans()).toEqual([]);
    request(tracer, { rootMs: 500 });
    expect(names(exporter).sort()).toEqual(['GET /docs', 'handler', 'pg.query']);
  });

  it('decides at the local root when the parent is remote and unsampled', () => {
    const { tracer, exporter } = harness(1);
    const parent = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: TraceFlags.NONE, isRemote: true };
    request(tracer, { rootMs: 10, parent });
    expect(exporter.getFinishedSpans()).toEqual([]);
    request(tracer, { rootMs: 10, parent, failing: 'query' });
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(3);
    expect(spans.every((s) => s.spanContext().traceId === parent.traceId)).toBe(true);
    expect(spans.find((s) => s.name === 'GET /docs')?.parentSpanContext?.spanId).toBe(parent.spanId);
  });

  it('decides each local root of a shared trace on its own', () => {
    const { tracer, exporter } = harness(0);
    const parent = { traceId: 'ef'.repeat(16), spanId: '12'.repeat(8), traceFlags: TraceFlags.NONE, isRemote: true };
    const ctx = trace.setSpanContext(ROOT_CONTEXT, parent);
    const fast = tracer.startSpan('fast', { startTime: at(0) }, ctx);
    const failing = tracer.startSpan('failing', { startTime: at(0) }, ctx);
    child(tracer, fast, 'fast.child').end(at(2));
    const failingChild = child(tracer, failing, 'failing.child');
    failingChild.setStatus({ code: SpanStatusCode.ERROR });
    failingChild.end(at(2));
    fast.end(at(5));
    failing.end(at(5));
    expect(names(exporter).sort()).toEqual(['failing', 'failing.child']);
  });

  it('lets a child that ends after its root follow the decision already taken', () => {
    const { tracer, exporter } = harness(0);
    const kept = tracer.startSpan('kept', { startTime: at(0) });
    const lateKept = child(tracer, kept, 'late-kept');
    kept.setStatus({ code: SpanStatusCode.ERROR });
    kept.end(at(5));
    const dropped = tracer.startSpan('dropped', { startTime: at(0) });
    const lateDropped = child(tracer, dropped, 'late-dropped');
    dropped.end(at(5));
    lateKept.end(at(9));
    lateDropped.end(at(9));
    expect(names(exporter)).toEqual(['kept', 'late-kept']);
  });

  it('evicts the oldest undecided trace beyond maxTraces and counts its spans as dropped', () => {
    const { tracer, exporter, tail } = harness(0, { maxTraces: 2 });
    const roots = ['a', 'b', 'c'].map((name) => {
      const root = tracer.startSpan(name, { startTime: at(0) });
      child(tracer, root, `${name}.1`).end(at(1));
      child(tracer, root, `${name}.2`).end(at(1));
      return root;
    });
    expect(tail.stats()).toMatchObject({ pendingTraces: 2, evictedTraces: 1, droppedSpans: 2 });
    for (const root of roots) {
      root.setStatus({ code: SpanStatusCode.ERROR });
      root.end(at(2));
    }
    // "a" was evicted before its root ended, so only the root itself survives.
    expect(names(exporter)).toEqual(['a', 'b.1', 'b.2', 'b', 'c.1', 'c.2', 'c']);
    expect(tail.stats().pendingTraces).toBe(0);
  });

  it('buffers at most maxSpansPerTrace children but always keeps the root', () => {
    const { tracer, exporter, tail } = harness(0, { maxSpansPerTrace: 3 });
    const root = tracer.startSpan('root', { startTime: at(0) });
    for (let i = 0; i < 5; i++) child(tracer, root, `child-${i}`).end(at(1));
    root.setStatus({ code: SpanStatusCode.ERROR });
    root.end(at(2));
    expect(names(exporter)).toEqual(['child-0', 'child-1', 'child-2', 'root']);
    expect(tail.stats().droppedSpans).toBe(2);
  });

  it('still keeps a trace whose failing span came after the per-trace limit', () => {
    const { tracer, exporter } = harness(0, { maxSpansPerTrace: 1 });
    const root = tracer.startSpan('root', { startTime: at(0) });
    child(tracer, root, 'ok').end(at(1));
    const failing = child(tracer, root, 'failing');
    failing.setStatus({ code: SpanStatusCode.ERROR });
    failing.end(at(1));
    root.end(at(2));
    expect(names(exporter)).toEqual(['ok', 'root']);
  });

  it('drops what is still buffered on shutdown and shuts the downstream down', async () => {
    const { tracer, exporter, tail } = harness(0);
    const root = tracer.startSpan('root', { startTime: at(0) });
    child(tracer, root, 'child').end(at(1));
    await tail.shutdown();
    expect(tail.stats().pendingTraces).toBe(0);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

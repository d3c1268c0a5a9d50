/** In-process tail sampling: keep a head-sampled share of traces plus every trace that failed or was slow. */
import {
  type Attributes,
  type Context,
  type Link,
  type SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import {
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  type Span,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';

export const DEFAULT_SAMPLE_RATIO = 0.01;
export const DEFAULT_SLOW_MS = 500;
export const DEFAULT_MAX_TRACES = 10_000;
export const DEFAULT_MAX_SPANS_PER_TRACE = 500;

/**
 * Head sampling by trace id (ParentBased: a sampled parent, local or remote, keeps its children
 * sampled) that records every span it does not sample, so the tail processor can still keep it.
 */
export class HeadOrRecordSampler implements Sampler {
  private readonly head: Sampler;

  constructor(ratio: number = DEFAULT_SAMPLE_RATIO) {
    this.head = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const result = this.head.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    return result.decision === SamplingDecision.NOT_RECORD ? { ...result, decision: SamplingDecision.RECORD } : result;
  }

  toString(): string {
    return `HeadOrRecord{${this.head.toString()}}`;
  }
}

export type TailSamplingOptions = {
  /** A local root span at least this long keeps its trace. */
  slowMs?: number;
  /** Local traces awaiting a decision; the oldest is dropped beyond this. */
  maxTraces?: number;
  /** Spans buffered per local trace; later ones are dropped (the root is always kept). */
  maxSpansPerTrace?: number;
};

type TailSamplingCounters = {
  /** Local traces forwarded because they failed or were slow. */
  keptTraces: number;
  /** Local traces discarded because they were fast and healthy. */
  droppedTraces: number;
  /** Local traces discarded undecided to stay under `maxTraces`. */
  evictedTraces: number;
  /** Spans lost to eviction or to `maxSpansPerTrace`. */
  droppedSpans: number;
};

export type TailSamplingStats = TailSamplingCounters & {
  /** Local traces currently buffered, awaiting their root. */
  pendingTraces: number;
};

type PendingTrace = { spans: ReadableSpan[]; error: boolean };

/**
 * Forwards sampled spans to `downstream` at once and holds the unsampled ones per local trace
 * (the spans under one local root: a span with no parent or a remote parent) until that root
 * ends; then forwards them all if any had status ERROR or the root took `slowMs` or more.
 *
 * Forwarded unsampled spans are presented as SAMPLED because the SDK's Batch and Simple span
 * processors silently skip spans whose trace flags lack the sampled bit. `onStart` reaches the
 * downstream only for head-sampled spans, since the others may yet be dropped.
 */
export class TailSamplingSpanProcessor implements SpanProcessor {
  private readonly downstream: SpanProcessor;
  private readonly slowMs: number;
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;
  /** Insertion-ordered, so the first key is the oldest trace. */
  private readonly pending = new Map<string, PendingTrace>();
  /** Decisions already taken, for children that end after their local root. */
  private readonly decided = new Map<string, boolean>();
  private readonly localRootOf = new WeakMap<object, string>();
  private readonly counters: TailSamplingCounters = {
    keptTraces: 0,
    droppedTraces: 0,
    evictedTraces: 0,
    droppedSpans: 0,
  };

  constructor(downstream: SpanProcessor, opts: TailSamplingOptions = {}) {
    this.downstream = downstream;
    this.slowMs = opts.slowMs ?? DEFAULT_SLOW_MS;
    this.maxTraces = opts.maxTraces ?? DEFAULT_MAX_TRACES;
    this.maxSpansPerTrace = opts.maxSpansPerTrace ?? DEFAULT_MAX_SPANS_PER_TRACE;
  }

  stats(): TailSamplingStats {
    return { ...this.counters, pendingTraces: this.pending.size };
  }

  onStart(span: Span, parentContext: Context): void {
    if (isSampled(span)) {
      this.downstream.onStart(span, parentContext);
      return;
    }
    const parent = span.parentSpanContext;
    let localRoot = span.spanContext().spanId;
    if (parent && !parent.isRemote) {
      const parentSpan = trace.getSpan(parentContext);
      localRoot = (parentSpan && this.localRootOf.get(parentSpan)) ?? parent.spanId;
    }
    this.localRootOf.set(span, localRoot);
  }

  onEnd(span: ReadableSpan): void {
    if (isSampled(span)) {
      this.downstream.onEnd(span);
      return;
    }
    const { traceId, spanId } = span.spanContext();
    const key = `${traceId}/${this.localRootOf.get(span) ?? spanId}`;
    const decision = this.decided.get(key);
    if (decision !== undefined) {
      if (decision) this.downstream.onEnd(asSampled(span));
      return;
    }

    const isLocalRoot = !span.parentSpanContext || span.parentSpanContext.isRemote === true;
    const failed = span.status.code === SpanStatusCode.ERROR;
    if (!isLocalRoot) {
      const entry = this.pending.get(key) ?? this.track(key);
      entry.error ||= failed;
      if (entry.spans.length < this.maxSpansPerTrace) entry.spans.push(span);
      else this.counters.droppedSpans++;
      return;
    }

    const entry = this.pending.get(key);
    this.pending.delete(key);
    const keep = failed || entry?.error === true || durationMs(span) >= this.slowMs;
    this.remember(key, keep);
    if (!keep) {
      this.counters.droppedTraces++;
      return;
    }
    this.counters.keptTraces++;
    for (const buffered of entry?.spans ?? []) this.downstream.onEnd(asSampled(buffered));
    this.downstream.onEnd(asSampled(span));
  }

  forceFlush(): Promise<void> {
    return this.downstream.forceFlush();
  }

  shutdown(): Promise<void> {
    this.pending.clear();
    this.decided.clear();
    return this.downstream.shutdown();
  }

  private track(key: string): PendingTrace {
    if (this.pending.size >= this.maxTraces) {
      const [oldestKey, oldest] = this.pending.entries().next().value as [string, PendingTrace];
      this.pending.delete(oldestKey);
      this.counters.evictedTraces++;
      this.counters.droppedSpans += oldest.spans.length;
    }
    const entry: PendingTrace = { spans: [], error: false };
    this.pending.set(key, entry);
    return entry;
  }

  private remember(key: string, keep: boolean): void {
    if (this.decided.size >= this.maxTraces) {
      const oldestKey = this.decided.keys().next().value as string;
      this.decided.delete(oldestKey);
    }
    this.decided.set(key, keep);
  }
}

function isSampled(span: { spanContext(): { traceFlags: number } }): boolean {
  return (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}

function durationMs(span: ReadableSpan): number {
  const [seconds, nanos] = span.duration;
  return seconds * 1_000 + nanos / 1_000_000;
}

/** An ended span whose context reports SAMPLED, so downstream processors and exporters accept it. */
function asSampled(span: ReadableSpan): ReadableSpan {
  const original = span.spanContext();
  const spanContext = { ...original, traceFlags: original.traceFlags | TraceFlags.SAMPLED };
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => spanContext,
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: span.attributes,
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

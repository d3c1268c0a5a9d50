/**
 * Metrics of the export renderers: render time by format, path (worker pool or external
 * service) and outcome; the pool's queue and utilization; the external breaker's call counts.
 * The breaker's state gauge is ExportMetrics' (export_renderer_breaker_state). It fits the
 * renderer's RenderObserver port structurally and reads the renderer through RenderSource below;
 * observability imports no subsystem.
 */
import client from 'prom-client';

const RENDER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const BREAKER_RESULTS = ['successes', 'failures', 'timeouts', 'rejections'] as const;

/** One finished render, as the renderer reports it. */
export type RenderSample = { format: string; via: string; outcome: string; durationMs: number; bytes: number };

/** What the gauges read from the renderer at scrape time. */
export type RenderSource = {
  poolStats(): { queued: number; utilization: number };
  breakerCounts(): Record<(typeof BREAKER_RESULTS)[number], number> | undefined;
};

export class RenderMetrics {
  private readonly duration: client.Histogram<'format' | 'via' | 'outcome'>;
  private readonly outputBytes: client.Counter<'format'>;
  private source: RenderSource | undefined;

  constructor(registry: client.Registry) {
    const registers = [registry];
    const metrics = this;
    this.duration = new client.Histogram({
      name: 'export_render_duration_seconds',
      help: 'Time to render one export file, by format, path (pool or external) and outcome',
      labelNames: ['format', 'via', 'outcome'],
      buckets: RENDER_BUCKETS,
      registers,
    });
    this.outputBytes = new client.Counter({
      name: 'export_render_output_bytes_total',
      help: 'Bytes of rendered export files, by format',
      labelNames: ['format'],
      registers,
    });
    new client.Gauge({
      name: 'export_render_pool_queued',
      help: 'Renders waiting for a worker thread in this process',
      registers,
      collect() {
        if (metrics.source) this.set(metrics.source.poolStats().queued);
      },
    });
    new client.Gauge({
      name: 'export_render_pool_utilization_ratio',
      help: 'Share of the render threads busy since they started (0-1)',
      registers,
      collect() {
        if (metrics.source) this.set(metrics.source.poolStats().utilization);
      },
    });
    const reported = { successes: 0, failures: 0, timeouts: 0, rejections: 0 };
    new client.Counter({
      name: 'export_renderer_breaker_calls_total',
      help: 'External renderer calls by result (successes, failures, timeouts, rejections while open)',
      labelNames: ['result'],
      registers,
      collect() {
        const counts = metrics.source?.breakerCounts();
        if (counts === undefined) return;
        // The breaker keeps running totals; the counter advances by what happened since the last scrape.
        for (const result of BREAKER_RESULTS) {
          this.inc({ result }, counts[result] - reported[result]);
          reported[result] = counts[result];
        }
      },
    });
  }

  /** The renderer whose pool and breaker the gauges read at scrape time. */
  watch(renderer: RenderSource): void {
    this.source = renderer;
  }

  rendered(event: RenderSample): void {
    this.duration.observe({ format: event.format, via: event.via, outcome: event.outcome }, event.durationMs / 1000);
    if (event.bytes > 0) this.outputBytes.inc({ format: event.format }, event.bytes);
  }
}

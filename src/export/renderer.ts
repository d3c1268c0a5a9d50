/**
 * The export pipeline's Renderer: every format is rendered in the worker-thread pool; a PDF goes
 * to the external HTML → PDF service instead when one is configured (its HTML still rendered in
 * the pool first). Each render gets a span, a log line and an observer call (metrics).
 */
import { withSpan } from '../observability/tracing.ts';
import {
  type BreakerCounts,
  type BreakerOptions,
  type BreakerState,
  ExternalPdfRenderer,
} from './external-renderer.ts';
import { type ExportFormat, RenderError, type RenderedFile, type Renderer, type RenderInput } from './ports.ts';
import { FILE_TYPES } from './render/render-file.ts';
import { RenderPool, type RenderPoolStats } from './render-pool.ts';

export type RenderVia = 'pool' | 'external';
export type RenderOutcome = 'ok' | 'retryable' | 'permanent';

export type RenderEvent = {
  format: ExportFormat;
  via: RenderVia;
  outcome: RenderOutcome;
  durationMs: number;
  bytes: number;
};

/** Hears about every render (RenderMetrics implements it). */
export interface RenderObserver {
  rendered(event: RenderEvent): void;
}

export type RenderLogger = {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
};

export type CreateRendererOptions = {
  /** Worker threads rendering at once. */
  threads: number;
  /** Longest one render may take in a worker thread. */
  taskTimeoutMs: number;
  /** Base URL of a Gotenberg-style HTML → PDF service; PDFs go there when set. */
  externalPdfUrl?: string;
  breaker?: Partial<BreakerOptions>;
  onBreakerStateChange?: (state: BreakerState) => void;
  logger?: RenderLogger;
  observer?: RenderObserver;
  /** Renders waiting for a thread beyond which a render fails fast (retryable). */
  maxQueue?: number;
  maxWorkerHeapMb?: number;
};

export type ExportRenderer = Renderer & {
  /** The external renderer's breaker, or 'none' when PDFs are rendered in the pool. */
  breakerState(): BreakerState | 'none';
  breakerCounts(): BreakerCounts | undefined;
  poolStats(): RenderPoolStats;
};

export function createRenderer(options: CreateRendererOptions): ExportRenderer {
  // The service first: a bad URL or breaker setting throws before any thread is started.
  const external =
    options.externalPdfUrl === undefined || options.externalPdfUrl === ''
      ? undefined
      : new ExternalPdfRenderer({
          url: options.externalPdfUrl,
          breaker: options.breaker,
          onStateChange: options.onBreakerStateChange,
          logger: options.logger,
        });
  let pool: RenderPool;
  try {
    pool = new RenderPool({
      threads: options.threads,
      taskTimeoutMs: options.taskTimeoutMs,
      maxQueue: options.maxQueue,
      maxWorkerHeapMb: options.maxWorkerHeapMb,
      onWorkerError: (err) => options.logger?.warn({ err }, 'render worker failed between tasks; replaced'),
    });
  } catch (err) {
    external?.close();
    throw err;
  }

  async function renderExternally(input: RenderInput, signal: AbortSignal | undefined): Promise<RenderedFile> {
    const html = await pool.run({ ...input, format: 'html', forPrint: true }, signal);
    const bytes = await external!.convert(html.file.bytes, signal);
    return { ...FILE_TYPES.pdf, bytes };
  }

  async function render(input: RenderInput, signal?: AbortSignal): Promise<RenderedFile> {
    const via: RenderVia = input.format === 'pdf' && external !== undefined ? 'external' : 'pool';
    const started = performance.now();
    return withSpan('export.render.file', { 'export.format': input.format, 'export.via': via }, async (span) => {
      let outcome: RenderOutcome = 'ok';
      let bytes = 0;
      let error: string | undefined;
      try {
        const file = via === 'external' ? await renderExternally(input, signal) : await pool.render(input, signal);
        bytes = file.bytes.byteLength;
        span.setAttribute('export.bytes', bytes);
        return file;
      } catch (err) {
        outcome = err instanceof RenderError && !err.retryable ? 'permanent' : 'retryable';
        error = err instanceof Error ? err.message : String(err);
        throw err;
      } finally {
        const durationMs = performance.now() - started;
        const event: RenderEvent = { format: input.format, via, outcome, durationMs, bytes };
        options.observer?.rendered(event);
        if (outcome === 'ok') options.logger?.debug(event, 'export rendered');
        else options.logger?.warn({ ...event, error }, 'export render failed');
      }
    });
  }

  return {
    render,
    breakerState: () => external?.state() ?? 'none',
    breakerCounts: () => external?.counts(),
    poolStats: () => pool.stats(),
    async close() {
      external?.close();
      await pool.close();
    },
  };
}

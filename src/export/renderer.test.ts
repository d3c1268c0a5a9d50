import client from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { RenderMetrics } from '../observability/render-metrics.ts';
import type { BreakerState } from './external-renderer.ts';
import { EXPORT_FORMATS, RenderError } from './ports.ts';
import { FakePdfService } from './render/test-support/fake-pdf-service.ts';
import { readPdf } from './render/test-support/pdf-reader.ts';
import { doc, paragraph, richDocument, text } from './render/test-support/sample-documents.ts';
import { createRenderer, type ExportRenderer, type RenderEvent } from './renderer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(options: { externalPdfUrl?: string } = {}) {
  const events: RenderEvent[] = [];
  const states: BreakerState[] = [];
  const logs: { level: string; msg: string; obj: object }[] = [];
  const log = (level: string) => (obj: object, msg: string) => logs.push({ level, msg, obj });
  const registry = new client.Registry();
  const metrics = new RenderMetrics(registry);
  const renderer: ExportRenderer = createRenderer({
    threads: 2,
    taskTimeoutMs: 10_000,
    externalPdfUrl: options.externalPdfUrl,
    breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000, callTimeoutMs: 2_000 },
    onBreakerStateChange: (state) => states.push(state),
    logger: { debug: log('debug'), info: log('info'), warn: log('warn') },
    observer: {
      rendered: (event) => {
        events.push(event);
        metrics.rendered(event);
      },
    },
  });
  metrics.watch(renderer);
  cleanups.push(() => renderer.close());
  return { renderer, events, states, logs, registry };
}

async function startService(): Promise<FakePdfService> {
  const service = new FakePdfService();
  await service.start();
  cleanups.push(async () => {
    service.release();
    await service.stop();
  });
  return service;
}

async function failure(promise: Promise<unknown>): Promise<RenderError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (err: unknown) => err,
  );
  if (!(error instanceof RenderError)) throw error;
  return error;
}

describe('createRenderer', () => {
  it('renders every format in the pool when no external service is configured', async () => {
    const { renderer, events, logs } = setup();
    const files = await Promise.all(
      EXPORT_FORMATS.map((format) => renderer.render({ format, title: 'Plan', content: richDocument() })),
    );
    expect(files.map((file) => file.extension)).toEqual(['pdf', 'docx', 'md', 'html']);
    expect(readPdf(files[0]!.bytes).title).toBe('Plan');
    expect(renderer.breakerState()).toBe('none');
    expect(renderer.breakerCounts()).toBeUndefined();
    expect(events.map(({ format, via, outcome }) => [format, via, outcome]).sort()).toEqual(
      [
        ['docx', 'pool', 'ok'],
        ['html', 'pool', 'ok'],
        ['markdown', 'pool', 'ok'],
        ['pdf', 'pool', 'ok'],
      ].sort(),
    );
    expect(events.every((event) => event.bytes > 0)).toBe(true);
    expect(logs.filter((line) => line.msg === 'export rendered')).toHaveLength(4);
  });

  it('reports a refused document as a permanent failure, logged and observed', async () => {
    const { renderer, events, logs } = setup();
    const error = await failure(renderer.render({ format: 'html', title: 'Bad', content: paragraph(text('x')) }));
    expect(error.retryable).toBe(false);
    expect(events).toMatchObject([{ format: 'html', via: 'pool', outcome: 'permanent', bytes: 0 }]);
    expect(logs).toMatchObject([
      {
        level: 'warn',
        msg: 'export render failed',
        obj: { error: 'document cannot be rendered: the root node is paragraph, not doc' },
      },
    ]);
  });

  it('sends PDFs to the external service as print HTML rendered in the pool; other formats stay local', async () => {
    const service = await startService();
    const { renderer, events } = setup({ externalPdfUrl: service.url });
    const pdf = await renderer.render({ format: 'pdf', title: 'Remote <plan>', content: richDocument() });
    expect(pdf.contentType).toBe('application/pdf');
    expect(readPdf(pdf.bytes).pageTexts[0]).toContain('converted');
    expect(service.received).toHaveLength(1);
    const sent = service.received[0]!.body;
    expect(sent).toContain('<title>Remote &lt;plan&gt;</title>');
    expect(sent).toContain('<h1>Quarterly plan</h1>');
    // Print HTML: images only inline, so the service's browser fetches nothing.
    expect(sent).toContain('img-src data:;');
    const docx = await renderer.render({ format: 'docx', title: 'Local', content: richDocument() });
    expect(docx.extension).toBe('docx');
    expect(service.received).toHaveLength(1);
    expect(events.map(({ format, via }) => [format, via])).toEqual([
      ['pdf', 'external'],
      ['docx', 'pool'],
    ]);
    expect(renderer.breakerState()).toBe('closed');
  });

  it('fails PDFs fast and retryably once the breaker opens, and exposes its state and counts', async () => {
    const service = await startService();
    const { renderer, states, events, registry } = setup({ externalPdfUrl: service.url });
    service.mode = 'fail';
    const content = doc(paragraph(text('x')));
    for (let i = 0; i < 2; i++) await failure(renderer.render({ format: 'pdf', title: 'T', content }));
    expect(renderer.breakerState()).toBe('open');
    expect(states).toEqual(['open']);
    const fast = await failure(renderer.render({ format: 'pdf', title: 'T', content }));
    expect(fast.message).toBe('renderer unavailable: circuit open');
    expect(fast.retryable).toBe(true);
    expect(service.received).toHaveLength(2);
    expect(events.map((event) => event.outcome)).toEqual(['retryable', 'retryable', 'retryable']);
    expect(renderer.breakerCounts()).toEqual({ successes: 0, failures: 2, timeouts: 0, rejections: 1 });
    const scraped = await registry.metrics();
    expect(scraped).toContain('export_renderer_breaker_calls_total{result="failures"} 2');
    expect(scraped).toContain('export_renderer_breaker_calls_total{result="rejections"} 1');
    expect(scraped).toContain(
      'export_render_duration_seconds_count{format="pdf",via="external",outcome="retryable"} 3',
    );
    // Markdown never needed the service.
    await renderer.render({ format: 'markdown', title: 'T', content });
    expect(await registry.metrics()).toContain(
      'export_render_duration_seconds_count{format="markdown",via="pool",outcome="ok"} 1',
    );
  });

  it('refuses bad settings at creation, before starting any thread', () => {
    expect(() => createRenderer({ threads: 0, taskTimeoutMs: 1_000 })).toThrow(
      'threads must be a positive integer, got 0',
    );
    expect(() => createRenderer({ threads: 1, taskTimeoutMs: 1_000, externalPdfUrl: 'ftp://renderer' })).toThrow(
      'external renderer URL must be http(s), got ftp:',
    );
  });

  it('refuses work after close', async () => {
    const { renderer } = setup();
    await renderer.close();
    const error = await failure(renderer.render({ format: 'markdown', title: 'T', content: doc() }));
    expect(error.message).toBe('render pool is closed');
  });
});

/**
 * `npx node bench/export-render.ts`: export rendering throughput and latency per format, through
 * the worker-thread pool and, as the peer, in-process on the main thread (what the pool costs or
 * buys, and how long each keeps the event loop blocked). The document is ~5,000 words with
 * headings, lists, quotes and code (about ten A4 pages). One JSON line per format and runner on
 * stdout; progress on stderr.
 *
 * Environment (all optional):
 *   BENCH_DURATION_S (5)     measured seconds per format and runner
 *   BENCH_WARMUP_S (1)       unmeasured seconds per format and runner
 *   BENCH_WORDS (5000)       size of the document
 *   BENCH_THREADS (min(4, cores))  pool threads
 *   BENCH_CONCURRENCY (2 × threads) renders in flight against the pool
 *   BENCH_FORMATS (all)      comma-separated subset of pdf,docx,markdown,html
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { toPlainText } from '../src/content/text.ts';
import { EXPORT_FORMATS, type ExportFormat, type RenderInput } from '../src/export/ports.ts';
import { renderFile } from '../src/export/render/render-file.ts';
import { longDocument } from '../src/export/render/test-support/sample-documents.ts';
import { RenderPool } from '../src/export/render-pool.ts';

const num = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return n;
};

const durationMs = num('BENCH_DURATION_S', 5) * 1000;
const warmupMs = num('BENCH_WARMUP_S', 1) * 1000;
const words = num('BENCH_WORDS', 5000);
const threads = num('BENCH_THREADS', Math.min(4, availableParallelism()));
const concurrency = num('BENCH_CONCURRENCY', threads * 2);
const formats = (process.env.BENCH_FORMATS?.split(',') ?? [...EXPORT_FORMATS]) as ExportFormat[];
for (const format of formats) {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format))
    throw new Error(`BENCH_FORMATS: unknown format ${format}`);
}

type Measured = {
  rendersPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  bytes: number;
  /** Main-thread event-loop delay while rendering: what sockets and requests would feel. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Runs `clients` closed loops of `once` for the warm-up, then measures for the duration. */
async function measure(clients: number, once: () => Promise<number>): Promise<Measured> {
  const loop = async (until: number, latencies?: number[]) => {
    let bytes = 0;
    while (performance.now() < until) {
      const started = performance.now();
      bytes = await once();
      latencies?.push(performance.now() - started);
      // Let the event loop turn between renders, as a server's would: an in-process render
      // otherwise chains through microtasks and starves timers (and sockets) for the whole run.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return bytes;
  };
  await Promise.all(Array.from({ length: clients }, () => loop(performance.now() + warmupMs)));
  const latencies: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const started = performance.now();
  const sizes = await Promise.all(Array.from({ length: clients }, () => loop(started + durationMs, latencies)));
  const elapsed = performance.now() - started;
  delay.disable();
  latencies.sort((a, b) => a - b);
  return {
    rendersPerSecond: round((latencies.length / elapsed) * 1000),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    bytes: sizes[0] ?? 0,
    loopDelayP99Ms: round(delay.percentile(99) / 1e6),
    loopDelayMaxMs: round(delay.max / 1e6),
  };
}

async function main(): Promise<void> {
  const content = longDocument(words);
  const input = (format: ExportFormat): RenderInput => ({ format, title: 'Export benchmark', content });
  const pdf = await renderFile(input('pdf'));
  const pages = (
    Buffer.from(pdf.bytes)
      .toString('latin1')
      .match(/\/Type\s*\/Page(?![s\w])/g) ?? []
  ).length;
  const actualWords = toPlainText(content).split(/\s+/).filter(Boolean).length;
  console.log(
    JSON.stringify({
      benchmark: 'export-render',
      words: actualWords,
      pdfPages: pages,
      threads,
      concurrency,
      cores: availableParallelism(),
      durationS: durationMs / 1000,
      node: process.version,
    }),
  );
  const pool = new RenderPool({ threads, taskTimeoutMs: 60_000, maxQueue: concurrency });
  try {
    for (const format of formats) {
      process.stderr.write(`${format}: pool (${threads} threads, ${concurrency} in flight)…\n`);
      const pooled = await measure(concurrency, async () => (await pool.render(input(format))).bytes.byteLength);
      process.stderr.write(`${format}: in-process…\n`);
      const inProcess = await measure(1, async () => (await renderFile(input(format))).bytes.byteLength);
      console.log(JSON.stringify({ format, runner: 'in-process', ...inProcess }));
      console.log(
        JSON.stringify({
          format,
          runner: 'pool',
          ...pooled,
          vsInProcess: {
            throughput: round(pooled.rendersPerSecond / inProcess.rendersPerSecond),
            p50: round(pooled.p50Ms / inProcess.p50Ms),
            loopDelayP99: round(pooled.loopDelayP99Ms / inProcess.loopDelayP99Ms),
          },
        }),
      );
    }
  } finally {
    await pool.close();
  }
}

await main();

/**
 * A bounded pool of worker threads (piscina) running the renderers, so a 100-page PDF never
 * blocks the event loop that serves sockets and requests. Every task has a timeout; a task that
 * passes it, or whose caller aborts, has its thread terminated (rendering is CPU-bound and
 * cannot notice an abort by itself). A crashed worker is a retryable failure; a document the
 * renderer refuses is not.
 */
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { RenderError, type RenderedFile, type Renderer, type RenderInput } from './ports.ts';
import type { RenderTask } from './render/render-file.ts';
import type { WorkerOutcome } from './render/worker.ts';

export type RenderPoolOptions = {
  /** Worker threads, started up front and kept (a render should not pay for a thread start). */
  threads: number;
  /**
   * Longest a task may take from submission, waiting for a thread included (piscina tells no
   * start time); past it the task fails retryably and its thread, if it had one, is terminated.
   */
  taskTimeoutMs: number;
  /** Tasks waiting for a thread beyond which `run` fails fast (retryable). Default: 4 per thread. */
  maxQueue?: number;
  /** Heap limit per worker; a render past it kills only that worker. */
  maxWorkerHeapMb?: number;
  /** The worker module (a file URL); tests substitute one that misbehaves. */
  workerUrl?: URL;
  /** Errors no task owns (a worker failing between tasks); the pool replaces the worker. */
  onWorkerError?: (err: unknown) => void;
};

export type PooledRender = {
  file: RenderedFile;
  /** The worker thread that rendered it (never 0, the main thread). */
  threadId: number;
  /** Time spent rendering inside the worker. */
  renderMs: number;
  /** Time from `run` to the result, queueing and transfer included. */
  totalMs: number;
};

export type RenderPoolStats = { threads: number; queued: number; completed: number; utilization: number };

export const DEFAULT_MAX_WORKER_HEAP_MB = 512;
const QUEUE_PER_THREAD = 4;
const defaultWorkerUrl = new URL('./render/worker.ts', import.meta.url);

export class RenderPool implements Renderer {
  private readonly piscina: Piscina;
  private readonly taskTimeoutMs: number;
  private readonly threads: number;
  private readonly maxQueue: number;
  /** Tasks accepted and not yet settled (running or waiting for a thread). */
  private pending = 0;
  private closed = false;

  constructor(options: RenderPoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
    }
    if (!(options.taskTimeoutMs > 0))
      throw new RangeError(`taskTimeoutMs must be positive, got ${options.taskTimeoutMs}`);
    this.threads = options.threads;
    this.taskTimeoutMs = options.taskTimeoutMs;
    this.maxQueue = options.maxQueue ?? options.threads * QUEUE_PER_THREAD;
    this.piscina = new Piscina({
      filename: (options.workerUrl ?? defaultWorkerUrl).href,
      minThreads: options.threads,
      maxThreads: options.threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      resourceLimits: { maxOldGenerationSizeMb: options.maxWorkerHeapMb ?? DEFAULT_MAX_WORKER_HEAP_MB },
    });
    // Without a listener an 'error' event would throw in the main thread.
    this.piscina.on('error', (err: unknown) => options.onWorkerError?.(err));
  }

  async render(input: RenderInput, signal?: AbortSignal): Promise<RenderedFile> {
    return (await this.run(input, signal)).file;
  }

  async run(task: RenderTask, signal?: AbortSignal): Promise<PooledRender> {
    if (this.closed) throw new RenderError('render pool is closed', { retryable: true });
    // Counted here: piscina's own maxQueue does not apply to tasks that carry an AbortSignal.
    if (this.pending >= this.threads + this.maxQueue)
      throw new RenderError('render queue is full', { retryable: true });
    this.pending++;
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.taskTimeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    let outcome: WorkerOutcome;
    try {
      outcome = await this.piscina.run(task, { signal: combined });
    } catch (err) {
      throw this.failure(err, timeout, signal);
    } finally {
      this.pending--;
    }
    if (!outcome.ok) throw new RenderError(outcome.message, { retryable: outcome.retryable });
    const { bytes, contentType, extension, threadId, renderMs } = outcome;
    return { file: { bytes, contentType, extension }, threadId, renderMs, totalMs: performance.now() - started };
  }

  private failure(err: unknown, timeout: AbortSignal, signal: AbortSignal | undefined): RenderError {
    if (signal?.aborted) return new RenderError('render aborted', { retryable: true, cause: signal.reason });
    if (timeout.aborted) {
      return new RenderError(`render timed out after ${this.taskTimeoutMs} ms`, { retryable: true, cause: err });
    }
    const message = err instanceof Error ? err.message : String(err);
    if (this.closed) return new RenderError('render pool is closed', { retryable: true, cause: err });
    // The worker died (crash, out of memory, exit): the next attempt gets a fresh one.
    return new RenderError(`render worker failed: ${message}`, { retryable: true, cause: err });
  }

  stats(): RenderPoolStats {
    return {
      threads: this.threads,
      queued: Math.max(0, this.pending - this.threads),
      completed: this.piscina.completed,
      utilization: this.piscina.utilization,
    };
  }

  /** Lets running renders finish, fails queued ones (retryable), then stops the threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.piscina.close({ force: true });
  }
}

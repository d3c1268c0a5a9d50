/**
 * The export worker: claims due jobs with bounded concurrency, renders each with no database
 * connection held (claim, render, record are three separate steps), keeps its lease alive while
 * it renders, retries with exponential backoff and jitter, and dead-letters what cannot succeed.
 * Stopping stops claiming, lets running jobs finish for a grace period, then hands the rest back.
 */

import type { Logger } from 'pino';
import type { CrdtPool } from '../content/crdt-pool.ts';
import { retryDelayMs } from '../domain/export-policy.ts';
import { withSpan } from '../observability/tracing.ts';
import { type ImageSource, inlineImages } from './inline-images.ts';
import type { ClaimedJob, JobQueue } from './job-queue.ts';
import { pinnedContent } from './pinned-document.ts';
import { type FileStorage, RenderError, type Renderer } from './ports.ts';

export type JobOutcome = 'succeeded' | 'retry' | 'failed' | 'dead' | 'superseded' | 'released';
export type DeadLetterReason = 'retries_exhausted' | 'permanent_error' | 'lease_expired';

export interface ExportObserver {
  attemptFinished(format: string, outcome: JobOutcome, seconds: number): void;
  deadLettered(reason: DeadLetterReason, count?: number): void;
  loopError(loop: 'claim' | 'webhook' | 'cleanup'): void;
}

export type ExportWorkerOptions = {
  /** Jobs rendered at once by this process. */
  concurrency: number;
  /** How often the queue is polled when nothing woke the worker. */
  pollIntervalMs: number;
  /** A claimed job is ours this long, renewed every third of it while we work. */
  leaseMs: number;
  /** Tries per job: the first one plus the retries. */
  maxAttempts: number;
  /** Wait before the first retry; doubled for each later one (jittered). */
  backoffBaseMs: number;
  perWorkspaceRunningMax: number;
  /** One render may take this long before the try counts as failed (and is retried). */
  taskTimeoutMs: number;
  /** How long a finished file stays downloadable. */
  resultRetentionMs: number;
};

class Shutdown extends Error {}
class LeaseLost extends Error {}

/** Settles with `work`, or rejects as soon as `signal` aborts, whether or not `work` listens to it. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class ExportWorker {
  private readonly queue: JobQueue;
  private readonly renderer: Renderer;
  private readonly crdt: CrdtPool;
  private readonly images: ImageSource | undefined;
  private readonly storage: FileStorage;
  private readonly observer: ExportObserver;
  private readonly logger: Logger;
  private readonly opts: ExportWorkerOptions;
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private currentTick: Promise<void> = Promise.resolve();
  private tickAgain = false;
  private stopped = true;
  private lastReapAt = 0;

  constructor(
    deps: {
      queue: JobQueue;
      renderer: Renderer;
      storage: FileStorage;
      observer: ExportObserver;
      logger: Logger;
      /** Rebuilds the pinned document off the main thread, under budget. */
      crdt: CrdtPool;
      /** The document's own images, put inline before rendering (absent: images print their alt text). */
      images?: ImageSource;
    },
    opts: ExportWorkerOptions,
  ) {
    this.queue = deps.queue;
    this.renderer = deps.renderer;
    this.crdt = deps.crdt;
    this.images = deps.images;
    this.storage = deps.storage;
    this.observer = deps.observer;
    this.logger = deps.logger;
    this.opts = opts;
  }

  get inFlight(): number {
    return this.running.size;
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Look at the queue now (a job was just requested in this process, or a slot freed up). */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    clearTimeout(this.timer);
    this.ticking = true;
    this.currentTick = this.tick();
    void this.currentTick.finally(() => {
      this.ticking = false;
      if (this.stopped) return;
      if (this.tickAgain) {
        this.tickAgain = false;
        this.wake();
        return;
      }
      this.timer = setTimeout(() => this.wake(), this.opts.pollIntervalMs);
    });
  }

  private async tick(): Promise<void> {
    try {
      // Wake-ups come with every request in the all-in-one process; the reaper needs only the poll pace.
      if (Date.now() - this.lastReapAt >= this.opts.pollIntervalMs) {
        this.lastReapAt = Date.now();
        const reaped = await this.queue.reapAbandoned(this.opts.maxAttempts);
        if (reaped.length > 0) {
          this.observer.deadLettered('lease_expired', reaped.length);
          this.logger.warn({ jobIds: reaped }, 'export jobs dead-lettered: their worker died during the last attempt');
        }
      }
      while (!this.stopped && this.running.size < this.opts.concurrency) {
        const job = await this.queue.claim(this.opts);
        if (!job) break;
        if (this.stopped) {
          await this.queue.release(job);
          break;
        }
        this.launch(job);
      }
    } catch (err) {
      this.observer.loopError('claim');
      this.logger.error({ err }, 'export claim failed; retrying at the next poll');
    }
  }

  private launch(job: ClaimedJob): void {
    const abort = new AbortController();
    const done = this.run(job, abort).finally(() => {
      this.running.delete(job.id);
      this.wake();
    });
    this.running.set(job.id, { abort, done });
  }

  private async run(job: ClaimedJob, abort: AbortController): Promise<void> {
    const started = performance.now();
    const log = this.logger.child({
      jobId: job.id,
      documentId: job.documentId,
      format: job.format,
      attempt: job.attempt,
      ...(job.pinnedComments && { commentThreads: job.pinnedComments.length }),
    });
    const renew = setInterval(
      () => {
        this.queue
          .renew(job, this.opts.leaseMs)
          .then((ours) => {
            if (!ours) abort.abort(new LeaseLost('the lease was lost to another worker'));
          })
          .catch((err) => log.warn({ err }, 'export lease renewal failed; retrying'));
      },
      Math.max(1, Math.floor(this.opts.leaseMs / 3)),
    );
    let outcome: JobOutcome;
    try {
      outcome = await withSpan(
        'export.render',
        { 'export.job_id': job.id, 'export.format': job.format, 'export.attempt': job.attempt },
        () => this.attempt(job, abort.signal),
        { root: true },
      );
    } catch (err) {
      outcome = await this.recordFailure(job, err, abort.signal).catch((recordErr) => {
        // The lease runs out and another worker takes the job over: nothing is lost.
        log.error({ err: recordErr }, 'export outcome could not be recorded');
        return 'superseded' as const;
      });
    } finally {
      clearInterval(renew);
    }
    const seconds = (performance.now() - started) / 1000;
    this.observer.attemptFinished(job.format, outcome, seconds);
    log.info({ outcome, durationMs: Math.round(seconds * 1000) }, 'export attempt finished');
  }

  private async attempt(job: ClaimedJob, signal: AbortSignal): Promise<JobOutcome> {
    if (!job.documentExists) {
      const ok = await this.queue.finishFailed(
        job,
        'failed',
        'the document was deleted after the export was requested',
      );
      return ok ? 'failed' : 'superseded';
    }
    const threads = job.pinnedComments ?? [];
    const pinned = await pinnedContent(this.crdt, job.pinnedState, job.pinnedUpdates, threads);
    const content = this.images ? await inlineImages(pinned, job.documentId, this.images) : pinned;
    const timeout = AbortSignal.timeout(this.opts.taskTimeoutMs);
    const both = AbortSignal.any([signal, timeout]);
    let file: Awaited<ReturnType<Renderer['render']>>;
    try {
      const input = { format: job.format, title: job.title, content, ...(threads.length > 0 && { comments: threads }) };
      file = await untilAborted(this.renderer.render(input, both), both);
    } catch (err) {
      if (timeout.aborted && !signal.aborted) {
        throw new RenderError(`rendering took longer than ${this.opts.taskTimeoutMs} ms`, {
          retryable: true,
          cause: err,
        });
      }
      throw err;
    }
    if (signal.aborted) throw signal.reason;
    const key = `${job.id}-${job.attempt}.${file.extension}`;
    await this.storage.put(key, file.bytes);
    const ours = await this.queue.succeed(
      job,
      { key, contentType: file.contentType, bytes: file.bytes.byteLength },
      this.opts.resultRetentionMs,
    );
    if (ours) return 'succeeded';
    // Another worker took over after our lease expired; its result is the one users see.
    await this.storage.delete(key);
    return 'superseded';
  }

  private async recordFailure(job: ClaimedJob, err: unknown, signal: AbortSignal): Promise<JobOutcome> {
    if (signal.aborted && signal.reason instanceof LeaseLost) return 'superseded';
    if (signal.aborted && signal.reason instanceof Shutdown) {
      return (await this.queue.release(job)) ? 'released' : 'superseded';
    }
    const permanent = err instanceof RenderError && !err.retryable;
    const message = messageOf(err);
    if (!permanent && job.attempt < this.opts.maxAttempts) {
      const delay = retryDelayMs(job.attempt, this.opts.backoffBaseMs);
      this.logger.warn(
        { jobId: job.id, attempt: job.attempt, retryInMs: delay, err },
        'export attempt failed; will retry',
      );
      return (await this.queue.retryLater(job, message, delay)) ? 'retry' : 'superseded';
    }
    const error = permanent ? message : `${message} (gave up after ${job.attempt} attempts)`;
    const ok = await this.queue.finishFailed(job, 'dead', error);
    if (!ok) return 'superseded';
    this.observer.deadLettered(permanent ? 'permanent_error' : 'retries_exhausted');
    this.logger.error({ jobId: job.id, attempt: job.attempt, err }, 'export job dead-lettered');
    return 'dead';
  }

  /**
   * Stops claiming; running jobs get `graceMs` to finish, then are interrupted and handed back
   * (queued again, the interrupted try not counted) so another worker picks them up at once.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.currentTick;
    const all = () => Promise.allSettled([...this.running.values()].map((r) => r.done));
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all(), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const r of this.running.values()) r.abort.abort(new Shutdown('the worker is shutting down'));
    await all();
  }
}

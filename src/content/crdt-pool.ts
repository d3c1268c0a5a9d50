/**
 * Worker threads (piscina) that rebuild stored documents under a time budget, so no stored
 * document — however its CRDT history was crafted — holds the main thread: room loads,
 * compaction, REST content reads and export projections all go through here. A task past its
 * budget has its thread terminated (integration is CPU-bound and cannot notice an abort) and
 * fails with `CrdtBudgetExceeded`; the caller quarantines the document. A result whose `applyMs`
 * (what loading the merged state on the main thread would cost) is past the main-thread budget is
 * refused the same way. The pattern is export/render-pool.ts's; the two are kept apart because
 * their budgets, queues and failure meanings differ.
 */
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import type { CommentAnchorMark } from './comment-ranges.ts';
import type { CrdtLimits } from './crdt-inspect.ts';
import type { CrdtOutcome, CrdtTask, InspectOutcome, InspectTask } from './crdt-worker.ts';
import type { HistoryOutcome, HistoryTask } from './history-task.ts';
import type { ImportOutcome, ImportTask } from './import/import-task.ts';
import { StoredStateError } from './stored-document.ts';

export type CrdtPoolOptions = {
  threads: number;
  /** Longest a rebuild may run in a worker (queueing excluded as far as piscina lets us tell). */
  workerBudgetMs: number;
  /** Longest applying a rebuilt state may hold the main thread. */
  mainBudgetMs: number;
  /** Heap limit per worker: a document too big to rebuild kills only its thread. */
  maxWorkerHeapMb?: number;
  /** Called once per finished task (metrics). */
  observe?: (
    kind: CrdtTask['kind'] | 'inspect' | HistoryTask['kind'] | 'import',
    outcome: 'ok' | 'over_budget' | 'unreadable' | 'failed' | 'refused',
    seconds: number,
  ) => void;
};

export type Rebuilt = Extract<CrdtOutcome, { ok: true }>;

/** The document cannot be rebuilt within budget: quarantine it. */
export class CrdtBudgetExceeded extends Error {
  readonly detail: Record<string, unknown>;
  constructor(message: string, detail: Record<string, unknown>) {
    super(message);
    this.name = 'CrdtBudgetExceeded';
    this.detail = detail;
  }
}

const workerUrl = new URL('./crdt-worker.ts', import.meta.url);

export class CrdtPool {
  private readonly piscina: Piscina;
  private readonly opts: CrdtPoolOptions;
  private closed = false;
  /** Tasks in a thread now; the rest wait here, so a budget times the run and never the queue. */
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(opts: CrdtPoolOptions) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1)
      throw new RangeError(`threads must be >= 1, got ${opts.threads}`);
    this.opts = opts;
    this.piscina = new Piscina({
      filename: workerUrl.href,
      minThreads: opts.threads,
      maxThreads: opts.threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      resourceLimits: { maxOldGenerationSizeMb: opts.maxWorkerHeapMb ?? 512 },
    });
    this.piscina.on('error', () => undefined);
  }

  get mainBudgetMs(): number {
    return this.opts.mainBudgetMs;
  }

  /**
   * Rebuilds state + rows off the main thread. Throws CrdtBudgetExceeded past either budget,
   * StoredStateError when the state cannot be decoded, and Error when the worker died.
   */
  async rebuild(
    input: { state: Uint8Array | null; updates: Uint8Array[] },
    opts: {
      project?: boolean;
      kind?: CrdtTask['kind'];
      workerBudgetMs?: number;
      enforceMainBudget?: boolean;
      /** Comment anchors to show as `comment` marks in the projection (the export; see CrdtTask). */
      commentAnchors?: CommentAnchorMark[];
    } = {},
  ): Promise<Rebuilt> {
    if (this.closed) throw new Error('CRDT pool is closed');
    const kind = opts.kind ?? 'rebuild';
    const budget = opts.workerBudgetMs ?? this.opts.workerBudgetMs;
    const started = performance.now();
    const task: CrdtTask = {
      kind,
      state: input.state,
      updates: input.updates,
      project: opts.project ?? false,
      measureApplyAboveMs: this.opts.mainBudgetMs / 4,
      ...(opts.commentAnchors && { commentAnchors: opts.commentAnchors }),
    };
    const observe = (outcome: Parameters<NonNullable<CrdtPoolOptions['observe']>>[1]) =>
      this.opts.observe?.(kind, outcome, (performance.now() - started) / 1000);
    await this.slot();
    const timeout = AbortSignal.timeout(budget);
    let outcome: CrdtOutcome;
    try {
      outcome = await this.piscina.run(task, { signal: timeout });
    } catch (err) {
      if (timeout.aborted) {
        observe('over_budget');
        throw new CrdtBudgetExceeded(`rebuilding the document took longer than ${budget} ms`, {
          workerBudgetMs: budget,
        });
      }
      observe('failed');
      throw new Error(`CRDT worker failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      // The slot passes straight to the next waiter, so no newcomer can slip in between.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
    if (!outcome.ok) {
      observe(outcome.unreadable ? 'unreadable' : 'failed');
      throw outcome.unreadable ? new StoredStateError(outcome.message) : new Error(outcome.message);
    }
    if ((opts.enforceMainBudget ?? true) && outcome.applyMs > this.opts.mainBudgetMs) {
      observe('over_budget');
      throw new CrdtBudgetExceeded(
        `loading the document would hold the event loop ${Math.round(outcome.applyMs)} ms (budget ${this.opts.mainBudgetMs} ms)`,
        { applyMs: Math.round(outcome.applyMs), structs: outcome.structs, clients: outcome.clients },
      );
    }
    observe('ok');
    return outcome;
  }

  /**
   * An update's own cost, counted in a worker (decoding a large update is itself tens of
   * milliseconds): refused here, it never touches the main thread. Past the budget it is refused.
   */
  async inspect(update: Uint8Array, limits: CrdtLimits): Promise<InspectOutcome> {
    if (this.closed) throw new Error('CRDT pool is closed');
    const started = performance.now();
    await this.slot();
    const timeout = AbortSignal.timeout(this.opts.workerBudgetMs);
    try {
      const task: InspectTask = { kind: 'inspect', update, limits };
      const outcome: InspectOutcome = await this.piscina.run(task, { signal: timeout });
      this.opts.observe?.('inspect', outcome.ok ? 'ok' : 'refused', (performance.now() - started) / 1000);
      return outcome;
    } catch (err) {
      if (!timeout.aborted) throw err;
      this.opts.observe?.('inspect', 'over_budget', (performance.now() - started) / 1000);
      return {
        ok: false,
        reason: `counting the update's cost took longer than ${this.opts.workerBudgetMs} ms`,
        malformed: false,
      };
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /**
   * Version history's work (a restore's change, a comparison) in a thread, under the worker
   * budget: past it the thread is terminated and CrdtBudgetExceeded thrown (nothing is applied).
   */
  async history(task: HistoryTask): Promise<Extract<HistoryOutcome, { ok: true }>> {
    if (this.closed) throw new Error('CRDT pool is closed');
    const started = performance.now();
    await this.slot();
    const timeout = AbortSignal.timeout(this.opts.workerBudgetMs);
    const observe = (outcome: 'ok' | 'over_budget' | 'failed') =>
      this.opts.observe?.(task.kind, outcome, (performance.now() - started) / 1000);
    let outcome: HistoryOutcome;
    try {
      outcome = await this.piscina.run(task, { signal: timeout });
    } catch (err) {
      if (!timeout.aborted) {
        observe('failed');
        throw err;
      }
      observe('over_budget');
      throw new CrdtBudgetExceeded(`version history work took longer than ${this.opts.workerBudgetMs} ms`, {
        workerBudgetMs: this.opts.workerBudgetMs,
      });
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
    if (!outcome.ok) {
      observe('failed');
      throw new Error(outcome.message);
    }
    observe('ok');
    return outcome;
  }

  /**
   * Converts an uploaded file into a new document's content in a thread, under the worker budget:
   * past it the thread is terminated and CrdtBudgetExceeded thrown; a file the converter cannot
   * read comes back as `{ ok: false }`, and a thread that died on it (out of heap) as an Error.
   */
  async importFile(task: ImportTask): Promise<ImportOutcome> {
    if (this.closed) throw new Error('CRDT pool is closed');
    const started = performance.now();
    await this.slot();
    const timeout = AbortSignal.timeout(this.opts.workerBudgetMs);
    const observe = (outcome: 'ok' | 'over_budget' | 'unreadable' | 'failed') =>
      this.opts.observe?.('import', outcome, (performance.now() - started) / 1000);
    try {
      const outcome: ImportOutcome = await this.piscina.run(task, { signal: timeout });
      observe(outcome.ok ? 'ok' : 'unreadable');
      return outcome;
    } catch (err) {
      if (!timeout.aborted) {
        observe('failed');
        throw err;
      }
      observe('over_budget');
      throw new CrdtBudgetExceeded(`converting the file took longer than ${this.opts.workerBudgetMs} ms`, {
        workerBudgetMs: this.opts.workerBudgetMs,
      });
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private async slot(): Promise<void> {
    if (this.running < this.opts.threads) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  stats(): { threads: number; queued: number; utilization: number } {
    return { threads: this.opts.threads, queued: this.waiting.length, utilization: this.piscina.utilization };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.piscina.close({ force: true });
  }
}

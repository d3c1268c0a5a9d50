/**
 * The operator's side of quarantine (`collab-docs documents ...`): list quarantined documents,
 * inspect one (what its CRDT data costs, measured in a worker with a generous budget), repair it
 * (the same content re-created as a fresh Y.Doc from its projection, replacing state and log in
 * one compaction transaction, so none of the concurrent history that made it expensive remains)
 * and release it (serve it again as it is — for a false alarm, or after raising the budgets).
 */
import type { CrdtPool } from '../content/crdt-pool.ts';
import type { Quarantine, QuarantineStore, UpdateLog } from './ports.ts';

export type Inspection = {
  documentId: string;
  quarantine: Quarantine | null;
  logRows: number;
  storedBytes: number;
  structs: number;
  clients: number;
  /** Rebuilding state + rows, in the worker. */
  integrateMs: number;
  /** Loading the merged state: what a room would cost the event loop. */
  applyMs: number;
  text: string;
};

export class QuarantineAdmin {
  private readonly deps: { log: UpdateLog; quarantine: QuarantineStore; crdt: CrdtPool; budgetMs: number };

  constructor(deps: QuarantineAdmin['deps']) {
    this.deps = deps;
  }

  list(limit = 100): ReturnType<QuarantineStore['list']> {
    return this.deps.quarantine.list(limit);
  }

  /** Null when the document does not exist. */
  async inspect(documentId: string): Promise<Inspection | null> {
    const stored = await this.deps.log.load(documentId);
    if (!stored) return null;
    const r = await this.deps.crdt.rebuild(
      { state: stored.state, updates: stored.updates },
      { project: true, workerBudgetMs: this.deps.budgetMs, enforceMainBudget: false },
    );
    return {
      documentId,
      quarantine: await this.deps.quarantine.get(documentId),
      logRows: stored.updates.length,
      storedBytes: (stored.state?.byteLength ?? 0) + stored.updates.reduce((n, u) => n + u.byteLength, 0),
      structs: r.structs,
      clients: r.clients,
      integrateMs: Math.round(r.integrateMs),
      applyMs: Math.round(r.applyMs),
      text: r.text ?? '',
    };
  }

  /**
   * Re-creates the document from its projection and releases it. Returns the new state's cost,
   * or null when the document does not exist. Throws CrdtBudgetExceeded when even the operator's
   * budget cannot rebuild it, or when the repaired state would still be over the main budget.
   */
  async repair(documentId: string): Promise<{ rowsMerged: number; structs: number; applyMs: number } | null> {
    let result: { structs: number; applyMs: number; retiredVector?: Uint8Array } | undefined;
    const rowsMerged = await this.deps.log.compact(documentId, async (stored) => {
      const r = await this.deps.crdt.rebuild(
        { state: stored.state, updates: stored.updates },
        { kind: 'repair', project: true, workerBudgetMs: this.deps.budgetMs },
      );
      result = { structs: r.structs, applyMs: Math.round(r.applyMs), retiredVector: r.retiredVector };
      return { state: r.state, content: r.content ?? null, text: r.text ?? '' };
    });
    if (rowsMerged === null || !result) return null;
    // [S11.6] Copies from before the repair (a browser's offline copy) must not bring the old
    // history back: its client ids are refused from now on (4409).
    if (result.retiredVector) await this.deps.quarantine.retire(documentId, result.retiredVector);
    await this.deps.quarantine.release(documentId);
    return { rowsMerged, structs: result.structs, applyMs: result.applyMs };
  }

  release(documentId: string): Promise<boolean> {
    return this.deps.quarantine.release(documentId);
  }
}

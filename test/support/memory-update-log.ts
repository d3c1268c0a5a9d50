/**
 * An in-memory `UpdateLog` with the SQL log's rules: rows get increasing sequence numbers,
 * compaction is serialized per document and deletes exactly the rows it merged (rows appended
 * meanwhile survive), and unknown or deleted documents load as null. For unit tests of the
 * sync core (test code: production always has a database); checked against the SQL log by
 * src/adapters/sql/update-log.contract.test.ts.
 */
import type { CompactedDocument, StoredDocument, UpdateLog } from '../../src/sync/ports.ts';

type Row = { seq: number; update: Uint8Array };

type StoredRecord = {
  workspaceId: string;
  state: Uint8Array | null;
  content: unknown;
  text: string;
  /** Bumped by every compaction, like `documents.state_clock`. */
  stateClock: number;
  rows: Row[];
};

/** What a compaction left behind, for assertions. */
export type DocumentRecord = Readonly<{
  workspaceId: string;
  state: Uint8Array | null;
  content: unknown;
  text: string;
  stateClock: number;
  rows: number;
}>;

export class MemoryUpdateLog implements UpdateLog {
  private readonly documents = new Map<string, StoredRecord>();
  /** One sequence for every document, as `document_updates.seq` is. */
  private nextSeq = 1;
  /** Tail of each document's compaction chain (the SQL log serializes them with a row lock). */
  private readonly compactions = new Map<string, Promise<unknown>>();

  /** Creates an empty document (the API's job in production). */
  createDocument(documentId: string, workspaceId: string): void {
    if (this.documents.has(documentId)) throw new Error(`document ${documentId} already exists`);
    this.documents.set(documentId, { workspaceId, state: null, content: null, text: '', stateClock: 0, rows: [] });
  }

  /** Deletes a document and, as the foreign key's cascade does, its log. */
  deleteDocument(documentId: string): void {
    this.documents.delete(documentId);
  }

  /** The stored row of a document (state, projections, number of log rows); undefined when absent. */
  document(documentId: string): DocumentRecord | undefined {
    const d = this.documents.get(documentId);
    if (!d) return undefined;
    return {
      workspaceId: d.workspaceId,
      state: d.state,
      content: d.content,
      text: d.text,
      stateClock: d.stateClock,
      rows: d.rows.length,
    };
  }

  async load(documentId: string): Promise<StoredDocument | null> {
    const d = this.documents.get(documentId);
    if (!d) return null;
    // One synchronous snapshot: rows and state can never disagree (stronger than the SQL order needs).
    return snapshot(d);
  }

  async append(documentId: string, update: Uint8Array): Promise<void> {
    const d = this.documents.get(documentId);
    // The SQL insert fails on the foreign key; so does this.
    if (!d) throw new Error(`document ${documentId} does not exist`);
    // Copied, as a database would: the caller may reuse its buffer.
    d.rows.push({ seq: this.nextSeq++, update: new Uint8Array(update) });
  }

  compact(
    documentId: string,
    merge: (stored: StoredDocument) => CompactedDocument | Promise<CompactedDocument>,
  ): Promise<number | null> {
    const previous = this.compactions.get(documentId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.compactNow(documentId, merge));
    const tail = run.catch(() => undefined);
    this.compactions.set(documentId, tail);
    void tail.then(() => {
      if (this.compactions.get(documentId) === tail) this.compactions.delete(documentId);
    });
    return run;
  }

  private async compactNow(
    documentId: string,
    merge: (stored: StoredDocument) => CompactedDocument | Promise<CompactedDocument>,
  ): Promise<number | null> {
    const d = this.documents.get(documentId);
    if (!d) return null;
    const stored = snapshot(d);
    // A throwing merge leaves everything as it was (the transaction rolls back).
    const result = await merge(stored);
    const merged = new Set(stored.seqs);
    d.state = new Uint8Array(result.state);
    d.content = result.content;
    d.text = result.text;
    d.stateClock++;
    // Rows appended while `merge` ran (or in the same tick) are not in `stored`: they stay.
    d.rows = d.rows.filter((r) => !merged.has(r.seq));
    return stored.seqs.length;
  }

  async pendingRows(documentId: string): Promise<number> {
    return this.documents.get(documentId)?.rows.length ?? 0;
  }
}

function snapshot(d: StoredRecord): StoredDocument {
  return {
    workspaceId: d.workspaceId,
    state: d.state ? new Uint8Array(d.state) : null,
    updates: d.rows.map((r) => new Uint8Array(r.update)),
    seqs: d.rows.map((r) => r.seq),
  };
}

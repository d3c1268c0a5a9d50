/** The durable update log of the sync tier over Kysely: PostgreSQL and PGlite run the same SQL. */
import { sql } from 'kysely';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Sql } from '../../app/ports.ts';
import type { CompactedDocument, StoredDocument, UpdateLog } from '../../sync/ports.ts';

const bytes = (b: Uint8Array): Uint8Array =>
  // pg hands out Buffers; Yjs only needs the bytes, without Buffer's pooled slab behind them.
  b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b);

export class SqlUpdateLog implements UpdateLog {
  private readonly db: Sql;
  /**
   * At most `maxConcurrent` statements at once (the pool size): bursts (hundreds of documents
   * committing, rooms unloading together, a fresh instance loading) queue here in order instead of
   * failing on the pool's acquisition timeout.
   */
  private readonly limit: LimitFunction;

  private readonly onProjectionRejected: (documentId: string, err: unknown) => void;
  private readonly onCompacted: (documentId: string) => void;

  constructor(
    db: Sql,
    maxConcurrent = Number.POSITIVE_INFINITY,
    hooks: {
      onProjectionRejected?: (documentId: string, err: unknown) => void;
      /** After a compaction committed: the document's row (`updated_at`) changed, for caches of it. */
      onCompacted?: (documentId: string) => void;
    } = {},
  ) {
    this.db = db;
    this.limit = pLimit(maxConcurrent);
    this.onProjectionRejected = hooks.onProjectionRejected ?? (() => undefined);
    this.onCompacted = hooks.onCompacted ?? (() => undefined);
  }

  load(documentId: string): Promise<StoredDocument | null> {
    return this.limit(() => this.loadNow(documentId));
  }

  private async loadNow(documentId: string): Promise<StoredDocument | null> {
    // Rows first, then the state: a compaction committing in between moves rows into the state we
    // read next, so nothing falls through the gap (the reverse order could lose them).
    const rows = await this.db
      .selectFrom('document_updates')
      .select(['seq', 'update'])
      .where('document_id', '=', documentId)
      .orderBy('seq')
      .execute();
    const doc = await this.db
      .selectFrom('documents')
      .select(['workspace_id', 'state'])
      .where('id', '=', documentId)
      .executeTakeFirst();
    if (!doc) return null;
    return {
      workspaceId: doc.workspace_id,
      state: doc.state ? bytes(doc.state) : null,
      updates: rows.map((r) => bytes(r.update)),
      seqs: rows.map((r) => Number(r.seq)),
    };
  }

  append(documentId: string, update: Uint8Array): Promise<void> {
    return this.limit(() => this.appendNow(documentId, update));
  }

  private async appendNow(documentId: string, update: Uint8Array): Promise<void> {
    await this.db.insertInto('document_updates').values({ document_id: documentId, update }).execute();
  }

  compact(
    documentId: string,
    merge: (stored: StoredDocument) => CompactedDocument | Promise<CompactedDocument>,
  ): Promise<number | null> {
    return this.limit(() => this.compactNow(documentId, merge));
  }

  private async compactNow(
    documentId: string,
    merge: (stored: StoredDocument) => CompactedDocument | Promise<CompactedDocument>,
  ): Promise<number | null> {
    const merged = await this.db.transaction().execute(async (tx) => {
      // The row lock serializes compactions of one document across instances; appends go on.
      const doc = await tx
        .selectFrom('documents')
        .select(['workspace_id', 'state'])
        .where('id', '=', documentId)
        .forUpdate()
        .executeTakeFirst();
      if (!doc) return null;
      const rows = await tx
        .selectFrom('document_updates')
        .select(['seq', 'update'])
        .where('document_id', '=', documentId)
        .orderBy('seq')
        .execute();
      const seqs = rows.map((r) => Number(r.seq));
      const result = await merge({
        workspaceId: doc.workspace_id,
        state: doc.state ? bytes(doc.state) : null,
        updates: rows.map((r) => bytes(r.update)),
        seqs,
      });
      await tx
        .updateTable('documents')
        .set({ state: result.state, state_clock: sql<number>`state_clock + 1`, updated_at: sql<Date>`now()` })
        .where('id', '=', documentId)
        .execute();
      await this.writeProjections(tx, documentId, result);
      if (seqs.length > 0) {
        await tx
          .deleteFrom('document_updates')
          .where('document_id', '=', documentId)
          .where(sql<boolean>`seq = any(${sql.val(seqs)}::bigint[])`)
          .execute();
      }
      return seqs.length;
    });
    if (merged !== null) this.onCompacted(documentId);
    return merged;
  }

  /**
   * The projections go in under a savepoint: should PostgreSQL refuse them (text it cannot store
   * that slipped past the projection), they are written empty and the merged state still commits,
   * so one bad character never stops a document's compaction [S4.2].
   */
  private async writeProjections(tx: Sql, documentId: string, result: CompactedDocument): Promise<void> {
    const write = (content: unknown, text: string) =>
      tx
        .updateTable('documents')
        .set({ content: content === null ? null : JSON.stringify(content), content_text: text })
        .where('id', '=', documentId)
        .execute();
    await sql`savepoint projections`.execute(tx);
    try {
      await write(result.content, result.text);
      await sql`release savepoint projections`.execute(tx);
    } catch (err) {
      await sql`rollback to savepoint projections`.execute(tx);
      this.onProjectionRejected(documentId, err);
      await write(null, '');
    }
  }

  pendingRows(documentId: string): Promise<number> {
    return this.limit(() => this.pendingRowsNow(documentId));
  }

  private async pendingRowsNow(documentId: string): Promise<number> {
    const row = await this.db
      .selectFrom('document_updates')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('document_id', '=', documentId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

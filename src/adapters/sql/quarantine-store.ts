/** The quarantine list of documents over their CRDT budget (table document_quarantine, migration 0012). */
import { sql } from 'kysely';
import type { Sql } from '../../app/ports.ts';
import type { Quarantine, QuarantineStore } from '../../sync/ports.ts';

const asDetail = (v: unknown): Record<string, unknown> =>
  typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : ((v ?? {}) as Record<string, unknown>);

export class SqlQuarantineStore implements QuarantineStore {
  private readonly db: Sql;

  constructor(db: Sql) {
    this.db = db;
  }

  async get(documentId: string): Promise<Quarantine | null> {
    const row = await this.db
      .selectFrom('document_quarantine')
      .select(['reason', 'detail', 'quarantined_at'])
      .where('document_id', '=', documentId)
      .executeTakeFirst();
    return row ? { reason: row.reason, detail: asDetail(row.detail), since: new Date(row.quarantined_at) } : null;
  }

  async mark(documentId: string, reason: string, detail: Record<string, unknown>): Promise<void> {
    // A document deleted meanwhile has nothing to quarantine: insert only while it exists.
    await sql`
      insert into document_quarantine (document_id, reason, detail)
      select id, ${reason}, ${JSON.stringify(detail)}::jsonb from documents where id = ${documentId}
      on conflict (document_id) do nothing`.execute(this.db);
  }

  async release(documentId: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('document_quarantine')
      .where('document_id', '=', documentId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async list(limit: number): Promise<(Quarantine & { documentId: string })[]> {
    const rows = await this.db
      .selectFrom('document_quarantine')
      .select(['document_id', 'reason', 'detail', 'quarantined_at'])
      .orderBy('quarantined_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      documentId: r.document_id,
      reason: r.reason,
      detail: asDetail(r.detail),
      since: new Date(r.quarantined_at),
    }));
  }
}

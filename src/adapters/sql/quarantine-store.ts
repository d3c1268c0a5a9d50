/** The quarantine list of documents over their CRDT budget (table document_quarantine, migration 0012). */
import { sql } from 'kysely';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
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

  async retire(documentId: string, stateVector: Uint8Array): Promise<void> {
    const previous = await this.retired(documentId);
    const merged = previous ? mergeVectors(previous, stateVector) : stateVector;
    await this.db
      .insertInto('document_repairs')
      .values({ document_id: documentId, retired_vector: merged })
      .onConflict((oc) => oc.column('document_id').doUpdateSet({ retired_vector: merged, repaired_at: sql`now()` }))
      .execute();
  }

  async retired(documentId: string): Promise<Uint8Array | null> {
    const row = await this.db
      .selectFrom('document_repairs')
      .select('retired_vector')
      .where('document_id', '=', documentId)
      .executeTakeFirst();
    return row ? new Uint8Array(row.retired_vector) : null;
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

/** The larger clock of each client in two encoded state vectors. */
function mergeVectors(a: Uint8Array, b: Uint8Array): Uint8Array {
  const merged = Y.decodeStateVector(a);
  for (const [client, clock] of Y.decodeStateVector(b)) merged.set(client, Math.max(clock, merged.get(client) ?? 0));
  return encodeVector(merged);
}

/** Yjs encodes state vectors of documents only; this is its format (count, then client and clock pairs). */
function encodeVector(vector: Map<number, number>): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, vector.size);
  for (const [client, clock] of vector) {
    encoding.writeVarUint(e, client);
    encoding.writeVarUint(e, clock);
  }
  return encoding.toUint8Array(e);
}

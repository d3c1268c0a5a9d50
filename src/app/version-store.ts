/**
 * The stored versions of documents (docs/spec/history.md): writing a version (with its
 * contributors since the previous one, skipping an automatic version identical to the latest,
 * pruning automatic ones past the plan's retention), reading them newest first by keyset, and the
 * edit records the sync tier leaves (who edited, which Yjs client is whose). No authorization:
 * the use case (versions.ts) and the sync tier's automatic versions call it.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Plan } from '../domain/roles.ts';
import { MICROSECOND_PATTERN } from './list-cursors.ts';
import type { Sql } from './ports.ts';
import type { VersionKind } from './version-schema.ts';

export type VersionRow = {
  id: string;
  createdAt: Date;
  kind: VersionKind;
  name: string | null;
  createdBy: string | null;
  contributors: string[];
  restoredFrom: string | null;
  stateBytes: number;
  /** created_at to the microsecond (UTC): the keyset of the list. */
  key: string;
};

/** Days automatic (and pre-restore) versions are kept, per plan; null = for ever. */
export type VersionRetention = Record<Plan, number | null>;

export type NewVersion = {
  kind: VersionKind;
  state: Uint8Array;
  name?: string | null;
  createdBy?: string | null;
  restoredFrom?: string | null;
  /** Replaces the edit records as contributors (a restore is its actor's). */
  contributors?: string[];
};

const LIST_COLUMNS = [
  'id',
  'created_at',
  'kind',
  'name',
  'created_by',
  'contributors',
  'restored_from',
  'state_bytes',
  sql<string>`to_char(created_at at time zone 'UTC', ${MICROSECOND_PATTERN})`.as('key'),
] as const;

/** Kinds the retention prunes; named versions and restore entries stay. */
const PRUNED_KINDS: VersionKind[] = ['auto', 'pre-restore'];
/** Versions deleted per statement by the sweep: bounded, so no pass holds a long transaction. */
const PRUNE_BATCH = 500;
/** Statements per plan and pass; what is left waits for the next pass. */
const PRUNE_BATCHES_PER_PASS = 20;

const hashOf = (state: Uint8Array) => createHash('sha256').update(state).digest();

export class VersionStore {
  private readonly db: Sql;
  private readonly retention: VersionRetention;

  constructor(db: Sql, retention: VersionRetention) {
    this.db = db;
    this.retention = retention;
  }

  /**
   * Stores a version; returns null when it is automatic and the document has not changed since
   * the latest version (or the document is gone). Contributors: who edited after the latest version.
   */
  async add(documentId: string, v: NewVersion): Promise<VersionRow | null> {
    const hash = hashOf(v.state);
    return this.db.transaction().execute(async (tx) => {
      const doc = await tx
        .selectFrom('documents')
        .innerJoin('workspaces', 'workspaces.id', 'documents.workspace_id')
        .select(['workspaces.plan'])
        .where('documents.id', '=', documentId)
        .executeTakeFirst();
      if (!doc) return null;
      const latest = await tx
        .selectFrom('document_versions')
        .select(['created_at', 'state_hash'])
        .where('document_id', '=', documentId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (v.kind === 'auto' && latest && Buffer.from(latest.state_hash).equals(hash)) return null;
      let contributors = v.contributors;
      if (!contributors) {
        let q = tx.selectFrom('document_version_authors').select('user_id').where('document_id', '=', documentId);
        if (latest) q = q.where('last_edit_at', '>', latest.created_at);
        contributors = (await q.orderBy('last_edit_at').execute()).map((r) => r.user_id);
      }
      const row = await tx
        .insertInto('document_versions')
        .values({
          id: uuidv7(),
          document_id: documentId,
          kind: v.kind,
          name: v.name ?? null,
          created_by: v.createdBy ?? null,
          contributors,
          restored_from: v.restoredFrom ?? null,
          state: v.state,
          state_bytes: v.state.byteLength,
          state_hash: hash,
        })
        .returning(LIST_COLUMNS)
        .executeTakeFirstOrThrow();
      const days = this.retention[doc.plan];
      if (days !== null) {
        await tx
          .deleteFrom('document_versions')
          .where('document_id', '=', documentId)
          .where('kind', 'in', PRUNED_KINDS)
          .where('created_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
          .execute();
      }
      return toRow(row);
    });
  }

  /**
   * The worker's sweep [V8]: deletes automatic and pre-restore versions past their workspace plan's
   * retention across all documents (the per-document pruning in `add` only covers documents still
   * edited). Returns how many went.
   */
  async pruneExpired(): Promise<number> {
    let deleted = 0;
    for (const [plan, days] of Object.entries(this.retention) as [Plan, number | null][]) {
      if (days === null) continue;
      for (let i = 0; i < PRUNE_BATCHES_PER_PASS; i++) {
        const victims = this.db
          .selectFrom('document_versions as v')
          .innerJoin('documents as d', 'd.id', 'v.document_id')
          .innerJoin('workspaces as w', 'w.id', 'd.workspace_id')
          .select('v.id')
          .where('w.plan', '=', plan)
          .where('v.kind', 'in', PRUNED_KINDS)
          .where('v.created_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
          .limit(PRUNE_BATCH);
        const r = await this.db.deleteFrom('document_versions').where('id', 'in', victims).executeTakeFirst();
        const n = Number(r.numDeletedRows);
        deleted += n;
        if (n < PRUNE_BATCH) break;
      }
    }
    return deleted;
  }

  /** Newest first, after the keyset (created_at, id) when given; at most `limit`. */
  async list(documentId: string, limit: number, after?: { createdAt: string; id: string }): Promise<VersionRow[]> {
    let q = this.db.selectFrom('document_versions').select(LIST_COLUMNS).where('document_id', '=', documentId);
    if (after) {
      q = q.where(({ eb, refTuple, tuple }) =>
        eb(refTuple('created_at', 'id'), '<', tuple(sql<Date>`${after.createdAt}::timestamptz`, after.id)),
      );
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toRow);
  }

  /** One version with its state; null when the document has no such version. */
  async get(documentId: string, versionId: string): Promise<(VersionRow & { state: Uint8Array }) | null> {
    const row = await this.db
      .selectFrom('document_versions')
      .select([...LIST_COLUMNS, 'state'])
      .where('document_id', '=', documentId)
      .where('id', '=', versionId)
      .executeTakeFirst();
    return row ? { ...toRow(row), state: bytes(row.state) } : null;
  }

  /** The version before this one (by time), with its state; null for the first. */
  async previous(documentId: string, v: VersionRow): Promise<(VersionRow & { state: Uint8Array }) | null> {
    const row = await this.db
      .selectFrom('document_versions')
      .select([...LIST_COLUMNS, 'state'])
      .where('document_id', '=', documentId)
      .where(({ eb, refTuple, tuple }) =>
        eb(refTuple('created_at', 'id'), '<', tuple(sql<Date>`${v.key}::timestamptz`, v.id)),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { ...toRow(row), state: bytes(row.state) } : null;
  }

  /** The sync tier's record of who edited (now) and which Yjs clients are whose (first writer wins). */
  async noteAuthors(documentId: string, userIds: string[], clients: [number, string][]): Promise<void> {
    if (userIds.length > 0) {
      await this.db
        .insertInto('document_version_authors')
        .values(userIds.map((user_id) => ({ document_id: documentId, user_id })))
        .onConflict((oc) => oc.columns(['document_id', 'user_id']).doUpdateSet({ last_edit_at: sql<Date>`now()` }))
        .execute();
    }
    if (clients.length > 0) {
      await this.db
        .insertInto('document_clients')
        .values(clients.map(([client_id, user_id]) => ({ document_id: documentId, client_id, user_id })))
        .onConflict((oc) => oc.columns(['document_id', 'client_id']).doNothing())
        .execute();
    }
  }

  /** Who wrote with these Yjs client ids in a document. */
  async clientAuthors(documentId: string, clientIds: number[]): Promise<Map<number, string>> {
    if (clientIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('document_clients')
      .select(['client_id', 'user_id'])
      .where('document_id', '=', documentId)
      .where('client_id', 'in', clientIds.map(String))
      .execute();
    return new Map(rows.map((r) => [Number(r.client_id), r.user_id]));
  }

  /** Display names of accounts (missing ones are left out). */
  async names(userIds: string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('users')
      .select(['id', 'display_name'])
      .where('id', 'in', [...new Set(userIds)])
      .execute();
    return new Map(rows.map((r) => [r.id, r.display_name]));
  }
}

const bytes = (b: Uint8Array): Uint8Array =>
  b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b);

function toRow(r: {
  id: string;
  created_at: Date;
  kind: VersionKind;
  name: string | null;
  created_by: string | null;
  contributors: string[];
  restored_from: string | null;
  state_bytes: number;
  key: string;
}): VersionRow {
  return {
    id: r.id,
    createdAt: r.created_at,
    kind: r.kind,
    name: r.name,
    createdBy: r.created_by,
    contributors: r.contributors ?? [],
    restoredFrom: r.restored_from,
    stateBytes: r.state_bytes,
    key: r.key,
  };
}

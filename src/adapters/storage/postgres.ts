/**
 * File storage in PostgreSQL (or PGlite): the shared store when DATABASE_URL is set and no object
 * storage is configured, so several pods see the same files with no extra service. Files are a
 * header row plus fixed-size bytea chunks (migrations/0006): a write is one transaction (all or
 * nothing), a read fetches one chunk per query, so a slow download holds no connection.
 */
import { Readable } from 'node:stream';
import { type Generated, type Kysely, sql } from 'kysely';
import { assertStorageKey, type FileStorage, STORAGE_KEY, type StoredFile } from '../../export/ports.ts';

type StoredFilesTable = { namespace: string; key: string; size: number; chunks: number; created_at: Generated<Date> };
type StoredFileChunksTable = { namespace: string; key: string; n: number; data: Uint8Array };
type FileTables = { stored_files: StoredFilesTable; stored_file_chunks: StoredFileChunksTable };

/** 1 MiB: small enough for one comfortable query, large enough that a 50 MB file is 50 rows. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;
const SWEEP_BATCH = 500;

export class PostgresStorage implements FileStorage {
  private readonly db: Kysely<FileTables>;
  private readonly namespace: string;
  private readonly chunkBytes: number;

  /** `db` is any Kysely over the migrated schema (the caller's role pool: the bulkhead applies). */
  // biome-ignore lint/suspicious/noExplicitAny: any schema will do; this class only touches its own two tables
  constructor(db: Kysely<any>, opts: { namespace: string; chunkBytes?: number }) {
    this.db = db.withTables<FileTables>() as unknown as Kysely<FileTables>;
    this.namespace = opts.namespace;
    this.chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    assertStorageKey(key);
    const chunks = Math.max(1, Math.ceil(bytes.byteLength / this.chunkBytes));
    await this.db.transaction().execute(async (tx) => {
      // Replacing a key (never done by the worker, which writes one key per attempt) drops the old chunks.
      await tx.deleteFrom('stored_files').where('namespace', '=', this.namespace).where('key', '=', key).execute();
      await tx
        .insertInto('stored_files')
        .values({ namespace: this.namespace, key, size: bytes.byteLength, chunks })
        .execute();
      for (let n = 0; n < chunks; n++) {
        const data = bytes.subarray(n * this.chunkBytes, (n + 1) * this.chunkBytes);
        await tx.insertInto('stored_file_chunks').values({ namespace: this.namespace, key, n, data }).execute();
      }
    });
  }

  async open(key: string): Promise<StoredFile | null> {
    assertStorageKey(key);
    const head = await this.db
      .selectFrom('stored_files')
      .select(['size', 'chunks'])
      .where('namespace', '=', this.namespace)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!head) return null;
    const { db, namespace } = this;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let n = 0; n < head!.chunks; n++) {
        const row = await db
          .selectFrom('stored_file_chunks')
          .select('data')
          .where('namespace', '=', namespace)
          .where('key', '=', key)
          .where('n', '=', n)
          .executeTakeFirst();
        // Deleted mid-download (expiry, document deletion): end the stream with an error, never short bytes silently.
        if (!row) throw new Error(`stored file ${key} disappeared while it was read`);
        yield row.data;
      }
    }
    return { stream: Readable.from(chunks(), { objectMode: false }), size: Number(head.size) };
  }

  async delete(key: string): Promise<void> {
    assertStorageKey(key);
    await this.db.deleteFrom('stored_files').where('namespace', '=', this.namespace).where('key', '=', key).execute();
  }

  async sweep(olderThan: Date, keep: (key: string) => boolean): Promise<number> {
    let removed = 0;
    let after = '';
    for (;;) {
      const rows = await this.db
        .selectFrom('stored_files')
        .select('key')
        .where('namespace', '=', this.namespace)
        .where('created_at', '<', olderThan)
        .where('key', '>', after)
        .orderBy('key')
        .limit(SWEEP_BATCH)
        .execute();
      const doomed = rows.map((r) => r.key).filter((key) => STORAGE_KEY.test(key) && !keep(key));
      if (doomed.length > 0) {
        const result = await this.db
          .deleteFrom('stored_files')
          .where('namespace', '=', this.namespace)
          .where('key', '=', sql<string>`any(${doomed})`)
          .where('created_at', '<', olderThan)
          .executeTakeFirst();
        removed += Number(result.numDeletedRows);
      }
      if (rows.length < SWEEP_BATCH) return removed;
      after = rows[rows.length - 1]!.key;
    }
  }
}

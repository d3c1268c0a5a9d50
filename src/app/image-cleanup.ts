/**
 * Deletes the images of documents that no longer exist (purged from the trash, or gone with their
 * workspace): each stored file first, then its row, so a crash in between only repeats the work.
 * Files that no row names (an upload that crashed between storing and recording) are swept once
 * they are a day old. Runs after every trash purge on the worker role (src/wiring/trash.ts).
 */
import { sql } from 'kysely';
import type { FileStorage } from '../export/ports.ts';
import { withImageTables } from './images.ts';
import type { Sql } from './ports.ts';

const BATCH = 200;
/** An upload stores the bytes a moment before its row exists: younger files are never swept. */
export const UNRECORDED_FILE_GRACE_MS = 24 * 3_600_000;

export class ImageCleaner {
  private readonly db;
  private readonly storage: FileStorage;

  constructor(db: Sql, storage: FileStorage) {
    this.db = withImageTables(db);
    this.storage = storage;
  }

  /** One pass; returns how many files were deleted. */
  async runOnce(now = new Date()): Promise<number> {
    let deleted = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('document_images')
        .select(['id', 'storage_key'])
        .where(sql<boolean>`not exists (select 1 from documents d where d.id = document_images.document_id)`)
        .limit(BATCH)
        .execute();
      for (const r of rows) {
        await this.storage.delete(r.storage_key);
        await this.db.deleteFrom('document_images').where('id', '=', r.id).execute();
        deleted++;
      }
      if (rows.length < BATCH) break;
    }
    const recorded = new Set(
      (await this.db.selectFrom('document_images').select('storage_key').execute()).map((r) => r.storage_key),
    );
    deleted += await this.storage.sweep(new Date(now.getTime() - UNRECORDED_FILE_GRACE_MS), (key) => recorded.has(key));
    return deleted;
  }
}

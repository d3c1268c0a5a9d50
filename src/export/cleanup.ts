/**
 * Retention: finished files are deleted once their time is up or their document was deleted (the
 * job row stays and answers 410), files no job points at (an attempt that lost its lease, a crash
 * between write and record, jobs gone with their workspace) are swept once they are older than the
 * retention time, and old finished job rows are forgotten. The same on every storage backend.
 */
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { ExportSql } from './job-schema.ts';
import type { FileStorage } from './ports.ts';

const EXPIRE_BATCH = 200;
/**
 * Finished jobs (succeeded, failed) are forgotten this long after their file expired: until then
 * the status endpoint still says what happened and downloads answer 410. Dead jobs stay until an
 * admin retries them (the dead-letter queue is for people to read).
 */
export const JOB_HISTORY_AFTER_EXPIRY_MS = 30 * 24 * 3_600_000;

export class ExpiryCleaner {
  private readonly db: ExportSql;
  private readonly storage: FileStorage;
  private readonly logger: Logger;
  private readonly retentionMs: number;
  private readonly onExpired: (count: number) => void;

  constructor(
    db: ExportSql,
    storage: FileStorage,
    deps: { logger: Logger; onExpired: (count: number) => void },
    opts: { retentionMs: number },
  ) {
    this.db = db;
    this.storage = storage;
    this.logger = deps.logger;
    this.onExpired = deps.onExpired;
    this.retentionMs = opts.retentionMs;
  }

  /** One pass: expired results first, then orphaned files. Returns the files deleted. */
  async runOnce(): Promise<number> {
    let expired = 0;
    for (;;) {
      // Expired files, and the files of deleted documents (the job row outlives its document).
      const rows = await this.db
        .selectFrom('export_jobs')
        .select(['id', 'result_key'])
        .where('result_key', 'is not', null)
        .where((eb) =>
          eb.or([
            eb('result_expires_at', '<', sql<Date>`now()`),
            // The one look outside the export tables: a job row outlives its document by design.
            sql<boolean>`not exists (select 1 from documents d where d.id = export_jobs.document_id)`,
          ]),
        )
        .limit(EXPIRE_BATCH)
        .execute();
      for (const r of rows) {
        if (!r.result_key) continue;
        await this.storage.delete(r.result_key);
        // The row keeps (or gets) result_expires_at, so a download after this answers 410 and says since when.
        await this.db
          .updateTable('export_jobs')
          .set({ result_key: null, result_expires_at: sql<Date>`least(result_expires_at, now())` })
          .where('id', '=', r.id)
          .where('result_key', '=', r.result_key)
          .execute();
        expired++;
      }
      if (rows.length < EXPIRE_BATCH) break;
    }
    const forgotten = await this.db
      .deleteFrom('export_jobs')
      .where('status', 'in', ['succeeded', 'failed'])
      .where(
        'finished_at',
        '<',
        sql<Date>`now() - make_interval(secs => ${(this.retentionMs + JOB_HISTORY_AFTER_EXPIRY_MS) / 1000})`,
      )
      .where('result_key', 'is', null)
      .executeTakeFirst();
    if (Number(forgotten.numDeletedRows) > 0) {
      this.logger.info({ jobs: Number(forgotten.numDeletedRows) }, 'old export jobs forgotten');
    }
    const referenced = new Set(
      (await this.db.selectFrom('export_jobs').select('result_key').where('result_key', 'is not', null).execute()).map(
        (r) => r.result_key as string,
      ),
    );
    const orphans = await this.storage.sweep(new Date(Date.now() - this.retentionMs), (key) => referenced.has(key));
    if (expired + orphans > 0) {
      this.onExpired(expired + orphans);
      this.logger.info({ expired, orphans }, 'export files cleaned up');
    }
    return expired + orphans;
  }
}

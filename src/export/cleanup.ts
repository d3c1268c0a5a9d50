/**
 * Retention: finished files are deleted once their time is up (the job row stays and answers 410),
 * and files no job points at (an attempt that lost its lease, a crash between write and record)
 * are swept once they are older than the retention time.
 */
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { ExportSql } from './job-schema.ts';
import type { ExportStorage } from './storage.ts';

const EXPIRE_BATCH = 200;

export class ExpiryCleaner {
  private readonly db: ExportSql;
  private readonly storage: ExportStorage;
  private readonly logger: Logger;
  private readonly retentionMs: number;
  private readonly onExpired: (count: number) => void;

  constructor(
    db: ExportSql,
    storage: ExportStorage,
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
      const rows = await this.db
        .selectFrom('export_jobs')
        .select(['id', 'result_key'])
        .where('result_key', 'is not', null)
        .where('result_expires_at', '<', sql<Date>`now()`)
        .limit(EXPIRE_BATCH)
        .execute();
      for (const r of rows) {
        if (!r.result_key) continue;
        await this.storage.delete(r.result_key);
        // The row keeps result_expires_at, so a download after this answers 410 and says since when.
        await this.db
          .updateTable('export_jobs')
          .set({ result_key: null })
          .where('id', '=', r.id)
          .where('result_key', '=', r.result_key)
          .execute();
        expired++;
      }
      if (rows.length < EXPIRE_BATCH) break;
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

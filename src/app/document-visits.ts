/**
 * Records that a person opened a document, for "Recent" [H5]. Opening happens on every socket
 * connect and page load, so writes are throttled twice: this instance remembers what it wrote in
 * the last interval (bounded LRU), and the upsert itself skips rows written within the interval
 * (other instances). Recording is best effort: a failed write is reported, never surfaced.
 */
import { sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Sql } from './ports.ts';

/** Remembered (user, document) pairs per instance; past this the oldest may be written again. */
const REMEMBERED_MAX = 50_000;

export class DocumentVisits {
  private readonly db: Sql;
  private readonly throttleMs: number;
  private readonly recent: LRUCache<string, true>;
  private readonly onError: (err: unknown) => void;
  private readonly onRecorded: () => void;

  constructor(db: Sql, opts: { throttleMs: number; onError: (err: unknown) => void; onRecorded?: () => void }) {
    this.db = db;
    this.throttleMs = opts.throttleMs;
    this.recent = new LRUCache({ max: REMEMBERED_MAX, ttl: Math.max(1, opts.throttleMs) });
    this.onError = opts.onError;
    this.onRecorded = opts.onRecorded ?? (() => undefined);
  }

  /** Fire and forget; resolves when the write (if any) is done, for tests. */
  record(userId: string, documentId: string): Promise<void> {
    const key = `${userId}:${documentId}`;
    if (this.throttleMs > 0) {
      if (this.recent.has(key)) return Promise.resolve();
      this.recent.set(key, true);
    }
    return this.db
      .insertInto('document_visits')
      .values({ user_id: userId, document_id: documentId, visited_at: sql<Date>`now()` })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'document_id'])
          .doUpdateSet({ visited_at: sql<Date>`now()` })
          .where(
            'document_visits.visited_at',
            '<',
            sql<Date>`now() - make_interval(secs => ${this.throttleMs / 1000})`,
          ),
      )
      .execute()
      .then(
        () => this.onRecorded(),
        (err: unknown) => {
          // A document deleted meanwhile (foreign key) or a busy pool: "Recent" can miss one open.
          this.recent.delete(key);
          this.onError(err);
        },
      );
  }
}

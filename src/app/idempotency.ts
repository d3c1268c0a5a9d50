/**
 * Idempotency keys (draft-ietf-httpapi-idempotency-key-header): the first request with a key
 * claims it, its successful answer is stored for 24 hours, and every later request with the same
 * key from the same user gets that answer again — or 422 when it is a different request, or waits
 * for the first while that one is still running. Failed answers are not stored: a retry runs again.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Sql } from './ports.ts';
import type { DB } from './schema.ts';

interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  fingerprint: Uint8Array;
  status: number | null;
  response_body: string | null;
  response_location: string | null;
  created_at: import('kysely').ColumnType<Date, Date | string | undefined, Date | string>;
}
type IdempotencySql = Kysely<DB & { idempotency_keys: IdempotencyKeysTable }>;

export type StoredAnswer = { status: number; body: string; location: string | null };
export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

export type IdempotencyOptions = {
  /** How long an answer is kept (the draft suggests at least 24 h). */
  retentionMs: number;
  /** A claim whose request never finished (its process died) may be taken over after this. */
  abandonedAfterMs: number;
  /** How long a duplicate waits for the first request to finish before answering 409. */
  waitMs: number;
  pollMs: number;
  /** Expired answers are deleted at most this often (by whichever request comes along). */
  cleanupIntervalMs: number;
};

export const DEFAULT_IDEMPOTENCY: IdempotencyOptions = {
  retentionMs: 24 * 3600_000,
  abandonedAfterMs: 60_000,
  waitMs: 5_000,
  pollMs: 25,
  cleanupIntervalMs: 600_000,
};

export function fingerprintOf(method: string, path: string, body: unknown): Buffer {
  const hash = createHash('sha256').update(`${method} ${path}\n`);
  // A raw body (an imported file) is hashed as the bytes it is, not as JSON of every byte.
  return (body instanceof Uint8Array ? hash.update(body) : hash.update(JSON.stringify(body ?? null))).digest();
}

export class IdempotencyKeys {
  private readonly db: IdempotencySql;
  private readonly opts: IdempotencyOptions;

  private readonly onCleanupError: (err: unknown) => void;
  private lastCleanup = Date.now();

  constructor(
    db: Sql,
    opts: IdempotencyOptions = DEFAULT_IDEMPOTENCY,
    onCleanupError: (err: unknown) => void = () => undefined,
  ) {
    this.db = db.withTables<{ idempotency_keys: IdempotencyKeysTable }>();
    this.opts = opts;
    this.onCleanupError = onCleanupError;
  }

  /** Claims `key` for this request, or says what to answer instead. */
  async claim(userId: string, key: string, fingerprint: Buffer): Promise<Claim> {
    // Expired answers are swept by the requests themselves, at most once per interval per
    // instance: no timer to stop, and an idle instance has nothing new to sweep.
    if (Date.now() - this.lastCleanup > this.opts.cleanupIntervalMs) {
      this.lastCleanup = Date.now();
      this.cleanup().catch(this.onCleanupError);
    }
    const deadline = Date.now() + this.opts.waitMs;
    for (;;) {
      // Expired answers and abandoned claims make way, in the same statement as the new claim.
      await this.db
        .deleteFrom('idempotency_keys')
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .where((eb) =>
          eb.or([
            eb('created_at', '<', sql<Date>`now() - ${sql.lit(`${this.opts.retentionMs} milliseconds`)}::interval`),
            eb.and([
              eb('status', 'is', null),
              eb(
                'created_at',
                '<',
                sql<Date>`now() - ${sql.lit(`${this.opts.abandonedAfterMs} milliseconds`)}::interval`,
              ),
            ]),
          ]),
        )
        .execute();
      const inserted = await this.db
        .insertInto('idempotency_keys')
        .values({ user_id: userId, key, fingerprint })
        .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      if (inserted) return { kind: 'claimed' };
      const row = await this.db
        .selectFrom('idempotency_keys')
        .select(['fingerprint', 'status', 'response_body', 'response_location'])
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .executeTakeFirst();
      if (!row) continue; // released meanwhile: claim again
      if (!Buffer.from(row.fingerprint).equals(fingerprint)) return { kind: 'mismatch' };
      if (row.status !== null) {
        return {
          kind: 'replay',
          answer: { status: row.status, body: row.response_body ?? '', location: row.response_location },
        };
      }
      if (Date.now() >= deadline) return { kind: 'in_progress' };
      await new Promise((r) => setTimeout(r, this.opts.pollMs));
    }
  }

  /** Stores the answer of a claimed key. */
  async complete(userId: string, key: string, answer: StoredAnswer): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({ status: answer.status, response_body: answer.body, response_location: answer.location })
      .where('user_id', '=', userId)
      .where('key', '=', key)
      .execute();
  }

  /** Gives a claimed key up (the request failed): the next request with it runs afresh. */
  async release(userId: string, key: string): Promise<void> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('user_id', '=', userId)
      .where('key', '=', key)
      .where('status', 'is', null)
      .execute();
  }

  /** Deletes answers past their retention; returns how many. */
  async cleanup(): Promise<number> {
    const result = await this.db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<', sql<Date>`now() - ${sql.lit(`${this.opts.retentionMs} milliseconds`)}::interval`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

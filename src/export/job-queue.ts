/**
 * The export queue's statements, each one short transaction on the worker pool: claim (`FOR UPDATE
 * SKIP LOCKED`, per-workspace running cap, lease), lease renewal, and the recorded outcomes. Every
 * outcome is fenced by (worker, attempt): a worker that lost its lease can no longer write.
 */
import { sql } from 'kysely';
import type { ExportSql } from './job-schema.ts';
import type { ExportFormat, ExportThread } from './ports.ts';

/** Candidates looked at per claim; more than one so a capped workspace cannot block the queue. */
const CLAIM_CANDIDATES = 16;
const REAP_BATCH = 100;

export type ClaimedJob = {
  id: string;
  workspaceId: string;
  documentId: string;
  format: ExportFormat;
  title: string;
  /** This try's number (1-based); it fences every write of this try. */
  attempt: number;
  documentExists: boolean;
  pinnedState: Uint8Array | null;
  pinnedUpdates: Uint8Array[];
  /** The comment threads captured with the request [E10]; null when it asked for none. */
  pinnedComments: ExportThread[] | null;
};

export type StoredResult = { key: string; contentType: string; bytes: number };

const ms = (value: number) => sql`make_interval(secs => ${value}::float8 / 1000)`;

/** Columns that (re)arm the completion webhook when a job reaches a final state. */
const armWebhook = {
  webhook_state: sql<'pending' | null>`case when webhook_url is null then null else 'pending' end`,
  webhook_next_at: sql<Date>`now()`,
  webhook_attempts: 0,
};

export class JobQueue {
  private readonly db: ExportSql;
  private readonly workerId: string;

  constructor(db: ExportSql, workerId: string) {
    this.db = db;
    this.workerId = workerId;
  }

  /**
   * Takes the oldest due job of a workspace below its running cap: queued and due, or running
   * with an expired lease (its worker died) and tries left.
   */
  async claim(opts: {
    leaseMs: number;
    maxAttempts: number;
    perWorkspaceRunningMax: number;
  }): Promise<ClaimedJob | null> {
    const cap = opts.perWorkspaceRunningMax;
    return this.db.transaction().execute(async (tx) => {
      const candidates = await sql<{ id: string; workspace_id: string }>`
        select id, workspace_id from export_jobs
        where ((status = 'queued' and run_after <= now())
               or (status = 'running' and lease_expires_at < now() and attempts < ${opts.maxAttempts}))
          and workspace_id not in (
            select workspace_id from export_jobs
            where status = 'running' and lease_expires_at >= now()
            group by workspace_id having count(*) >= ${cap})
        order by run_after, created_at
        limit ${CLAIM_CANDIDATES}
        for update skip locked`.execute(tx);
      for (const c of candidates.rows) {
        // The cap is exact across workers: claims in one workspace take turns on this lock, and
        // each counts after the previous one committed.
        await sql`select pg_advisory_xact_lock(hashtextextended(${`export-cap:${c.workspace_id}`}, 0))`.execute(tx);
        const running = await tx
          .selectFrom('export_jobs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('workspace_id', '=', c.workspace_id)
          .where('status', '=', 'running')
          .where('lease_expires_at', '>=', sql<Date>`now()`)
          .where('id', '<>', c.id)
          .executeTakeFirstOrThrow();
        if (Number(running.n) >= cap) continue;
        const row = await tx
          .updateTable('export_jobs')
          .set({
            status: 'running',
            attempts: sql<number>`attempts + 1`,
            leased_by: this.workerId,
            lease_expires_at: sql<Date>`now() + ${ms(opts.leaseMs)}`,
            started_at: sql<Date>`coalesce(started_at, now())`,
            updated_at: sql<Date>`now()`,
          })
          .where('id', '=', c.id)
          .returning([
            'id',
            'workspace_id',
            'document_id',
            'format',
            'title',
            'attempts',
            'pinned_state',
            'pinned_updates',
            'pinned_comments',
            sql<boolean>`exists (select 1 from documents d where d.id = export_jobs.document_id)`.as('document_exists'),
          ])
          .executeTakeFirstOrThrow();
        return {
          id: row.id,
          workspaceId: row.workspace_id,
          documentId: row.document_id,
          format: row.format,
          title: row.title,
          attempt: row.attempts,
          documentExists: row.document_exists,
          pinnedState: row.pinned_state,
          pinnedUpdates: row.pinned_updates ?? [],
          pinnedComments: row.pinned_comments,
        };
      }
      return null;
    });
  }

  /**
   * Running jobs whose worker vanished during their last allowed try go to the dead-letter
   * queue instead of running a try too many. Returns their ids.
   */
  async reapAbandoned(maxAttempts: number): Promise<string[]> {
    const rows = await this.db
      .updateTable('export_jobs')
      .set({
        status: 'dead',
        error: sql<string>`concat_ws('; ', error, 'the worker running the last allowed attempt stopped responding (its lease expired)')`,
        finished_at: sql<Date>`now()`,
        leased_by: null,
        lease_expires_at: null,
        updated_at: sql<Date>`now()`,
        ...armWebhook,
      })
      .where(
        'id',
        'in',
        sql<string>`(select id from export_jobs where status = 'running' and lease_expires_at < now()
          and attempts >= ${maxAttempts} limit ${REAP_BATCH} for update skip locked)`,
      )
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Extends this try's lease; false when the job is no longer ours (lease expired and reclaimed). */
  async renew(job: ClaimedJob, leaseMs: number): Promise<boolean> {
    const r = await this.fenced(job)
      .set({ lease_expires_at: sql<Date>`now() + ${ms(leaseMs)}` })
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Records the file; false when another worker owns the job by now (its result counts, not ours). */
  async succeed(job: ClaimedJob, result: StoredResult, retentionMs: number): Promise<boolean> {
    const r = await this.fenced(job)
      .set({
        status: 'succeeded',
        error: null,
        result_key: result.key,
        result_content_type: result.contentType,
        result_bytes: result.bytes,
        result_expires_at: sql<Date>`now() + ${ms(retentionMs)}`,
        finished_at: sql<Date>`now()`,
        leased_by: null,
        lease_expires_at: null,
        pinned_state: null,
        pinned_updates: sql<Uint8Array[]>`'{}'`,
        pinned_comments: null,
        updated_at: sql<Date>`now()`,
        ...armWebhook,
      })
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Queues the job again after `delayMs`, keeping the error for the status endpoint. */
  async retryLater(job: ClaimedJob, error: string, delayMs: number): Promise<boolean> {
    const r = await this.fenced(job)
      .set({
        status: 'queued',
        error,
        run_after: sql<Date>`now() + ${ms(delayMs)}`,
        leased_by: null,
        lease_expires_at: null,
        updated_at: sql<Date>`now()`,
      })
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * A final failure: `dead` (dead-letter queue, an admin may retry; the pinned version is kept for
   * that) or `failed` (nothing to retry, e.g. the document is gone).
   */
  async finishFailed(job: ClaimedJob, status: 'dead' | 'failed', error: string): Promise<boolean> {
    const r = await this.fenced(job)
      .set({
        status,
        error,
        finished_at: sql<Date>`now()`,
        leased_by: null,
        lease_expires_at: null,
        updated_at: sql<Date>`now()`,
        ...(status === 'failed' && {
          pinned_state: null,
          pinned_updates: sql<Uint8Array[]>`'{}'`,
          pinned_comments: null,
        }),
        ...armWebhook,
      })
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Shutdown: hands the job back untouched (the interrupted try does not count). */
  async release(job: ClaimedJob): Promise<boolean> {
    const r = await this.fenced(job)
      .set({
        status: 'queued',
        attempts: sql<number>`attempts - 1`,
        run_after: sql<Date>`now()`,
        leased_by: null,
        lease_expires_at: null,
        updated_at: sql<Date>`now()`,
      })
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Fleet-wide queued (including backing off), running and dead-lettered jobs, and how long the
   * oldest job that is due has waited, for the queue gauges. (The dead count scans the table's
   * status column; it runs at most once a second, behind ExportMetrics' snapshot.)
   */
  async depth(): Promise<{ queued: number; running: number; dead: number; oldestDueSeconds: number }> {
    const rows = await this.db
      .selectFrom('export_jobs')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', 'in', ['queued', 'running', 'dead'])
      .groupBy('status')
      .execute();
    const of = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    const now = new Date();
    const oldest = await this.db
      .selectFrom('export_jobs')
      .select((eb) => eb.fn.min('run_after').as('due'))
      .where('status', '=', 'queued')
      .where('run_after', '<=', now)
      .executeTakeFirst();
    const due = oldest?.due ? new Date(oldest.due).getTime() : now.getTime();
    return {
      queued: of('queued'),
      running: of('running'),
      dead: of('dead'),
      oldestDueSeconds: Math.max(0, (now.getTime() - due) / 1000),
    };
  }

  private fenced(job: ClaimedJob) {
    return this.db
      .updateTable('export_jobs')
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .where('leased_by', '=', this.workerId)
      .where('attempts', '=', job.attempt);
  }
}

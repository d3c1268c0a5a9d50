/**
 * Export use cases: request (quota + job + pinned version in one transaction: the outbox), status,
 * download, and the dead-letter administration. Document access is re-checked on every call, so
 * a revoked share hides the job at once.
 */

import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { Conflict, Forbidden, Invalid, NotFound, Unprocessable } from '../domain/errors.ts';
import {
  assertRetryable,
  authorizeExportAdmin,
  EXPORT_COMMENT_CHARS_MAX,
  ExportGone,
  ExportQuotaExceeded,
  type ExportQuotas,
  quotaMonth,
} from '../domain/export-policy.ts';
import { authorizeDocument, canOnDocument } from '../domain/policy.ts';
import type { Plan } from '../domain/roles.ts';
import { type ExportStatus, type ExportTables, withExportTables } from '../export/job-schema.ts';
import type { ExportCommentMode, ExportFormat, FileStorage, StoredFile } from '../export/ports.ts';
import { webhookUrlProblem } from '../export/webhook-target.ts';
import type { PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';
import type { DB } from './schema.ts';

export type ExportJobView = {
  id: string;
  documentId: string;
  workspaceId: string;
  format: ExportFormat;
  /** Which comment threads the file prints [E10]. */
  comments: ExportCommentMode;
  status: ExportStatus;
  attempts: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  downloadUrl?: string;
  expiresAt?: string;
};

export type ExportDownload = { file: StoredFile; contentType: string; filename: string };

export type ExportsOptions = {
  quotas: ExportQuotas;
  allowPrivateWebhooks: boolean;
  /** When set, webhooks are signed with it; otherwise each job gets its own secret, returned once. */
  serverWebhookSecret?: string;
  apiPrefix: string;
  onRequested?: (format: ExportFormat, comments: ExportCommentMode) => void;
  onQuotaRejected?: (plan: Plan) => void;
  now?: () => Date;
};

const EXTENSIONS: Record<ExportFormat, string> = { pdf: 'pdf', docx: 'docx', markdown: 'md', html: 'html' };
const JOB_COLUMNS = [
  'id',
  'workspace_id',
  'document_id',
  'requested_by',
  'format',
  'comments',
  'status',
  'attempts',
  'error',
  'title',
  'created_at',
  'finished_at',
  'result_key',
  'result_content_type',
  'result_expires_at',
] as const;
type JobRow = {
  id: string;
  workspace_id: string;
  document_id: string;
  requested_by: string;
  format: ExportFormat;
  comments: ExportCommentMode;
  status: ExportStatus;
  attempts: number;
  error: string | null;
  title: string;
  created_at: Date;
  finished_at: Date | null;
  result_key: string | null;
  result_content_type: string | null;
  result_expires_at: Date | null;
};

/**
 * [E10] The document's threads (open ones, or all) with their comments and authors' names, as one
 * jsonb value computed inside the statement that pins the document's text: one snapshot for both.
 */
function pinnedThreads(mode: Exclude<ExportCommentMode, 'none'>) {
  return sql`(
    select coalesce(jsonb_agg(jsonb_build_object(
             'id', t.id,
             'anchor', jsonb_build_object('start', t.anchor_start, 'end', t.anchor_end),
             'quote', t.quote,
             'resolved', t.resolved_at is not null,
             'comments', (
               select coalesce(jsonb_agg(jsonb_build_object(
                        'author', coalesce(au.display_name, 'Former member'),
                        'body', c.body,
                        'createdAt', c.created_at) order by c.id), '[]'::jsonb)
               from comments c left join users au on au.id = c.author_id
               where c.thread_id = t.id)
           ) order by t.id), '[]'::jsonb)
    from comment_threads t
    where t.document_id = d.id ${mode === 'open' ? sql`and t.resolved_at is null` : sql``})`;
}

export class Exports {
  private readonly db: Kysely<DB & ExportTables>;
  private readonly permissions: PermissionCache;
  private readonly storage: FileStorage;
  private readonly opts: ExportsOptions;
  private readonly now: () => Date;

  constructor(db: Sql, permissions: PermissionCache, storage: FileStorage, opts: ExportsOptions) {
    this.db = withExportTables(db);
    this.permissions = permissions;
    this.storage = storage;
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Checks and counts the monthly quota, and inserts the job with the document's pinned version,
   * in one transaction: after a 202 the job exists whatever happens to this process.
   */
  async request(
    actor: string,
    documentId: string,
    input: { format: ExportFormat; webhookUrl?: string; comments?: ExportCommentMode },
  ): Promise<ExportJobView & { webhookSecret?: string }> {
    const info = await this.permissions.documentAccess(actor, documentId);
    if (!info) throw new NotFound('document not found');
    authorizeDocument(info, 'document.read');
    const comments = input.comments ?? 'none';
    if (comments !== 'none') {
      // [E10] Comments go into the file only for people who may read them now [C1].
      if (!canOnDocument(info, 'comments.read')) {
        throw new Forbidden(
          "this workspace does not show comments to the document's viewers; export without comments (comments: none)",
        );
      }
      await this.assertCommentsFit(documentId, comments);
    }
    if (input.webhookUrl !== undefined) {
      const problem = webhookUrlProblem(input.webhookUrl, this.opts.allowPrivateWebhooks);
      if (problem) {
        throw new Invalid(`webhookUrl ${problem}`, [{ field: '/webhookUrl', message: problem }]);
      }
    }
    const webhookSecret =
      input.webhookUrl !== undefined && !this.opts.serverWebhookSecret
        ? randomBytes(32).toString('base64url')
        : undefined;
    const now = this.now();
    const month = quotaMonth(now).start.toISOString().slice(0, 10);
    const id = uuidv7();
    const workspaceId = info.document.workspaceId;
    const row = await this.db.transaction().execute(async (tx) => {
      // One statement, one snapshot: the stored state and the log rows belong together even if a
      // compaction commits meanwhile; later edits are not part of this export.
      const inserted = await sql<{ created_at: Date; plan: Plan }>`
        insert into export_jobs (id, workspace_id, document_id, requested_by, format, title,
                                 pinned_state, pinned_updates, pinned_seq, webhook_url, webhook_secret,
                                 comments, pinned_comments)
        select ${id}, d.workspace_id, d.id, ${actor}, ${input.format}, d.title,
               d.state, coalesce(u.updates, '{}'), u.seq, ${input.webhookUrl ?? null}, ${webhookSecret ?? null},
               ${comments}, ${comments === 'none' ? null : pinnedThreads(comments)}
        from documents d
        left join lateral (
          select array_agg(du.update order by du.seq) as updates, max(du.seq) as seq
          from document_updates du where du.document_id = d.id
        ) u on true
        where d.id = ${documentId}
        returning created_at, (select plan from workspaces w where w.id = export_jobs.workspace_id) as plan`.execute(
        tx,
      );
      const created = inserted.rows[0];
      if (!created) throw new NotFound('document not found');
      // The quota row is locked from here to the commit: last, so concurrent requests of one
      // workspace queue on it for as short a time as possible.
      const limit = this.opts.quotas[created.plan];
      const counted =
        limit !== null && limit <= 0
          ? { rows: [] }
          : await sql<{ used: number }>`
              insert into export_quota_usage (workspace_id, month, used) values (${workspaceId}, ${month}, 1)
              on conflict (workspace_id, month) do update set used = export_quota_usage.used + 1
              ${limit === null ? sql`` : sql`where export_quota_usage.used < ${limit}`}
              returning used`.execute(tx);
      if (counted.rows.length === 0) {
        this.opts.onQuotaRejected?.(created.plan);
        // Rolls the job back with the transaction.
        throw new ExportQuotaExceeded(created.plan, limit ?? 0, now);
      }
      return created;
    });
    this.opts.onRequested?.(input.format, comments);
    return {
      id,
      documentId,
      workspaceId,
      format: input.format,
      comments,
      status: 'queued',
      attempts: 0,
      error: null,
      createdAt: new Date(row.created_at).toISOString(),
      finishedAt: null,
      ...(webhookSecret && { webhookSecret }),
    };
  }

  async get(actor: string, jobId: string): Promise<ExportJobView> {
    return this.view(await this.readable(actor, jobId));
  }

  async download(actor: string, jobId: string): Promise<ExportDownload> {
    const job = await this.readable(actor, jobId);
    if (job.status !== 'succeeded') {
      throw new Conflict(`the export is ${job.status}; it can be downloaded once it has succeeded`);
    }
    const expired = (at: Date | null) =>
      new ExportGone(`the export file expired${at ? ` at ${new Date(at).toISOString()}` : ''}; request a new export`);
    if (!job.result_key || (job.result_expires_at && new Date(job.result_expires_at) <= this.now())) {
      throw expired(job.result_expires_at);
    }
    const file = await this.storage.open(job.result_key);
    // Not expired yet the file is gone: storage lost it, or this API instance does not see the
    // workers' storage (operations: one shared EXPORT_STORAGE_DIR). Either way it will not come back.
    if (!file) throw new ExportGone('the export file is no longer in storage; request a new export');
    return {
      file,
      contentType: job.result_content_type ?? 'application/octet-stream',
      filename: `${job.title.trim() || 'Untitled'}.${EXTENSIONS[job.format]}`,
    };
  }

  /** The dead-letter queue of one workspace, newest first (workspace admins and owners). */
  async deadLetters(actor: string, workspaceId: string, limit: number): Promise<ExportJobView[]> {
    authorizeExportAdmin(await this.permissions.workspaceRole(actor, workspaceId), 'workspace not found');
    const rows = await this.db
      .selectFrom('export_jobs')
      .select(JOB_COLUMNS)
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'dead')
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => this.view(r));
  }

  /** Puts a dead-lettered job back in the queue with fresh attempts (workspace admins and owners). */
  async retry(actor: string, jobId: string): Promise<ExportJobView> {
    const job = await this.db.selectFrom('export_jobs').select(JOB_COLUMNS).where('id', '=', jobId).executeTakeFirst();
    if (!job) throw new NotFound('export not found');
    authorizeExportAdmin(await this.permissions.workspaceRole(actor, job.workspace_id), 'export not found');
    assertRetryable(job.status);
    const row = await this.db
      .updateTable('export_jobs')
      .set({
        status: 'queued',
        attempts: 0,
        run_after: sql<Date>`now()`,
        finished_at: null,
        generation: sql<number>`generation + 1`,
        webhook_state: null,
        webhook_attempts: 0,
        webhook_next_at: null,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', jobId)
      .where('status', '=', 'dead')
      .returning(JOB_COLUMNS)
      .executeTakeFirst();
    if (!row) throw new Conflict('the export changed state meanwhile; only dead-lettered exports can be retried');
    return this.view(row);
  }

  /**
   * [E10] A file is not a place for an unbounded amount of comments: the threads' text is
   * measured before anything is written (threads and comments are bounded per document, their
   * text is not in total), and a request past the limit is refused, saying what to do.
   */
  private async assertCommentsFit(documentId: string, mode: Exclude<ExportCommentMode, 'none'>): Promise<void> {
    const open = mode === 'open' ? sql`and t.resolved_at is null` : sql``;
    const size = await sql<{ chars: string | number }>`
      select (select coalesce(sum(length(c.body)), 0)
              from comment_threads t join comments c on c.thread_id = t.id
              where t.document_id = ${documentId} ${open})
           + (select coalesce(sum(length(t.quote)), 0)
              from comment_threads t where t.document_id = ${documentId} ${open}) as chars`.execute(this.db);
    const chars = Number(size.rows[0]?.chars ?? 0);
    if (chars > EXPORT_COMMENT_CHARS_MAX) {
      throw new Unprocessable(
        `the document's comments hold ${chars} characters, more than an export prints (${EXPORT_COMMENT_CHARS_MAX}); ` +
          'export the open threads only, or without comments',
        'export_comments_too_large',
      );
    }
  }

  /**
   * The job, if the caller may read its document now. Once the document is deleted only the
   * person who asked for the export still sees the job (it ends `failed`, saying why).
   */
  private async readable(actor: string, jobId: string): Promise<JobRow> {
    const job = await this.db.selectFrom('export_jobs').select(JOB_COLUMNS).where('id', '=', jobId).executeTakeFirst();
    if (!job) throw new NotFound('export not found');
    const info = await this.permissions.documentAccess(actor, job.document_id);
    if (info) {
      try {
        authorizeDocument(info, 'document.read');
      } catch {
        throw new NotFound('export not found');
      }
      return job;
    }
    const documentGone = !(await this.db
      .selectFrom('documents')
      .select('id')
      .where('id', '=', job.document_id)
      .executeTakeFirst());
    if (documentGone && job.requested_by === actor) return job;
    throw new NotFound('export not found');
  }

  private view(r: JobRow): ExportJobView {
    const downloadable =
      r.status === 'succeeded' && r.result_key && (!r.result_expires_at || new Date(r.result_expires_at) > this.now());
    return {
      id: r.id,
      documentId: r.document_id,
      workspaceId: r.workspace_id,
      format: r.format,
      comments: r.comments,
      status: r.status,
      attempts: r.attempts,
      error: r.error,
      createdAt: new Date(r.created_at).toISOString(),
      finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
      ...(downloadable && { downloadUrl: `${this.opts.apiPrefix}/exports/${r.id}/download` }),
      ...(r.status === 'succeeded' &&
        r.result_expires_at && { expiresAt: new Date(r.result_expires_at).toISOString() }),
    };
  }
}

/**
 * Row types of the export tables (migrations/0004), and the Kysely view of them. The export
 * pipeline queries only its own tables, so it needs none of the app's schema; the API's export
 * use cases see both (`withExportTables` on the app's query port).
 */
import type { ColumnType, Kysely } from 'kysely';
import type { ExportCommentMode, ExportFormat, ExportThread } from './ports.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type ExportStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'dead';
export type WebhookState = 'pending' | 'delivered' | 'failed';

export interface ExportJobsTable {
  id: string;
  workspace_id: string;
  document_id: string;
  requested_by: string;
  format: ExportFormat;
  status: ColumnType<ExportStatus, ExportStatus | undefined, ExportStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  run_after: Timestamp;
  leased_by: string | null;
  lease_expires_at: Timestamp | null;
  title: string;
  pinned_state: Uint8Array | null;
  pinned_updates: ColumnType<Uint8Array[], Uint8Array[] | undefined, Uint8Array[]>;
  pinned_seq: number | null;
  comments: ColumnType<ExportCommentMode, ExportCommentMode | undefined, ExportCommentMode>;
  /** The threads captured with the request (migrations/0026), until the job is done. */
  pinned_comments: ColumnType<ExportThread[] | null, string | null | undefined, string | null>;
  error: string | null;
  result_key: string | null;
  result_content_type: string | null;
  result_bytes: number | null;
  result_expires_at: Timestamp | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  webhook_state: WebhookState | null;
  webhook_attempts: ColumnType<number, number | undefined, number>;
  webhook_next_at: Timestamp | null;
  webhook_last_error: string | null;
  webhook_delivered_at: Timestamp | null;
  generation: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface ExportQuotaUsageTable {
  workspace_id: string;
  month: ColumnType<Date, Date | string, Date | string>;
  used: number;
}

export type ExportTables = { export_jobs: ExportJobsTable; export_quota_usage: ExportQuotaUsageTable };
export type ExportSql = Kysely<ExportTables>;

/** The shared query builder, typed with the export tables too. */
export const withExportTables = <D>(db: Kysely<D>): Kysely<D & ExportTables> => db.withTables<ExportTables>();

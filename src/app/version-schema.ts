/** Row types of the version-history tables (migrations/0013_document_versions.sql); DB extends them. */
import type { ColumnType } from 'kysely';

type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type VersionKind = 'auto' | 'named' | 'restore' | 'pre-restore';

export interface DocumentVersionsTable {
  id: string;
  document_id: string;
  created_at: DefaultedTimestamp;
  kind: VersionKind;
  name: string | null;
  created_by: string | null;
  contributors: ColumnType<string[], string[] | undefined, string[]>;
  restored_from: string | null;
  state: Uint8Array;
  state_bytes: number;
  state_hash: Uint8Array;
}

export interface DocumentVersionAuthorsTable {
  document_id: string;
  user_id: string;
  last_edit_at: DefaultedTimestamp;
}

export interface DocumentClientsTable {
  document_id: string;
  client_id: ColumnType<string, number | string, number | string>;
  user_id: string;
}

export interface VersionTables {
  document_versions: DocumentVersionsTable;
  document_version_authors: DocumentVersionAuthorsTable;
  document_clients: DocumentClientsTable;
}

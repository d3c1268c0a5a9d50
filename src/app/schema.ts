/**
 * Row types of the tables in `migrations/`, as the use cases query them. Kysely over these types is
 * the app's query port (docs/architecture.md "Query port"); the adapters in src/adapters/sql open it.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { GeneralAccess } from '../domain/roles.ts';
import type { AccountTables } from './auth/account-schema.ts';
import type { CommentTables } from './comment-schema.ts';
import type { VersionTables } from './version-schema.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  id: string;
  email: string;
  display_name: string;
  password_hash: string | null;
  external_subject: string | null;
  created_at: DefaultedTimestamp;
  /** Access tokens issued before it are refused: "sign out everywhere" (migration 0017) [A9]. */
  sessions_revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** A link mailed to this email was used: it reaches its owner (migration 0018) [I6]. */
  email_verified_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  plan: ColumnType<'free' | 'business' | 'enterprise', 'free' | 'business' | 'enterprise' | undefined>;
  rate_limit_per_second: number | null;
  created_by: string;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  /** Demotes and removes owners; cannot leave until they hand it over (migration 0016) [P9]. */
  primary_owner_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Viewers see comments and version history (migration 0021) [C1] [V6]. */
  viewers_browse: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface WorkspaceMembersTable {
  workspace_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'member' | 'guest';
  created_at: DefaultedTimestamp;
}

export interface DocumentsTable {
  id: string;
  workspace_id: string;
  title: string;
  created_by: string;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  content: ColumnType<unknown, string | null | undefined, string | null>;
  content_text: ColumnType<string, string | undefined, string>;
  state: Uint8Array | null;
  state_clock: ColumnType<number, number | undefined, number>;
  title_search: ColumnType<string, never, never>;
  /** Set while the document is in the trash (migration 0011). */
  trashed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  trashed_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** What workspace members may do without a share (migration 0015) [P7]. */
  general_access: ColumnType<GeneralAccess, GeneralAccess | undefined, GeneralAccess>;
  /** The owner (migration 0015; an insert without one gets created_by) [P8]. */
  owner_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Kept by triggers from documents.content_text (migration 0008); never written by the app. */
export interface DocumentSearchTable {
  document_id: string;
  workspace_id: string;
  content_updated_at: Date;
  body: string;
}

/** Comments' text and vector per document, kept by triggers (migration 0025) [C8]. */
export interface CommentSearchTable {
  document_id: string;
  workspace_id: string;
  updated_at: Date;
  text: string;
  body: string;
}

export interface DocumentUpdatesTable {
  document_id: string;
  seq: ColumnType<number, number | undefined, never>;
  update: Uint8Array;
  created_at: DefaultedTimestamp;
}

export interface DocumentSharesTable {
  document_id: string;
  user_id: string;
  role: 'editor' | 'commenter' | 'viewer';
  created_at: DefaultedTimestamp;
  /** Who shared (null for shares made before migration 0011, or whose sharer left). */
  shared_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface DocumentStarsTable {
  user_id: string;
  document_id: string;
  created_at: DefaultedTimestamp;
}

/** When a person last opened a document ("Recent"); written at most once per throttle interval. */
export interface DocumentVisitsTable {
  user_id: string;
  document_id: string;
  visited_at: DefaultedTimestamp;
}

export interface RefreshTokensTable {
  id: string;
  user_id: string;
  family_id: string;
  token_hash: Uint8Array;
  expires_at: Timestamp;
  created_at: DefaultedTimestamp;
  rotated_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: ColumnType<string, string | undefined, string>;
  public_jwk: ColumnType<Record<string, unknown>, string, string>;
  private_jwk: ColumnType<Record<string, unknown>, string, string>;
  created_at: DefaultedTimestamp;
  retired_at: Timestamp | null;
}

export interface OutboxEventsTable {
  id: Generated<number>;
  channel: string;
  payload: ColumnType<unknown, string, string>;
  created_at: DefaultedTimestamp;
}

/** A document whose CRDT data cannot be served within budget (migration 0012). */
export interface DocumentQuarantineTable {
  document_id: string;
  reason: string;
  detail: ColumnType<unknown, string | undefined, string>;
  quarantined_at: DefaultedTimestamp;
}

/** The client ids a repair retired (their state vector), per document (migration 0012). */
export interface DocumentRepairsTable {
  document_id: string;
  retired_vector: Uint8Array;
  repaired_at: DefaultedTimestamp;
}

/** Messages still to deliver (migration 0010); a row is deleted once delivered or given up on. */
export interface MailOutboxTable {
  id: string;
  kind: string;
  recipient: string;
  subject: string;
  body_text: string;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: DefaultedTimestamp;
  last_error: string | null;
  created_at: DefaultedTimestamp;
}

export interface PasswordResetsTable {
  token_hash: Uint8Array;
  user_id: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: DefaultedTimestamp;
}

export interface InvitationsTable {
  id: string;
  workspace_id: string;
  /** Null: an invitation to the workspace; otherwise to this document (role is a share role). */
  document_id: string | null;
  email: string;
  role: string;
  token_hash: Uint8Array;
  invited_by: string | null;
  created_at: DefaultedTimestamp;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  accepted_by: string | null;
  revoked_at: Timestamp | null;
  /** Declined by its invitee in the app (revoked_at is set too; migration 0023) [I6]. */
  declined_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface WorkspaceInviteLinksTable {
  id: string;
  workspace_id: string;
  role: 'member' | 'guest';
  token_hash: Uint8Array;
  created_by: string | null;
  created_at: DefaultedTimestamp;
  expires_at: Timestamp;
  max_uses: number | null;
  uses: ColumnType<number, number | undefined, number>;
  revoked_at: Timestamp | null;
}

/** The tables; comment tables live in comment-schema.ts, version-history tables in version-schema.ts (issue 14), email changes in auth/account-schema.ts. */
export interface DB extends CommentTables, VersionTables, AccountTables {
  users: UsersTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  documents: DocumentsTable;
  document_updates: DocumentUpdatesTable;
  document_shares: DocumentSharesTable;
  document_search: DocumentSearchTable;
  comment_search: CommentSearchTable;
  document_stars: DocumentStarsTable;
  document_visits: DocumentVisitsTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  outbox_events: OutboxEventsTable;
  document_quarantine: DocumentQuarantineTable;
  document_repairs: DocumentRepairsTable;
  mail_outbox: MailOutboxTable;
  password_resets: PasswordResetsTable;
  invitations: InvitationsTable;
  workspace_invite_links: WorkspaceInviteLinksTable;
}

export type UserRow = Selectable<UsersTable>;
export type WorkspaceRow = Selectable<WorkspacesTable>;
export type DocumentRow = Selectable<DocumentsTable>;
export type NewDocument = Insertable<DocumentsTable>;

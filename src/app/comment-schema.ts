/** Row types of the comment tables (migrations/0014_comments_notifications.sql), part of the query port's DB. */
import type { ColumnType } from 'kysely';

type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface CommentThreadsTable {
  id: string;
  document_id: string;
  created_by: string | null;
  anchor_start: string;
  anchor_end: string;
  quote: ColumnType<string, string | undefined, string>;
  resolved_at: NullableTimestamp;
  resolved_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface CommentsTable {
  id: string;
  thread_id: string;
  author_id: string | null;
  body: string;
  mentions: ColumnType<string[], string[] | undefined, string[]>;
  created_at: DefaultedTimestamp;
  edited_at: NullableTimestamp;
}

export type NotificationKind = 'mention' | 'reply';

export interface NotificationsTable {
  id: string;
  user_id: string;
  kind: NotificationKind;
  document_id: string;
  thread_id: string;
  comment_id: string;
  actor_id: string | null;
  created_at: DefaultedTimestamp;
  read_at: NullableTimestamp;
  emailed_at: NullableTimestamp;
}

export type EmailSetting = 'digest' | 'off';

export interface NotificationSettingsTable {
  user_id: string;
  email: ColumnType<EmailSetting, EmailSetting | undefined, EmailSetting>;
  updated_at: DefaultedTimestamp;
}

export interface CommentTables {
  comment_threads: CommentThreadsTable;
  comments: CommentsTable;
  notifications: NotificationsTable;
  notification_settings: NotificationSettingsTable;
}

/** Row types of the account-security tables (migrations/0018_account_email_changes.sql), part of the query port's DB. */
import type { ColumnType } from 'kysely';

type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface EmailChangesTable {
  token_hash: Uint8Array;
  user_id: string;
  new_email: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: DefaultedTimestamp;
}

export interface AccountTables {
  email_changes: EmailChangesTable;
}

/** A person's own account settings: their display name, as others see it in shares, lists and comments. */
import { NotFound } from '../../domain/errors.ts';
import type { Sql } from '../ports.ts';
import { type PublicUser, toPublicUser } from './accounts.ts';

export class AccountSettings {
  private readonly db: Sql;

  constructor(db: Sql) {
    this.db = db;
  }

  /** Trimmed; the schema already refused an empty or oversized name. */
  async rename(actor: string, displayName: string): Promise<PublicUser> {
    const row = await this.db
      .updateTable('users')
      .set({ display_name: displayName.trim() || displayName })
      .where('id', '=', actor)
      .returning(['id', 'email', 'display_name', 'created_at'])
      .executeTakeFirst();
    if (!row) throw new NotFound('account not found');
    return toPublicUser(row);
  }
}

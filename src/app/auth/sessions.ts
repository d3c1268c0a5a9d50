/**
 * A person's own sign-in sessions (docs/spec/auth.md [A9]): each refresh-token family is one
 * session (one device or browser log-in). Listed with when it started and was last refreshed,
 * revoked one at a time, or all at once ("sign out everywhere"), which also stamps the account so
 * access tokens issued before it stop working (see Authenticator) instead of living out their
 * 15 minutes.
 */
import { sql } from 'kysely';
import { NotFound } from '../../domain/errors.ts';
import { withSpan } from '../../observability/tracing.ts';
import type { Sql } from '../ports.ts';

export type SessionView = { id: string; startedAt: string; lastActiveAt: string; expiresAt: string };

/** More than anyone signs in from; bounds the list. */
const MAX_SESSIONS_LISTED = 200;

export class AccountSessions {
  private readonly db: Sql;
  private readonly onSignedOutEverywhere: (userId: string, sessions: number) => void;

  constructor(db: Sql, onSignedOutEverywhere: (userId: string, sessions: number) => void = () => undefined) {
    this.db = db;
    this.onSignedOutEverywhere = onSignedOutEverywhere;
  }

  /** The caller's live sessions, most recently active first. */
  async list(actor: string): Promise<SessionView[]> {
    const rows = await this.db
      .selectFrom('refresh_tokens')
      .select([
        'family_id',
        sql<Date>`min(created_at)`.as('started_at'),
        sql<Date>`max(created_at)`.as('last_active_at'),
        sql<Date>`max(expires_at)`.as('expires_at'),
      ])
      .where('user_id', '=', actor)
      .groupBy('family_id')
      // Live: not revoked, and its newest token not rotated (unused) and not expired.
      .having(sql<boolean>`bool_and(revoked_at is null)`)
      .having(sql<boolean>`bool_or(rotated_at is null and expires_at > now())`)
      .orderBy(sql`max(created_at)`, 'desc')
      .limit(MAX_SESSIONS_LISTED)
      .execute();
    return rows.map((r) => ({
      id: r.family_id,
      startedAt: new Date(r.started_at).toISOString(),
      lastActiveAt: new Date(r.last_active_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
    }));
  }

  /** Ends one session: its refresh token no longer refreshes (its access token expires on its own). */
  async revoke(actor: string, sessionId: string): Promise<void> {
    const r = await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where('user_id', '=', actor)
      .where('family_id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new NotFound('session not found');
  }

  /** Ends every session, this one included, and invalidates every access token issued until now. */
  async revokeAll(actor: string): Promise<number> {
    return withSpan('auth.sign_out_everywhere', {}, async () => {
      const revoked = await this.db.transaction().execute(async (tx) => {
        const r = await tx
          .updateTable('refresh_tokens')
          .set({ revoked_at: new Date() })
          .where('user_id', '=', actor)
          .where('revoked_at', 'is', null)
          .returning('family_id')
          .execute();
        await tx.updateTable('users').set({ sessions_revoked_at: sql`now()` }).where('id', '=', actor).execute();
        return new Set(r.map((x) => x.family_id)).size;
      });
      this.onSignedOutEverywhere(actor, revoked);
      return revoked;
    });
  }
}

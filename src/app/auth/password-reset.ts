/**
 * Password reset by emailed one-time link [A8]: asking always gets the same answer whether or not
 * the email has an account (no enumeration), is throttled per client address (429) and per email
 * (silently: nobody can flood someone's inbox, and the answer stays the same); the link lives
 * PASSWORD_RESET_TTL_MINUTES, works once, and using it sets a new password (sign-up's rules) and
 * revokes every refresh token of the account — every session ends (access tokens expire on
 * their own within ACCESS_TOKEN_TTL_SECONDS).
 */
import { Gone, RateLimited } from '../../domain/errors.ts';
import type { MailOutbox } from '../mail-outbox.ts';
import { hashLinkToken, linkWithToken, newLinkToken } from '../one-time-tokens.ts';
import type { CounterStore, Sql } from '../ports.ts';
import { assertUsablePassword } from './password-rules.ts';
import { hashPassword } from './passwords.ts';

const HOUR_SECONDS = 3600;
/** Tokens we issue are 43 base64url characters; anything else is not one of ours. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export type PasswordResetOptions = {
  publicUrl: string;
  ttlMinutes: number;
  maxPerEmailPerHour: number;
  maxPerIpPerHour: number;
  scryptCost: number;
  /** requested: a link was sent; unknown: no such account (nothing sent); throttled: per email. */
  onRequest?: (outcome: 'requested' | 'unknown' | 'throttled') => void;
  onConfirm?: (outcome: 'reset' | 'expired' | 'used' | 'unknown') => void;
};

export class PasswordResets {
  private readonly db: Sql;
  private readonly counters: CounterStore;
  private readonly outbox: MailOutbox;
  private readonly opts: PasswordResetOptions;

  constructor(db: Sql, counters: CounterStore, outbox: MailOutbox, opts: PasswordResetOptions) {
    this.db = db;
    this.counters = counters;
    this.outbox = outbox;
    this.opts = opts;
  }

  /** Sends a reset link if an account has this email; answers the same either way. */
  async request(input: { email: string; ip: string }): Promise<void> {
    const email = input.email.trim().toLowerCase();
    const byIp = await this.counters.increment(`pwreset:ip:${input.ip}`, HOUR_SECONDS);
    if (byIp.count > this.opts.maxPerIpPerHour) {
      throw new RateLimited('too many password reset requests from this address; try again later', byIp.resetInSeconds);
    }
    // Counted for unknown emails too, so the limit itself reveals nothing.
    const byEmail = await this.counters.increment(`pwreset:email:${email}`, HOUR_SECONDS);
    if (byEmail.count > this.opts.maxPerEmailPerHour) {
      this.opts.onRequest?.('throttled');
      return;
    }
    const user = await this.db
      .selectFrom('users')
      .select(['id', 'email', 'display_name', 'password_hash'])
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
      .executeTakeFirst();
    // Accounts of an external identity provider have no password here to reset.
    if (!user?.password_hash) {
      this.opts.onRequest?.('unknown');
      return;
    }
    const token = newLinkToken();
    const link = linkWithToken(this.opts.publicUrl, '/reset-password', token);
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('password_resets')
        .values({
          token_hash: hashLinkToken(token),
          user_id: user.id,
          expires_at: new Date(Date.now() + this.opts.ttlMinutes * 60_000),
        })
        .execute();
      await this.outbox.enqueue(tx, 'password-reset', {
        to: user.email,
        subject: 'Reset your Collab Docs password',
        text:
          `Hello ${user.display_name},\n\n` +
          `Someone (hopefully you) asked to reset the password of your Collab Docs account.\n` +
          `Choose a new password here; the link works once, for ${this.opts.ttlMinutes} minutes:\n\n` +
          `${link}\n\n` +
          `Using it signs you out everywhere. If you did not ask, ignore this email: your password stays as it is.\n`,
      });
    });
    this.outbox.wake();
    this.opts.onRequest?.('requested');
  }

  /** Sets the new password and ends every session of the account; the link is spent. */
  async confirm(input: { token: string; password: string }): Promise<void> {
    assertUsablePassword(input.password);
    const passwordHash = await hashPassword(input.password, this.opts.scryptCost);
    const outcome = await this.db.transaction().execute(async (tx) => {
      const row = TOKEN_SHAPE.test(input.token)
        ? await tx
            .selectFrom('password_resets')
            .select(['user_id', 'expires_at', 'used_at'])
            .where('token_hash', '=', hashLinkToken(input.token))
            .forUpdate()
            .executeTakeFirst()
        : undefined;
      if (!row) return 'unknown' as const;
      if (row.used_at) return 'used' as const;
      if (row.expires_at.getTime() <= Date.now()) return 'expired' as const;
      const now = new Date();
      // Every outstanding link of the account is spent with this one.
      await tx
        .updateTable('password_resets')
        .set({ used_at: now })
        .where('user_id', '=', row.user_id)
        .where('used_at', 'is', null)
        .execute();
      // The link reached the account's inbox: its email is verified [I6].
      await tx
        .updateTable('users')
        .set({ password_hash: passwordHash, email_verified_at: now })
        .where('id', '=', row.user_id)
        .execute();
      await tx
        .updateTable('refresh_tokens')
        .set({ revoked_at: now })
        .where('user_id', '=', row.user_id)
        .where('revoked_at', 'is', null)
        .execute();
      return 'reset' as const;
    });
    this.opts.onConfirm?.(outcome);
    if (outcome === 'used') {
      throw new Gone('this password reset link was already used; ask for a new one if you still need it', 'link_used');
    }
    if (outcome === 'expired') {
      throw new Gone(
        `this password reset link has expired (links work for ${this.opts.ttlMinutes} minutes); ask for a new one`,
        'link_expired',
      );
    }
    if (outcome === 'unknown') {
      throw new Gone('this password reset link is not valid; ask for a new one', 'link_unknown');
    }
  }
}

/**
 * Changing what proves who someone is (docs/spec/auth.md [A10] [A11]): the password (the current
 * one required; every other session ends, the device that changed it goes on with a fresh one)
 * and the email (the current password required; a one-time link mailed to the new address makes
 * the change, a notice goes to the old one). The current password is checked here for account
 * deletion too; its failures are counted per account (LOGIN_MAX_FAILURES_PER_ACCOUNT per
 * LOGIN_FAILURE_WINDOW_SECONDS, then 429), so a stolen session cannot guess it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { Conflict, Forbidden, Gone, Invalid, RateLimited } from '../../domain/errors.ts';
import { withSpan } from '../../observability/tracing.ts';
import type { MailOutbox } from '../mail-outbox.ts';
import { hashLinkToken, linkWithToken, newLinkToken } from '../one-time-tokens.ts';
import { type CounterStore, type Sql, UniqueViolation } from '../ports.ts';
import type { Accounts, Session } from './accounts.ts';
import { assertUsablePassword } from './password-rules.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

const HOUR_SECONDS = 3600;
/** Tokens we issue are 43 base64url characters; anything else is not one of ours. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export type AccountSecurityOptions = {
  publicUrl: string;
  /** Life of an email-change link (PASSWORD_RESET_TTL_MINUTES: the same 15 minutes). */
  linkTtlMinutes: number;
  /** Email-change requests per account per hour (PASSWORD_RESET_MAX_PER_EMAIL_PER_HOUR), then 429. */
  maxEmailChangesPerHour: number;
  maxPasswordFailures: number;
  passwordFailureWindowSeconds: number;
  scryptCost: number;
  onPasswordChanged?: (userId: string, sessionsEnded: number) => void;
  onPasswordRejected?: (reason: 'wrong_password' | 'throttled') => void;
  onEmailChange?: (step: 'request' | 'confirm', outcome: string) => void;
};

/** The account as a re-authenticated request sees it. */
export type ProvenAccount = { id: string; email: string; displayName: string };

/** Masks an address for a notice to someone else's inbox: `n***@example.com`. */
const masked = (email: string): string => email.replace(/^(.)[^@]*/, '$1***');

export class AccountSecurity {
  private readonly db: Sql;
  private readonly counters: CounterStore;
  private readonly outbox: MailOutbox;
  private readonly accounts: Accounts;
  private readonly opts: AccountSecurityOptions;

  constructor(db: Sql, counters: CounterStore, outbox: MailOutbox, accounts: Accounts, opts: AccountSecurityOptions) {
    this.db = db;
    this.counters = counters;
    this.outbox = outbox;
    this.accounts = accounts;
    this.opts = opts;
  }

  /**
   * The caller's current password, checked (throttled per account). Accounts of an external
   * identity provider have none here: they cannot use what needs it (403 says so).
   */
  async verifyCurrentPassword(actor: string, password: string): Promise<ProvenAccount> {
    const key = `reauth:user:${actor}`;
    const failures = await this.counters.peek(key);
    if (failures.count >= this.opts.maxPasswordFailures) {
      this.opts.onPasswordRejected?.('throttled');
      throw new RateLimited('too many wrong passwords; try again later', failures.resetInSeconds);
    }
    const user = await this.db
      .selectFrom('users')
      .select(['id', 'email', 'display_name', 'password_hash'])
      .where('id', '=', actor)
      .executeTakeFirst();
    if (!user?.password_hash) {
      throw new Forbidden('this account signs in through your identity provider and has no password here');
    }
    if (!(await verifyPassword(password, user.password_hash))) {
      await this.counters.increment(key, this.opts.passwordFailureWindowSeconds);
      this.opts.onPasswordRejected?.('wrong_password');
      throw new Forbidden('your current password is not right');
    }
    await this.counters.reset(key);
    return { id: user.id, email: user.email, displayName: user.display_name };
  }

  /**
   * Sets a new password (sign-up's rules [A6]). Every session ends — refresh tokens revoked,
   * access tokens issued until now refused [A9] — and the caller gets a new session, so the
   * device that changed it stays signed in. Outstanding reset links are spent.
   */
  async changePassword(actor: string, input: { currentPassword: string; newPassword: string }): Promise<Session> {
    return withSpan('auth.change_password', {}, async () => {
      await this.verifyCurrentPassword(actor, input.currentPassword);
      assertUsablePassword(input.newPassword, '/newPassword');
      if (input.newPassword === input.currentPassword) {
        const message = 'is the same as your current password; choose a new one';
        throw new Invalid(`newPassword ${message}`, [{ field: '/newPassword', message }]);
      }
      const passwordHash = await hashPassword(input.newPassword, this.opts.scryptCost);
      const ended = await this.db.transaction().execute(async (tx) => {
        const now = new Date();
        await tx
          .updateTable('users')
          .set({ password_hash: passwordHash, sessions_revoked_at: sql`now()` })
          .where('id', '=', actor)
          .execute();
        await tx
          .updateTable('password_resets')
          .set({ used_at: now })
          .where('user_id', '=', actor)
          .where('used_at', 'is', null)
          .execute();
        const r = await tx
          .updateTable('refresh_tokens')
          .set({ revoked_at: now })
          .where('user_id', '=', actor)
          .where('revoked_at', 'is', null)
          .returning('family_id')
          .execute();
        return new Set(r.map((x) => x.family_id)).size;
      });
      this.opts.onPasswordChanged?.(actor, ended);
      await this.afterCutoffSecond(actor);
      return this.accounts.openSession(actor);
    });
  }

  /**
   * Mails a one-time link to `newEmail` that makes it the account's email when used, and a notice
   * to the current address. Answers the same whether or not another account has that email; the
   * link then fails when used [A11]. Asking for the current email again verifies it [I6].
   */
  async requestEmailChange(actor: string, input: { currentPassword: string; email: string }): Promise<void> {
    return withSpan('auth.email_change.request', {}, async () => {
      const me = await this.verifyCurrentPassword(actor, input.currentPassword);
      const hit = await this.counters.increment(`emailchange:user:${actor}`, HOUR_SECONDS);
      if (hit.count > this.opts.maxEmailChangesPerHour) {
        this.opts.onEmailChange?.('request', 'throttled');
        throw new RateLimited('too many email change requests; try again later', hit.resetInSeconds);
      }
      const newEmail = input.email.trim();
      const sameAddress = newEmail.toLowerCase() === me.email.toLowerCase();
      const token = newLinkToken();
      const link = linkWithToken(this.opts.publicUrl, '/confirm-email', token);
      const ttl = this.opts.linkTtlMinutes;
      await this.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('email_changes')
          .values({
            token_hash: hashLinkToken(token),
            user_id: actor,
            new_email: newEmail,
            expires_at: new Date(Date.now() + ttl * 60_000),
          })
          .execute();
        await this.outbox.enqueue(tx, 'email-change', {
          to: newEmail,
          subject: sameAddress ? 'Confirm your Collab Docs email' : 'Confirm your new Collab Docs email',
          text:
            `Hello ${me.displayName},\n\n` +
            (sameAddress
              ? 'Confirm that this address is the email of your Collab Docs account.\n'
              : 'Someone (hopefully you) asked to make this address the email of a Collab Docs account.\n') +
            `Confirm it here; the link works once, for ${ttl} minutes:\n\n${link}\n\n` +
            'If you did not ask, ignore this email: nothing changes unless the link is used.\n',
        });
        if (!sameAddress) {
          await this.outbox.enqueue(tx, 'email-change', {
            to: me.email,
            subject: 'Your Collab Docs email is about to change',
            text:
              `Hello ${me.displayName},\n\n` +
              `Someone signed in to your Collab Docs account with its password asked to change its email to ` +
              `${masked(newEmail)}. The change happens only if the link sent to that address is used within ` +
              `${ttl} minutes.\n\n` +
              'If this was not you, change your password now (Account settings), which signs everyone else out.\n',
          });
        }
      });
      this.outbox.wake();
      this.opts.onEmailChange?.('request', 'requested');
    });
  }

  /**
   * Makes the link's address the account's email (and marks it verified); every other outstanding
   * link of the account is spent. Sessions go on: the person proved both the password and the new
   * inbox, and tokens do not depend on the email. 409 when another account has the address by now.
   */
  async confirmEmailChange(token: string): Promise<void> {
    return withSpan('auth.email_change.confirm', {}, async () => {
      let outcome: 'changed' | 'verified' | 'expired' | 'used' | 'unknown' | 'taken';
      try {
        outcome = await this.db.transaction().execute(async (tx) => {
          const row = TOKEN_SHAPE.test(token)
            ? await tx
                .selectFrom('email_changes')
                .innerJoin('users', 'users.id', 'email_changes.user_id')
                .select(['email_changes.user_id', 'new_email', 'expires_at', 'used_at', 'users.email'])
                .where('token_hash', '=', hashLinkToken(token))
                .forUpdate()
                .executeTakeFirst()
            : undefined;
          if (!row) return 'unknown' as const;
          if (row.used_at) return 'used' as const;
          if (row.expires_at.getTime() <= Date.now()) return 'expired' as const;
          const taken = await tx
            .selectFrom('users')
            .select('id')
            .where((eb) => eb(eb.fn('lower', ['email']), '=', row.new_email.toLowerCase()))
            .where('id', '!=', row.user_id)
            .executeTakeFirst();
          if (taken) return 'taken' as const;
          const now = new Date();
          await tx
            .updateTable('users')
            .set({ email: row.new_email, email_verified_at: now })
            .where('id', '=', row.user_id)
            .execute();
          await tx
            .updateTable('email_changes')
            .set({ used_at: now })
            .where('user_id', '=', row.user_id)
            .where('used_at', 'is', null)
            .execute();
          return row.email.toLowerCase() === row.new_email.toLowerCase() ? ('verified' as const) : ('changed' as const);
        });
      } catch (err) {
        // Another account took the address between the check and the update.
        if (!(err instanceof UniqueViolation)) throw err;
        outcome = 'taken';
      }
      this.opts.onEmailChange?.('confirm', outcome);
      if (outcome === 'taken') {
        throw new Conflict(
          'another account already uses this email address, so it cannot become your email; nothing was changed',
        );
      }
      if (outcome === 'used') {
        throw new Gone(
          'this email confirmation link was already used; ask for a new one if you still need it',
          'link_used',
        );
      }
      if (outcome === 'expired') {
        throw new Gone(
          `this email confirmation link has expired (links work for ${this.opts.linkTtlMinutes} minutes); ask for a new one`,
          'link_expired',
        );
      }
      if (outcome === 'unknown')
        throw new Gone('this email confirmation link is not valid; ask for a new one', 'link_unknown');
    });
  }

  /**
   * Access tokens carry whole-second `iat`s and the cutoff refuses every token of its own second
   * [A9]: the new session's token must be signed in a later second, so wait for it (under 1 s).
   */
  private async afterCutoffSecond(actor: string): Promise<void> {
    const row = await this.db
      .selectFrom('users')
      .select('sessions_revoked_at')
      .where('id', '=', actor)
      .executeTakeFirst();
    const cutoff = row?.sessions_revoked_at?.getTime() ?? 0;
    const nextSecond = (Math.floor(cutoff / 1000) + 1) * 1000;
    const wait = nextSecond - Date.now();
    if (wait > 0) await sleep(wait + 1);
  }
}

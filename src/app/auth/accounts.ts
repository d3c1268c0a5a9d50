/**
 * Account use cases: sign up, log in (throttled per account and per IP), rotate refresh tokens
 * (reuse of a rotated token revokes its whole family), log out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { Conflict, RateLimited, Unauthenticated } from '../../domain/errors.ts';
import { type CounterStore, type Sql, UniqueViolation } from '../ports.ts';
import { assertUsablePassword } from './password-rules.ts';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.ts';
import type { SigningKeys } from './signing-keys.ts';

export type PublicUser = { id: string; email: string; displayName: string; createdAt: string };
export type Session = {
  user: PublicUser;
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
};

export type AccountsOptions = {
  scryptCost: number;
  refreshTokenTtlSeconds: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  loginFailureWindowSeconds: number;
  signupMaxPerIpPerHour: number;
  onLoginRejected?: (reason: 'bad_credentials' | 'throttled') => void;
  /** A rotated refresh token was presented again (stolen or replayed): its family is now revoked. */
  onRefreshTokenReuse?: (event: { userId: string; familyId: string }) => void;
};

const HOUR_SECONDS = 3600;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();

export const toPublicUser = (u: { id: string; email: string; display_name: string; created_at: Date }): PublicUser => ({
  id: u.id,
  email: u.email,
  displayName: u.display_name,
  createdAt: u.created_at.toISOString(),
});

export class Accounts {
  private readonly db: Sql;
  private readonly keys: SigningKeys;
  private readonly counters: CounterStore;
  private readonly opts: AccountsOptions;

  constructor(db: Sql, keys: SigningKeys, counters: CounterStore, opts: AccountsOptions) {
    this.db = db;
    this.keys = keys;
    this.counters = counters;
    this.opts = opts;
  }

  async signUp(input: { email: string; password: string; displayName: string; ip: string }): Promise<Session> {
    // Each sign-up costs a deliberate amount of CPU (scrypt): bound it per client address.
    const hit = await this.counters.increment(`signup:ip:${input.ip}`, HOUR_SECONDS);
    if (hit.count > this.opts.signupMaxPerIpPerHour) {
      throw new RateLimited('too many sign-ups from this address; try again later', hit.resetInSeconds);
    }
    assertUsablePassword(input.password);
    const passwordHash = await hashPassword(input.password, this.opts.scryptCost);
    const id = uuidv7();
    try {
      const user = await this.db
        .insertInto('users')
        .values({ id, email: input.email.trim(), display_name: input.displayName.trim(), password_hash: passwordHash })
        .returning(['id', 'email', 'display_name', 'created_at'])
        .executeTakeFirstOrThrow();
      return this.startSession(toPublicUser(user));
    } catch (err) {
      if (err instanceof UniqueViolation) throw new Conflict('an account with this email already exists');
      throw err;
    }
  }

  async logIn(input: { email: string; password: string; ip: string }): Promise<Session> {
    // Failures count per account *from this address*: a stranger guessing someone's password from
    // elsewhere cannot lock them out [A5]. Guessing spread over many addresses meets the per-address
    // limit on each, the request-rate limits, and passwords that are never common ones.
    const accountKey = `login:account-ip:${input.email.trim().toLowerCase()}:${input.ip}`;
    const ipKey = `login:ip:${input.ip}`;
    const [byAccount, byIp] = await Promise.all([this.counters.peek(accountKey), this.counters.peek(ipKey)]);
    if (byAccount.count >= this.opts.loginMaxFailuresPerAccount || byIp.count >= this.opts.loginMaxFailuresPerIp) {
      this.opts.onLoginRejected?.('throttled');
      throw new RateLimited(
        'too many failed log-in attempts; try again later',
        Math.max(
          byAccount.count >= this.opts.loginMaxFailuresPerAccount ? byAccount.resetInSeconds : 0,
          byIp.resetInSeconds,
        ),
      );
    }
    const user = await this.db
      .selectFrom('users')
      .select(['id', 'email', 'display_name', 'created_at', 'password_hash'])
      .where((eb) => eb(eb.fn('lower', ['email']), '=', input.email.trim().toLowerCase()))
      .executeTakeFirst();
    let ok = false;
    if (user?.password_hash) ok = await verifyPassword(input.password, user.password_hash);
    else await burnPasswordCheck(input.password, this.opts.scryptCost);
    if (!user || !ok) {
      const window = this.opts.loginFailureWindowSeconds;
      await Promise.all([this.counters.increment(accountKey, window), this.counters.increment(ipKey, window)]);
      this.opts.onLoginRejected?.('bad_credentials');
      throw new Unauthenticated('email or password is incorrect');
    }
    await this.counters.reset(accountKey);
    return this.startSession(toPublicUser(user));
  }

  /**
   * A new session for an account already proven to be its owner's (a password change keeps the
   * device that made it signed in on a fresh session, after every other one was ended).
   */
  async openSession(userId: string): Promise<Session> {
    const user = await this.findUser(userId);
    if (!user) throw new Unauthenticated('the account behind this token no longer exists');
    return this.startSession(user);
  }

  private async startSession(user: PublicUser, familyId: string = uuidv7(), db: Sql = this.db): Promise<Session> {
    const refreshToken = randomBytes(32).toString('base64url');
    await db
      .insertInto('refresh_tokens')
      .values({
        id: uuidv7(),
        user_id: user.id,
        family_id: familyId,
        token_hash: hashToken(refreshToken),
        expires_at: new Date(Date.now() + this.opts.refreshTokenTtlSeconds * 1000),
      })
      .execute();
    const { token, expiresIn } = await this.keys.signAccessToken({
      sub: user.id,
      email: user.email,
      name: user.displayName,
    });
    return { user, accessToken: token, tokenType: 'Bearer', expiresIn, refreshToken };
  }

  /** Exchanges a refresh token for a new pair. Presenting an already-rotated token revokes the family. */
  async refresh(refreshToken: string): Promise<Session> {
    const outcome = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('refresh_tokens')
        .innerJoin('users', 'users.id', 'refresh_tokens.user_id')
        .select([
          'refresh_tokens.id as tokenId',
          'refresh_tokens.family_id',
          'refresh_tokens.expires_at',
          'refresh_tokens.rotated_at',
          'refresh_tokens.revoked_at',
          'users.id',
          'users.email',
          'users.display_name',
          'users.created_at',
        ])
        .where('refresh_tokens.token_hash', '=', hashToken(refreshToken))
        .forUpdate()
        .executeTakeFirst();
      if (!row || row.revoked_at) return { kind: 'invalid' as const };
      if (row.rotated_at) {
        await tx
          .updateTable('refresh_tokens')
          .set({ revoked_at: new Date() })
          .where('family_id', '=', row.family_id)
          .where('revoked_at', 'is', null)
          .execute();
        return { kind: 'reused' as const, userId: row.id, familyId: row.family_id };
      }
      if (row.expires_at.getTime() <= Date.now()) return { kind: 'invalid' as const };
      await tx.updateTable('refresh_tokens').set({ rotated_at: new Date() }).where('id', '=', row.tokenId).execute();
      return { kind: 'ok' as const, session: await this.startSession(toPublicUser(row), row.family_id, tx) };
    });
    if (outcome.kind === 'reused') {
      this.opts.onRefreshTokenReuse?.({ userId: outcome.userId, familyId: outcome.familyId });
      throw new Unauthenticated('refresh token was already used; the session is revoked');
    }
    if (outcome.kind === 'invalid') throw new Unauthenticated('refresh token is invalid or expired');
    return outcome.session;
  }

  /** Revokes the refresh-token family; unknown tokens are ignored (logout is idempotent). */
  async logOut(refreshToken: string): Promise<void> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .select('family_id')
      .where('token_hash', '=', hashToken(refreshToken))
      .executeTakeFirst();
    if (!row) return;
    await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where('family_id', '=', row.family_id)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /**
   * Whether an account with this id exists (a token's subject that is no uuid does not) and, if it
   * does, since when its earlier access tokens are refused (ms; null: never signed out everywhere) [A9].
   */
  async tokenCutoff(id: string): Promise<{ exists: false } | { exists: true; revokedBeforeMs: number | null }> {
    if (!UUID.test(id)) return { exists: false };
    const row = await this.db.selectFrom('users').select('sessions_revoked_at').where('id', '=', id).executeTakeFirst();
    if (!row) return { exists: false };
    return { exists: true, revokedBeforeMs: row.sessions_revoked_at?.getTime() ?? null };
  }

  async findUser(id: string): Promise<PublicUser | null> {
    const u = await this.db
      .selectFrom('users')
      .select(['id', 'email', 'display_name', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return u ? toPublicUser(u) : null;
  }

  /** Accounts from an external OIDC issuer are created on first sight, keyed by subject. */
  async userForExternalSubject(subject: string, email: string | undefined, name: string | undefined): Promise<string> {
    const existing = await this.db
      .selectFrom('users')
      .select('id')
      .where('external_subject', '=', subject)
      .executeTakeFirst();
    if (existing) return existing.id;
    if (!email) throw new Unauthenticated('token from the identity provider has no email claim');
    try {
      const row = await this.db
        .insertInto('users')
        .values({ id: uuidv7(), email, display_name: name ?? email, password_hash: null, external_subject: subject })
        .onConflict((oc) => oc.column('external_subject').doUpdateSet({ email }))
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    } catch (err) {
      if (!(err instanceof UniqueViolation)) throw err;
      // Two first requests for one subject race: the loser's insert can trip the email index
      // before the subject arbiter sees the winner's row. The winner's row is the answer.
      const winner = await this.db
        .selectFrom('users')
        .select('id')
        .where('external_subject', '=', subject)
        .executeTakeFirst();
      if (winner) return winner.id;
      // Never link to an existing account by email alone: that would let the provider take it over.
      throw new Conflict('another account already uses the email in this token');
    }
  }
}

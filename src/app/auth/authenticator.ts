/**
 * Bearer token → the acting user, with the built-in issuer or an external OIDC issuer. A valid
 * signature is not enough: the account must still exist [A7], and the token must not predate its
 * owner's "sign out everywhere" [A9].
 */
import { LRUCache } from 'lru-cache';
import { Unauthenticated } from '../../domain/errors.ts';
import type { Accounts } from './accounts.ts';
import type { TokenVerifier } from './token-verifier.ts';

/** `name` is the token's display-name claim when it has one (ours always do). */
/** `issuedAt` (seconds) tells how recent the log-in is where no password can be asked [A12]. */
export type Principal = { userId: string; expiresAt: number; issuedAt?: number; name?: string };

const EXTERNAL_SUBJECT_CACHE_MAX = 50_000;
/**
 * Accounts seen to exist (and when they last signed out everywhere) are trusted this long without
 * asking the database again, so a deleted account's token, or one from before "sign out
 * everywhere" on another instance, stops working within this time; on the instance that signed
 * out, at once (forget).
 */
const EXISTING_ACCOUNT_TTL_MS = 30_000;
const EXISTING_ACCOUNT_CACHE_MAX = 100_000;

export class Authenticator {
  private readonly verifier: TokenVerifier;
  private readonly accounts: Accounts;
  private readonly external: boolean;
  private readonly subjects = new LRUCache<string, string>({ max: EXTERNAL_SUBJECT_CACHE_MAX });
  private readonly existing = new LRUCache<string, { revokedBeforeMs: number | null }>({
    max: EXISTING_ACCOUNT_CACHE_MAX,
    ttl: EXISTING_ACCOUNT_TTL_MS,
  });

  constructor(verifier: TokenVerifier, accounts: Accounts, opts: { external: boolean }) {
    this.verifier = verifier;
    this.accounts = accounts;
    this.external = opts.external;
  }

  /** Drops what is cached about an account (it just signed out everywhere). */
  forget(userId: string): void {
    this.existing.delete(userId);
  }

  async authenticate(token: string): Promise<Principal> {
    const verified = await this.verifier.verify(token);
    if (!this.external) {
      let known = this.existing.get(verified.subject);
      if (!known) {
        const account = await this.accounts.tokenCutoff(verified.subject);
        if (!account.exists) throw new Unauthenticated('the account behind this token no longer exists');
        known = { revokedBeforeMs: account.revokedBeforeMs };
        this.existing.set(verified.subject, known);
      }
      // `iat` has whole seconds: a token from the very second of the sign-out is refused too.
      if (known.revokedBeforeMs !== null && verified.issuedAt * 1000 <= known.revokedBeforeMs) {
        throw new Unauthenticated('this session was signed out everywhere; log in again');
      }
      return {
        userId: verified.subject,
        expiresAt: verified.expiresAt,
        issuedAt: verified.issuedAt,
        ...(verified.name && { name: verified.name }),
      };
    }
    let userId = this.subjects.get(verified.subject);
    if (!userId) {
      userId = await this.accounts.userForExternalSubject(verified.subject, verified.email, verified.name);
      this.subjects.set(verified.subject, userId);
    }
    return {
      userId,
      expiresAt: verified.expiresAt,
      issuedAt: verified.issuedAt,
      ...(verified.name && { name: verified.name }),
    };
  }
}

/**
 * Bearer token → the acting user, with the built-in issuer or an external OIDC issuer. A valid
 * signature is not enough: the account must still exist [A7].
 */
import { LRUCache } from 'lru-cache';
import { Unauthenticated } from '../../domain/errors.ts';
import type { Accounts } from './accounts.ts';
import type { TokenVerifier } from './token-verifier.ts';

/** `name` is the token's display-name claim when it has one (ours always do). */
export type Principal = { userId: string; expiresAt: number; name?: string };

const EXTERNAL_SUBJECT_CACHE_MAX = 50_000;
/**
 * Accounts seen to exist are trusted this long without asking the database again, so a deleted
 * account's token stops working within this time (at once if it was not used just before).
 * Deletion is an operator's act today; a deletion API would invalidate this through the bus.
 */
const EXISTING_ACCOUNT_TTL_MS = 30_000;
const EXISTING_ACCOUNT_CACHE_MAX = 100_000;

export class Authenticator {
  private readonly verifier: TokenVerifier;
  private readonly accounts: Accounts;
  private readonly external: boolean;
  private readonly subjects = new LRUCache<string, string>({ max: EXTERNAL_SUBJECT_CACHE_MAX });
  private readonly existing = new LRUCache<string, true>({
    max: EXISTING_ACCOUNT_CACHE_MAX,
    ttl: EXISTING_ACCOUNT_TTL_MS,
  });

  constructor(verifier: TokenVerifier, accounts: Accounts, opts: { external: boolean }) {
    this.verifier = verifier;
    this.accounts = accounts;
    this.external = opts.external;
  }

  async authenticate(token: string): Promise<Principal> {
    const verified = await this.verifier.verify(token);
    if (!this.external) {
      if (!this.existing.has(verified.subject)) {
        if (!(await this.accounts.exists(verified.subject))) {
          throw new Unauthenticated('the account behind this token no longer exists');
        }
        this.existing.set(verified.subject, true);
      }
      return { userId: verified.subject, expiresAt: verified.expiresAt, ...(verified.name && { name: verified.name }) };
    }
    let userId = this.subjects.get(verified.subject);
    if (!userId) {
      userId = await this.accounts.userForExternalSubject(verified.subject, verified.email, verified.name);
      this.subjects.set(verified.subject, userId);
    }
    return { userId, expiresAt: verified.expiresAt, ...(verified.name && { name: verified.name }) };
  }
}

/** Bearer token → the acting user, with the built-in issuer or an external OIDC issuer. */
import { LRUCache } from 'lru-cache';
import type { Accounts } from './accounts.ts';
import type { TokenVerifier } from './token-verifier.ts';

export type Principal = { userId: string; expiresAt: number };

const EXTERNAL_SUBJECT_CACHE_MAX = 50_000;

export class Authenticator {
  private readonly verifier: TokenVerifier;
  private readonly accounts: Accounts;
  private readonly external: boolean;
  private readonly subjects = new LRUCache<string, string>({ max: EXTERNAL_SUBJECT_CACHE_MAX });

  constructor(verifier: TokenVerifier, accounts: Accounts, opts: { external: boolean }) {
    this.verifier = verifier;
    this.accounts = accounts;
    this.external = opts.external;
  }

  async authenticate(token: string): Promise<Principal> {
    const verified = await this.verifier.verify(token);
    if (!this.external) return { userId: verified.subject, expiresAt: verified.expiresAt };
    let userId = this.subjects.get(verified.subject);
    if (!userId) {
      userId = await this.accounts.userForExternalSubject(verified.subject, verified.email, verified.name);
      this.subjects.set(verified.subject, userId);
    }
    return { userId, expiresAt: verified.expiresAt };
  }
}

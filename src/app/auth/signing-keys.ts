/**
 * The built-in issuer's RS256 keys, persisted in `signing_keys` so every instance signs and
 * verifies with the same set. The newest non-retired key signs; rotation adds a key and retires
 * the old one, which stays published until tokens it signed have expired.
 */

import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Sql } from '../ports.ts';

export type AccessTokenClaims = { sub: string; email: string; name: string };

export class SigningKeys {
  private readonly db: Sql;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly ttlSeconds: number;
  private current: { kid: string; key: CryptoKey } | undefined;

  constructor(db: Sql, opts: { issuer: string; audience: string; accessTokenTtlSeconds: number }) {
    this.db = db;
    this.issuer = opts.issuer;
    this.audience = opts.audience;
    this.ttlSeconds = opts.accessTokenTtlSeconds;
  }

  /**
   * Creates the first key if none exists (safe when several instances start at once) and loads
   * the signing key, so signing never reads the database: it runs inside callers' transactions,
   * and on the embedded database a second connection would wait on the first.
   */
  async ensureKey(): Promise<void> {
    const existing = await this.newestActive();
    if (!existing) {
      await this.db.transaction().execute(async (tx) => {
        await sql`select pg_advisory_xact_lock(hashtext('collab-docs:signing-keys'))`.execute(tx);
        const again = await tx
          .selectFrom('signing_keys')
          .select('kid')
          .where('retired_at', 'is', null)
          .executeTakeFirst();
        if (!again) await this.insertKey(tx);
      });
    }
    await this.loadCurrent();
  }

  private async insertKey(db: Sql): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const kid = uuidv7();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256' };
    await db
      .insertInto('signing_keys')
      .values({ kid, public_jwk: JSON.stringify(publicJwk), private_jwk: JSON.stringify(privateJwk) })
      .execute();
    return kid;
  }

  /** Adds a new signing key and retires the previous ones. Returns the new kid. */
  async rotate(): Promise<string> {
    const kid = await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('signing_keys').set({ retired_at: new Date() }).where('retired_at', 'is', null).execute();
      return this.insertKey(tx);
    });
    await this.loadCurrent();
    return kid;
  }

  /**
   * Re-reads the newest active key so a rotation made elsewhere (CLI, another instance) is
   * picked up. Called on a timer, never while signing: signing can run inside a transaction,
   * and the embedded database has one connection.
   */
  async reloadCurrent(): Promise<void> {
    await this.loadCurrent();
  }

  private async loadCurrent(): Promise<{ kid: string; key: CryptoKey }> {
    const row = await this.newestActive();
    if (!row) throw new Error('no signing key: ensureKey() was not called');
    this.current = { kid: row.kid, key: (await importJWK(row.private_jwk as JWK, 'RS256')) as CryptoKey };
    return this.current;
  }

  private newestActive() {
    return this.db
      .selectFrom('signing_keys')
      .select(['kid', 'private_jwk'])
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
  }

  /** Public keys that verify tokens still alive: active ones and those retired within a token life. */
  async publicJwks(): Promise<JWK[]> {
    const cutoff = new Date(Date.now() - this.ttlSeconds * 1000 * 2);
    const rows = await this.db
      .selectFrom('signing_keys')
      .select('public_jwk')
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', cutoff)]))
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((r) => r.public_jwk as JWK);
  }

  async signAccessToken(claims: AccessTokenClaims): Promise<{ token: string; expiresIn: number }> {
    const current = this.current ?? (await this.loadCurrent());
    const token = await new SignJWT({ email: claims.email, name: claims.name })
      .setProtectedHeader({ alg: 'RS256', kid: current.kid, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${this.ttlSeconds}s`)
      .setJti(uuidv7())
      .sign(current.key);
    return { token, expiresIn: this.ttlSeconds };
  }
}

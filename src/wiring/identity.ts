/**
 * Who is calling and what they may do, shared by the api and sync roles: the permission cache,
 * signing keys (reloaded so rotations elsewhere take effect), the key set and token verifier
 * (our own keys or a remote OIDC JWKS), accounts and the authenticator.
 */
import type { JWK } from 'jose';
import { Accounts } from '../app/auth/accounts.ts';
import { Authenticator } from '../app/auth/authenticator.ts';
import { KeySetCache } from '../app/auth/key-set-cache.ts';
import { passwordHashing, setPasswordHashConcurrency } from '../app/auth/passwords.ts';
import { SigningKeys } from '../app/auth/signing-keys.ts';
import { TokenVerifier } from '../app/auth/token-verifier.ts';
import { ACCOUNTS_CHANNEL } from '../app/events.ts';
import { PermissionCache } from '../app/permissions.ts';
import { ReachCache } from '../app/reach-cache.ts';
import type { Config } from '../config/config.ts';
import { canOnDocument } from '../domain/policy.ts';
import { passwordHashMetrics } from '../observability/account-metrics.ts';
import type { DocumentAccessNow } from '../sync/ports.ts';
import type { Infrastructure } from './infrastructure.ts';

const OIDC_JWKS_TIMEOUT_MS = 5_000;
/** How soon a key rotation made elsewhere starts signing here. */
const SIGNING_KEY_RELOAD_MS = 60_000;
/** Our own key table is cheap to re-read; a remote JWKS gets the long cooldown. */
const BUILT_IN_UNKNOWN_KID_COOLDOWN_MS = 1_000;
const OIDC_UNKNOWN_KID_COOLDOWN_MS = 30_000;

export type Identity = {
  permissions: PermissionCache;
  /** Who may read what, for search and the quick switcher; invalidated with the permission cache. */
  reach: ReachCache;
  signingKeys: SigningKeys;
  accounts: Accounts;
  authenticator: Authenticator;
  /** A user's access to a document, for the sync tier. */
  documentAccess(userId: string, documentId: string): Promise<DocumentAccessNow>;
  /** Whether a user sees a document's comments now [C1] (live notices to read-only sockets). */
  seesComments(userId: string, documentId: string): Promise<boolean>;
  /** The workspace of a document (room loads queue fairly per workspace, S11.9). */
  workspaceOf(documentId: string): Promise<string | null>;
  /**
   * An account's sessions just ended here (sign out everywhere, password change, deletion): this
   * instance forgets it at once and tells the others over the bus, so its old access tokens are
   * refused on every instance at once [A9]; the account cache's TTL is the backstop when a notice
   * is lost (the bus is at-most-once).
   */
  sessionsEnded(userId: string): void;
  /** Stops the key reload timer. */
  stop(): void;
};

async function fetchRemoteJwks(url: string): Promise<JWK[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(OIDC_JWKS_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`JWKS fetch from ${url} failed: HTTP ${res.status}`);
  const body = (await res.json()) as { keys?: JWK[] };
  return body.keys ?? [];
}

/** Both roles authenticate and authorize with the same tokens, cache and policy. */
export async function wireIdentity(config: Config, infra: Infrastructure): Promise<Identity> {
  const { metrics, logError } = infra;
  const auth = config.auth;
  const db = infra.database.pool(config.roles.includes('api') ? 'api' : 'sync');
  const permissions = new PermissionCache(db, infra.bus, {
    ttlMs: auth.permissionCacheTtlMs,
    max: auth.permissionCacheMax,
    onLookup: (kind, hit) => metrics.permissionCacheLookup(kind, hit).inc(),
  });
  const reach = new ReachCache(db, infra.bus, {
    ttlMs: auth.permissionCacheTtlMs,
    max: auth.permissionCacheMax,
    onLookup: (hit) => metrics.permissionCacheLookup('reach', hit).inc(),
  });

  const external = Boolean(auth.oidcIssuer);
  const signingKeys = new SigningKeys(db, {
    issuer: auth.jwtIssuer,
    audience: auth.jwtAudience,
    accessTokenTtlSeconds: auth.accessTokenTtlSeconds,
  });
  await signingKeys.ensureKey();
  const reload = setInterval(() => {
    signingKeys.reloadCurrent().catch(logError('signing key reload failed'));
  }, SIGNING_KEY_RELOAD_MS);
  reload.unref();
  const oidcJwksUrl = auth.oidcJwksUrl;
  const keySet = new KeySetCache(
    external && oidcJwksUrl ? () => fetchRemoteJwks(oidcJwksUrl) : () => signingKeys.publicJwks(),
    {
      ttlMs: auth.jwksCacheTtlMs,
      unknownKidCooldownMs:
        auth.unknownKidCooldownMs ?? (external ? OIDC_UNKNOWN_KID_COOLDOWN_MS : BUILT_IN_UNKNOWN_KID_COOLDOWN_MS),
      onRefreshError: logError('signing key refresh failed; serving cached keys'),
    },
  );
  await keySet.refresh();
  const verifier = new TokenVerifier(keySet, {
    issuer: external ? (auth.oidcIssuer as string) : auth.jwtIssuer,
    audience: external ? (auth.oidcAudience ?? auth.jwtAudience) : auth.jwtAudience,
    onCache: (hit) => (hit ? metrics.tokenCacheHit : metrics.tokenCacheMiss).inc(),
    onReject: (reason) => metrics.authFailures.inc({ reason: reason.split(' ')[0] ?? 'other' }),
  });
  setPasswordHashConcurrency(auth.passwordHashConcurrency);
  passwordHashMetrics(metrics.registry, passwordHashing);
  const accounts = new Accounts(db, signingKeys, infra.counters, {
    ...auth,
    onLoginRejected: (reason) => {
      metrics.loginRejections.inc({ reason });
      // A lock-out is a security event (someone guessing); a mistyped password is not worth a line.
      if (reason === 'throttled') {
        infra.logger.warn({ event: 'login_locked_out' }, 'security: log-in refused: too many failed attempts');
      }
    },
    onRefreshTokenReuse: ({ userId, familyId }) => {
      metrics.refreshTokenReuse.inc();
      infra.logger.warn(
        { event: 'refresh_token_reuse', userId, familyId },
        'security: a rotated refresh token was presented again; its session family is revoked',
      );
    },
  });
  const authenticator = new Authenticator(verifier, accounts, { external });
  await infra.bus.subscribe(ACCOUNTS_CHANNEL, (m) => {
    if (m.type === 'sessions-ended' && typeof m.userId === 'string') authenticator.forget(m.userId);
  });
  return {
    permissions,
    reach,
    signingKeys,
    accounts,
    authenticator,
    sessionsEnded: (userId) => {
      authenticator.forget(userId);
      infra.bus
        .publish(ACCOUNTS_CHANNEL, { v: 1, type: 'sessions-ended', userId })
        .catch(logError('sessions-ended notice not published; other instances refuse the old tokens within 30 s'));
    },
    documentAccess: async (userId, documentId) => {
      const info = await permissions.documentAccess(userId, documentId);
      if (!info) return null;
      // Only someone who could read it learns that it is in the trash [T1].
      return info.trashed && info.access !== 'none' ? 'trashed' : info.access;
    },
    seesComments: async (userId, documentId) => {
      const info = await permissions.documentAccess(userId, documentId);
      return info !== null && canOnDocument(info, 'comments.read');
    },
    workspaceOf: (documentId) => permissions.workspaceOf(documentId),
    stop: () => clearInterval(reload),
  };
}

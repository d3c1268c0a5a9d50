/**
 * Verifies bearer tokens: RS256 only, issuer and audience checked, keys from a KeySetCache.
 * Verified tokens are cached until their `exp`, so a busy client costs one signature check
 * per token life instead of one per request (~100 µs each).
 */
import { decodeProtectedHeader, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { Unauthenticated } from '../../domain/errors.ts';
import type { KeySetCache } from './key-set-cache.ts';

export type VerifiedToken = {
  subject: string;
  email?: string;
  name?: string;
  expiresAt: number;
  /** `iat`, seconds: "sign out everywhere" refuses tokens issued before it [A9]. */
  issuedAt: number;
};

const CLOCK_TOLERANCE_SECONDS = 5;

export class TokenVerifier {
  private readonly keys: KeySetCache;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly cache: LRUCache<string, VerifiedToken>;
  private readonly onCache: (hit: boolean) => void;
  private readonly onReject: (reason: string) => void;

  constructor(
    keys: KeySetCache,
    opts: {
      issuer: string;
      audience: string;
      cacheMax?: number;
      onCache?: (hit: boolean) => void;
      onReject?: (reason: string) => void;
    },
  ) {
    this.keys = keys;
    this.issuer = opts.issuer;
    this.audience = opts.audience;
    this.cache = new LRUCache({ max: opts.cacheMax ?? 50_000, ttlAutopurge: false });
    this.onCache = opts.onCache ?? (() => undefined);
    this.onReject = opts.onReject ?? (() => undefined);
  }

  async verify(token: string): Promise<VerifiedToken> {
    const cached = this.cache.get(token);
    if (cached && cached.expiresAt * 1000 > Date.now()) {
      this.onCache(true);
      return cached;
    }
    this.onCache(false);
    let payload: JWTPayload;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== 'RS256' || typeof header.kid !== 'string')
        throw new Unauthenticated('unsupported token header');
      const key = await this.keys.get(header.kid);
      if (!key) throw new Unauthenticated('unknown signing key');
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['RS256'],
        issuer: this.issuer,
        audience: this.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (err) {
      const reason = err instanceof Unauthenticated ? err.message : rejectionReason(err);
      this.onReject(reason);
      throw new Unauthenticated(`invalid access token: ${reason}`);
    }
    const verified: VerifiedToken = {
      subject: String(payload.sub),
      email: typeof payload.email === 'string' ? payload.email : undefined,
      name: typeof payload.name === 'string' ? payload.name : undefined,
      expiresAt: payload.exp as number,
      issuedAt: payload.iat as number,
    };
    this.cache.set(token, verified, { ttl: Math.max(1, verified.expiresAt * 1000 - Date.now()) });
    return verified;
  }
}

function rejectionReason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} ${err.reason}`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof joseErrors.JOSEError) return err.code;
  return 'malformed';
}

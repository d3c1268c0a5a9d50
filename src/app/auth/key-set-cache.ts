/**
 * Public keys by `kid`, fetched from a source (our own signing_keys table or a remote JWKS URL)
 * and never per request: served from memory for `ttlMs`, refreshed in the background before
 * expiry, one fetch in flight at a time; an unknown `kid` triggers at most one refresh per
 * `unknownKidCooldownMs` so a flood of forged kids cannot hammer the source.
 */
import { type CryptoKey, importJWK, type JWK } from 'jose';

export type KeyLike = CryptoKey | Uint8Array;
export type JwkSource = () => Promise<JWK[]>;

export type KeySetCacheOptions = {
  ttlMs: number;
  /** Refresh in the background once this fraction of the TTL has passed. */
  refreshAhead?: number;
  unknownKidCooldownMs?: number;
  now?: () => number;
  onRefreshError?: (err: unknown) => void;
};

export class KeySetCache {
  private readonly source: JwkSource;
  private readonly ttlMs: number;
  private readonly refreshAheadMs: number;
  private readonly unknownKidCooldownMs: number;
  private readonly now: () => number;
  private readonly onRefreshError: (err: unknown) => void;
  private keys = new Map<string, KeyLike>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastUnknownKidRefresh = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  fetches = 0;

  constructor(source: JwkSource, opts: KeySetCacheOptions) {
    this.source = source;
    this.ttlMs = opts.ttlMs;
    this.refreshAheadMs = opts.ttlMs * (opts.refreshAhead ?? 0.8);
    this.unknownKidCooldownMs = opts.unknownKidCooldownMs ?? 30_000;
    this.now = opts.now ?? Date.now;
    this.onRefreshError = opts.onRefreshError ?? (() => undefined);
  }

  /** Single flight: concurrent callers share one fetch. */
  refresh(): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        this.fetches++;
        const jwks = await this.source();
        const next = new Map<string, KeyLike>();
        for (const jwk of jwks) {
          if (!jwk.kid || (jwk.alg && jwk.alg !== 'RS256') || jwk.kty !== 'RSA') continue;
          next.set(jwk.kid, (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as KeyLike);
        }
        this.keys = next;
        this.fetchedAt = this.now();
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  /** Returns the key for `kid`, or undefined when the source does not know it. */
  async get(kid: string): Promise<KeyLike | undefined> {
    const age = this.now() - this.fetchedAt;
    if (age >= this.ttlMs) {
      // Expired (or never loaded): wait for fresh keys, but serve stale ones if the source is down.
      try {
        await this.refresh();
      } catch (err) {
        if (this.keys.size === 0) throw err;
        this.onRefreshError(err);
      }
    } else if (age >= this.refreshAheadMs && !this.inFlight) {
      this.refresh().catch(this.onRefreshError);
    }
    const key = this.keys.get(kid);
    if (key) return key;
    if (this.now() - this.lastUnknownKidRefresh < this.unknownKidCooldownMs) {
      // Requests racing the refresh that a new kid started wait for it instead of failing.
      if (this.inFlight) await this.inFlight.catch(() => undefined);
      return this.keys.get(kid);
    }
    this.lastUnknownKidRefresh = this.now();
    try {
      await this.refresh();
    } catch (err) {
      this.onRefreshError(err);
    }
    return this.keys.get(kid);
  }
}

import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { KeySetCache } from './key-set-cache.ts';

async function jwk(kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg: 'RS256' };
}

function source(initial: JWK[]) {
  const state = { keys: initial, calls: 0, fail: false, delayMs: 0 };
  const fetch = async () => {
    state.calls++;
    if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
    if (state.fail) throw new Error('source down');
    return state.keys;
  };
  return { state, fetch };
}

describe('KeySetCache', () => {
  it('serves keys from memory within the TTL: one fetch for many lookups', async () => {
    const s = source([await jwk('a')]);
    const cache = new KeySetCache(s.fetch, { ttlMs: 60_000 });
    for (let i = 0; i < 100; i++) expect(await cache.get('a')).toBeDefined();
    expect(s.state.calls).toBe(1);
  });

  it('[A2] shares one in-flight fetch among concurrent callers (single flight)', async () => {
    const s = source([await jwk('a')]);
    s.state.delayMs = 20;
    const cache = new KeySetCache(s.fetch, { ttlMs: 60_000 });
    await Promise.all(Array.from({ length: 50 }, () => cache.get('a')));
    expect(s.state.calls).toBe(1);
  });

  it('refreshes in the background once most of the TTL has passed, without blocking', async () => {
    let now = 0;
    const s = source([await jwk('a')]);
    const cache = new KeySetCache(s.fetch, { ttlMs: 1_000, refreshAhead: 0.8, now: () => now });
    await cache.get('a');
    now = 900;
    expect(await cache.get('a')).toBeDefined();
    await new Promise((r) => setTimeout(r, 5));
    expect(s.state.calls).toBe(2);
  });

  it('refreshes once for an unknown kid (rotation), then rate-limits further unknown kids', async () => {
    let now = 0;
    const s = source([await jwk('old')]);
    const cache = new KeySetCache(s.fetch, { ttlMs: 60_000, unknownKidCooldownMs: 10_000, now: () => now });
    await cache.get('old');
    s.state.keys = [await jwk('old'), await jwk('new')];
    expect(await cache.get('new')).toBeDefined();
    expect(s.state.calls).toBe(2);
    // The rotation lookup used this cooldown window: forged kids cause no fetch at all.
    for (let i = 0; i < 20; i++) expect(await cache.get(`forged-${i}`)).toBeUndefined();
    expect(s.state.calls).toBe(2);
    now = 20_000;
    await cache.get('forged-again');
    expect(s.state.calls).toBe(3);
  });

  it('keeps serving stale keys when the source fails after expiry', async () => {
    let now = 0;
    const s = source([await jwk('a')]);
    const errors: unknown[] = [];
    const cache = new KeySetCache(s.fetch, { ttlMs: 1_000, now: () => now, onRefreshError: (e) => errors.push(e) });
    await cache.get('a');
    s.state.fail = true;
    now = 5_000;
    expect(await cache.get('a')).toBeDefined();
    expect(errors).toHaveLength(1);
  });

  it('ignores keys that are not RS256 RSA keys', async () => {
    const s = source([{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac', alg: 'HS256' }, await jwk('rsa')]);
    const cache = new KeySetCache(s.fetch, { ttlMs: 60_000, unknownKidCooldownMs: 60_000 });
    expect(await cache.get('rsa')).toBeDefined();
    expect(await cache.get('hmac')).toBeUndefined();
  });
});

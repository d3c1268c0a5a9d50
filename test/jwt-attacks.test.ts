/**
 * Forged, stale and malformed access tokens are all 401 problem+json with WWW-Authenticate, and
 * none of them disturbs the server. Tokens are built by hand with jose (or raw base64url), some
 * with the server's real private key so that exactly one property is wrong at a time.
 */
import { randomUUID } from 'node:crypto';
import {
  type CryptoKey,
  decodeProtectedHeader,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX } from '../src/http/server.ts';
import { backends } from './support/backends.ts';
import { startTestApp, TEST_PASSWORD, type TestApp, type TestSession } from './support/test-app.ts';

const ME = `${API_PREFIX}/me`;
/** The verifier's clock tolerance is 5 s; attacks step well beyond it. */
const BEYOND_TOLERANCE_SECONDS = 60;

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);
const kidOf = (token: string) => decodeProtectedHeader(token).kid;

/** The server's current signing key, read from its own table: lets a test sign "real" tokens. */
async function serverSigningKey(t: TestApp): Promise<{ kid: string; key: CryptoKey }> {
  const row = await t.app.database
    .pool('api')
    .selectFrom('signing_keys')
    .select(['kid', 'private_jwk'])
    .where('retired_at', 'is', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
  return { kid: row.kid, key: (await importJWK(row.private_jwk as JWK, 'RS256')) as CryptoKey };
}

function metricValue(metricsText: string, name: string, label: string): number {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

function expectUnauthorized(res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  expect(res.statusCode, res.body).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
  expect(JSON.parse(res.body)).toMatchObject({ status: 401, detail: expect.any(String) });
}

describe.each(backends)('forged and invalid access tokens [$name]', (backend) => {
  let t: TestApp;
  let alice: TestSession;
  let bob: TestSession;
  let server: { kid: string; key: CryptoKey };
  let publicJwk: JWK;
  let attacker: { kid: string; key: CryptoKey; publicJwk: JWK };

  beforeAll(async () => {
    t = await startTestApp(backend);
    alice = await t.signUp('alice');
    bob = await t.signUp('bob');
    server = await serverSigningKey(t);
    const jwks = (await t.request('GET', '/.well-known/jwks.json')).json() as { keys: JWK[] };
    publicJwk = jwks.keys.find((k) => k.kid === server.kid) as JWK;
    const pair = await generateKeyPair('RS256', { extractable: true });
    attacker = { kid: randomUUID(), key: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Alice's claims as the server would issue them; each attack overrides one thing. */
  const claims = (overrides: JWTPayload = {}): JWTPayload => ({
    sub: alice.userId,
    email: alice.email,
    iss: t.app.config.auth.jwtIssuer,
    aud: t.app.config.auth.jwtAudience,
    iat: nowSeconds(),
    exp: nowSeconds() + 300,
    ...overrides,
  });

  const sign = (
    payload: JWTPayload,
    opts: { key?: CryptoKey | Uint8Array; alg?: string; header?: Record<string, unknown> } = {},
  ) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: server.kid, typ: 'JWT', ...opts.header })
      .sign(opts.key ?? server.key);

  const withoutClaim = (name: string) => {
    const c = claims();
    delete c[name];
    return c;
  };

  const me = (authorization: string) => t.request('GET', ME, { headers: { authorization } });

  it('accepts a hand-minted token with the right key and claims (the control for every attack below)', async () => {
    const res = await me(`Bearer ${await sign(claims())}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().id).toBe(alice.userId);
  });

  it('tolerates clock skew under 5 s on exp and nbf', async () => {
    const skewed = await sign(claims({ exp: nowSeconds() - 2, iat: nowSeconds() - 600, nbf: nowSeconds() + 2 }));
    expect((await me(`Bearer ${skewed}`)).statusCode).toBe(200);
  });

  /** Each builds a full Authorization header value. */
  const ATTACKS: Array<[string, () => Promise<string> | string]> = [
    ['alg none, no signature', () => `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`],
    [
      'alg none carrying the server kid and a real signature',
      () => {
        const signature = alice.token.split('.')[2];
        return `Bearer ${b64url({ alg: 'none', kid: server.kid })}.${b64url(claims())}.${signature}`;
      },
    ],
    [
      'HS256 with the public key PEM as the HMAC secret (key confusion)',
      async () => {
        const pem = await exportSPKI((await importJWK(publicJwk, 'RS256', { extractable: true })) as CryptoKey);
        return `Bearer ${await sign(claims(), { alg: 'HS256', key: new TextEncoder().encode(pem) })}`;
      },
    ],
    [
      'HS256 with the public JWK JSON as the HMAC secret (key confusion)',
      async () =>
        `Bearer ${await sign(claims(), { alg: 'HS256', key: new TextEncoder().encode(JSON.stringify(publicJwk)) })}`,
    ],
    [
      'expired',
      async () =>
        `Bearer ${await sign(claims({ iat: nowSeconds() - 3600, exp: nowSeconds() - BEYOND_TOLERANCE_SECONDS }))}`,
    ],
    [
      'not yet valid (nbf)',
      async () => `Bearer ${await sign(claims({ nbf: nowSeconds() + BEYOND_TOLERANCE_SECONDS }))}`,
    ],
    ['wrong issuer', async () => `Bearer ${await sign(claims({ iss: 'https://evil.example' }))}`],
    ['wrong audience', async () => `Bearer ${await sign(claims({ aud: 'another-service' }))}`],
    ['no audience', async () => `Bearer ${await sign(withoutClaim('aud'))}`],
    ['no subject', async () => `Bearer ${await sign(withoutClaim('sub'))}`],
    ['no expiry', async () => `Bearer ${await sign(withoutClaim('exp'))}`],
    [
      'unknown kid (validly signed by a key the server does not know)',
      async () => `Bearer ${await sign(claims(), { key: attacker.key, header: { kid: attacker.kid } })}`,
    ],
    ['the server kid, signed by another key', async () => `Bearer ${await sign(claims(), { key: attacker.key })}`],
    [
      'an embedded jwk header naming the attacker key',
      async () =>
        `Bearer ${await sign(claims(), { key: attacker.key, header: { kid: attacker.kid, jwk: attacker.publicJwk } })}`,
    ],
    [
      'a jku header pointing at the attacker keys',
      async () =>
        `Bearer ${await sign(claims(), { key: attacker.key, header: { jku: 'https://evil.example/jwks.json' } })}`,
    ],
    ['a kid that is not a string', async () => `Bearer ${await sign(claims(), { header: { kid: 7 } })}`],
    [
      'a path-traversal kid',
      async () => `Bearer ${await sign(claims(), { key: attacker.key, header: { kid: '../../etc/passwd' } })}`,
    ],
    [
      'a real token whose payload was changed to another subject',
      () => {
        const [header, payload, signature] = alice.token.split('.');
        const forged = { ...JSON.parse(Buffer.from(payload as string, 'base64url').toString()), sub: bob.userId };
        return `Bearer ${header}.${b64url(forged)}.${signature}`;
      },
    ],
    [
      'a real token with its signature truncated',
      () => `Bearer ${alice.token.slice(0, alice.token.lastIndexOf('.') + 10)}`,
    ],
    ['garbage', () => `Bearer ${'x'.repeat(40)}`],
    ['three garbage segments', () => 'Bearer aaaaaaaaaa.bbbbbbbbbb.cccccccccc'],
    [
      'a header that is not JSON',
      () => `Bearer ${Buffer.from('not json').toString('base64url')}.${b64url(claims())}.sig`,
    ],
    ['four segments', () => `Bearer ${alice.token}.extra`],
    ['a token over 8 KiB', () => `Bearer ${'a'.repeat(9000)}`],
    ['an empty bearer', () => 'Bearer '],
    ['a real token in the Basic scheme', () => `Basic ${alice.token}`],
    ['a real token in a made-up scheme', () => `Token ${alice.token}`],
    ['a real token with no scheme', () => alice.token],
    ['two bearer tokens', () => `Bearer ${alice.token}, Bearer ${alice.token}`],
    ['Basic credentials', () => `Basic ${Buffer.from(`${alice.email}:${TEST_PASSWORD}`).toString('base64')}`],
  ];

  it.each(ATTACKS)('[A1] rejects %s with 401', async (_name, authorization) => {
    expectUnauthorized(await me(await authorization()));
  });

  it('rejects a request without any Authorization header with 401', async () => {
    expectUnauthorized(await t.request('GET', ME));
  });

  it('still serves valid tokens after the whole barrage, and never answered it with a 5xx', async () => {
    const res = await me(`Bearer ${alice.token}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(alice.userId);
    const metrics = (await t.request('GET', '/metrics')).body;
    expect(metrics).not.toMatch(/^http_request_errors_total\{/m);
    expect(metricValue(metrics, 'auth_failures_total', 'reason=')).toBeGreaterThan(0);
  });

  it('[A3] verifies a token once: repeated requests with it are verified-token cache hits', async () => {
    const { token } = await t.signUp('cached');
    await me(`Bearer ${token}`);
    const before = metricValue(
      (await t.request('GET', '/metrics')).body,
      'token_verify_cache_lookups_total',
      'result="hit"',
    );
    for (let i = 0; i < 5; i++) expect((await me(`Bearer ${token}`)).statusCode).toBe(200);
    const after = metricValue(
      (await t.request('GET', '/metrics')).body,
      'token_verify_cache_lookups_total',
      'result="hit"',
    );
    expect(after - before).toBe(5);
  });

  it('never caches a rejection or a forgery: each presentation is checked again', async () => {
    const forged = `Bearer ${await sign(claims({ iss: 'https://evil.example' }))}`;
    const failures = async () =>
      metricValue((await t.request('GET', '/metrics')).body, 'auth_failures_total', 'reason="claim"');
    const before = await failures();
    for (let i = 0; i < 3; i++) expectUnauthorized(await me(forged));
    expect((await failures()) - before).toBe(3);
  });
});

describe.each(backends)('signing-key rotation [$name]', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    // A cooldown no slow machine outlasts between the forged requests and the new key's first use.
    t = await startTestApp(backend, { UNKNOWN_KID_COOLDOWN_MS: '60000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const me = (token: string) => t.request('GET', ME, { token });
  const publishedKids = async () =>
    ((await t.request('GET', '/.well-known/jwks.json')).json() as { keys: JWK[] }).keys.map((k) => k.kid);

  it('keeps tokens signed by the rotated-away key valid, and signs new tokens with the new kid', async () => {
    const alice = await t.signUp('alice');
    const oldKid = kidOf(alice.token);
    const newKid = await t.app.signingKeys?.rotate();
    expect(newKid).toBeDefined();
    expect(newKid).not.toBe(oldKid);

    expect((await me(alice.token)).statusCode).toBe(200);
    expect(await publishedKids()).toEqual(expect.arrayContaining([oldKid, newKid]));

    const login = await t.request('POST', `${API_PREFIX}/auth/login`, {
      body: { email: alice.email, password: TEST_PASSWORD },
    });
    const fresh = login.json().accessToken as string;
    expect(kidOf(fresh)).toBe(newKid);
    expect((await me(fresh)).statusCode).toBe(200);
  });

  it('issues a token with the new kid from a refresh right after rotation', async () => {
    const bob = await t.signUp('bob');
    const newKid = await t.app.signingKeys?.rotate();
    const res = await t.request('POST', `${API_PREFIX}/auth/refresh`, { body: { refreshToken: bob.refreshToken } });
    expect(res.statusCode, res.body).toBe(200);
    expect(kidOf(res.json().accessToken)).toBe(newKid);
  });

  it('refreshes keys for unknown kids at most once per cooldown, so forged kids cannot hammer the key store', async () => {
    // A forged kid spends this cooldown's one refresh (or finds it already spent by the test above)...
    const pair = await generateKeyPair('RS256');
    for (let i = 0; i < 10; i++) {
      const forged = await new SignJWT({ sub: randomUUID() })
        .setProtectedHeader({ alg: 'RS256', kid: `forged-${i}` })
        .setIssuer(t.app.config.auth.jwtIssuer)
        .setAudience(t.app.config.auth.jwtAudience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(pair.privateKey);
      expectUnauthorized(await t.request('GET', ME, { token: forged }));
    }
    // ...so a key published just after it is not fetched until the cooldown has passed.
    const carol = await t.signUp('carol');
    const newerKid = await t.app.signingKeys?.rotate();
    const login = await t.request('POST', `${API_PREFIX}/auth/login`, {
      body: { email: carol.email, password: TEST_PASSWORD },
    });
    const token = login.json().accessToken as string;
    expect(kidOf(token)).toBe(newerKid);
    expect(await publishedKids()).toContain(newerKid);
    const res = await me(token);
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toMatch(/unknown signing key/);
  });
});

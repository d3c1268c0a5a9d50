import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeys } from '../src/app/auth/signing-keys.ts';
import { backends } from './support/backends.ts';
import { startTestApp, TEST_PASSWORD, type TestApp } from './support/test-app.ts';

describe.each(backends)('accounts and sessions [$name]', (backend) => {
  let t: TestApp;
  /** Every log line the app writes, parsed: security events must be at warn (level 40). */
  const logLines: Array<{ level: number; event?: string }> = [];
  const warned = (event: string) => logLines.some((l) => l.event === event && l.level === 40);
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    t = await startTestApp(backend, { LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' }, { logger: pino({ level: 'info' }, sink) });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('signs up, then serves /me with the access token', async () => {
    const s = await t.signUp('alice');
    const me = await t.request('GET', '/api/v1/me', { token: s.token });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: s.userId, email: s.email });
    expect(me.headers['cache-control']).toBe('private, no-store');
  });

  it('[A1] issues RS256 access tokens with a kid published in the JWKS', async () => {
    const s = await t.signUp('kid');
    const header = JSON.parse(Buffer.from(s.token.split('.')[0] as string, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const payload = JSON.parse(Buffer.from(s.token.split('.')[1] as string, 'base64url').toString());
    expect(payload.exp - payload.iat).toBe(15 * 60);
    const jwks = (await t.request('GET', '/.well-known/jwks.json')).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('rejects a duplicate sign-up with 409, case-insensitively', async () => {
    const s = await t.signUp('dup');
    const res = await t.request('POST', '/api/v1/auth/signup', {
      body: { email: s.email.toUpperCase(), password: TEST_PASSWORD, displayName: 'Dup' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('[A5] gives the same answer for a wrong password and an unknown email', async () => {
    const s = await t.signUp('hint');
    const wrong = await t.request('POST', '/api/v1/auth/login', { body: { email: s.email, password: 'nope-nope' } });
    const unknown = await t.request('POST', '/api/v1/auth/login', {
      body: { email: 'nobody@example.test', password: 'nope-nope' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().detail).toBe(unknown.json().detail);
  });

  it('logs in with the right password', async () => {
    const s = await t.signUp('login');
    const res = await t.request('POST', '/api/v1/auth/login', { body: { email: s.email, password: TEST_PASSWORD } });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.id).toBe(s.userId);
  });

  it('[A5] slows brute force: after the failure limit even the right password gets 429 with Retry-After', async () => {
    const s = await t.signUp('brute');
    for (let i = 0; i < 3; i++) {
      const r = await t.request('POST', '/api/v1/auth/login', { body: { email: s.email, password: `guess-${i}xx` } });
      expect(r.statusCode).toBe(401);
    }
    const blocked = await t.request('POST', '/api/v1/auth/login', {
      body: { email: s.email, password: TEST_PASSWORD },
    });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(warned('login_locked_out'), 'a lock-out logs a security event at warn').toBe(true);
    // Another account from the same IP is not blocked by this account's failures.
    const other = await t.signUp('other');
    const ok = await t.request('POST', '/api/v1/auth/login', { body: { email: other.email, password: TEST_PASSWORD } });
    expect(ok.statusCode).toBe(200);
  });

  it('[A5] failures from one address do not lock the account for its owner at another address', async () => {
    const s = await t.signUp('victim');
    const login = (password: string, remoteAddress: string) =>
      t.app.server.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: s.email, password },
        remoteAddress,
      });
    for (let i = 0; i < 3; i++) expect((await login(`guess-${i}xxxxx`, '198.51.100.66')).statusCode).toBe(401);
    expect((await login(TEST_PASSWORD, '198.51.100.66')).statusCode).toBe(429);
    // The account's owner, elsewhere, still gets in.
    expect((await login(TEST_PASSWORD, '203.0.113.10')).statusCode).toBe(200);
  });

  it('refuses common and short passwords at sign-up with a 400 on the field', async () => {
    for (const password of ['password', '12345678', '1234567890', 'Password123', 'qwertyuiop']) {
      const res = await t.request('POST', '/api/v1/auth/signup', {
        body: { email: `weak-${Date.now()}-${password.length}@example.test`, password, displayName: 'W' },
      });
      expect(res.statusCode, password).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual(['/password']);
    }
  });

  it('refuses the token of a deleted account with 401 (never 500), on reads and on creating a workspace', async () => {
    const s = await t.signUp('gone');
    await t.app.database.pool('api').deleteFrom('refresh_tokens').where('user_id', '=', s.userId).execute();
    await t.app.database.pool('api').deleteFrom('users').where('id', '=', s.userId).execute();
    const create = await t.request('POST', '/api/v1/workspaces', { token: s.token, body: { name: 'Ghost' } });
    expect(create.statusCode).toBe(401);
    expect(create.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await t.request('GET', '/api/v1/workspaces', { token: s.token })).statusCode).toBe(401);
  });

  it('[A4] rotates refresh tokens, and reuse of a rotated token revokes the whole family', async () => {
    const s = await t.signUp('rotate');
    const first = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } });
    expect(first.statusCode).toBe(200);
    const next = first.json().refreshToken as string;
    expect(next).not.toBe(s.refreshToken);

    const reuse = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } });
    expect(reuse.statusCode).toBe(401);
    // The successor was revoked with its family.
    const successor = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: next } });
    expect(successor.statusCode).toBe(401);
    expect(warned('refresh_token_reuse'), 'reuse logs a security event at warn').toBe(true);
  });

  it('logs out: the refresh token stops working', async () => {
    const s = await t.signUp('logout');
    const out = await t.request('POST', '/api/v1/auth/logout', { body: { refreshToken: s.refreshToken } });
    expect(out.statusCode).toBe(204);
    const res = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } });
    expect(res.statusCode).toBe(401);
  });

  it('rejects requests without a token with 401 and WWW-Authenticate', async () => {
    const res = await t.request('GET', '/api/v1/workspaces');
    expect(res.statusCode).toBe(401);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('starts signing with a key rotated by another process (the CLI) after its reload', async () => {
    const before = await t.signUp('before-rotation');
    const cli = new SigningKeys(t.app.database.admin, {
      issuer: 'collab-docs',
      audience: 'collab-docs',
      accessTokenTtlSeconds: 900,
    });
    const newKid = await cli.rotate();
    await t.app.signingKeys?.reloadCurrent();
    const after = await t.signUp('after-rotation');
    const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid;
    expect(kidOf(after.token)).toBe(newKid);
    // Both the old and the new tokens verify: the unknown kid refreshes the key cache once.
    expect((await t.request('GET', '/api/v1/me', { token: after.token })).statusCode).toBe(200);
    expect((await t.request('GET', '/api/v1/me', { token: before.token })).statusCode).toBe(200);
  });

  it('stores passwords only as scrypt hashes', async () => {
    const s = await t.signUp('hash');
    const row = await t.app.database
      .pool('api')
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', s.userId)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(row.password_hash).not.toContain(TEST_PASSWORD);
  });
});

describe.each(backends)('abuse limits per client address [$name]', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, { SIGNUP_MAX_PER_IP_PER_HOUR: '2', LOGIN_MAX_FAILURES_PER_IP: '3' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const signup = (i: number, headers: Record<string, string> = {}) =>
    t.request('POST', '/api/v1/auth/signup', {
      body: { email: `limit-${i}-${Date.now()}@example.test`, password: TEST_PASSWORD, displayName: 'L' },
      headers,
    });

  it('throttles sign-ups per address, and a spoofed X-Forwarded-For does not reset the count', async () => {
    expect((await signup(1)).statusCode).toBe(201);
    expect((await signup(2)).statusCode).toBe(201);
    const third = await signup(3, { 'x-forwarded-for': '203.0.113.7' });
    expect(third.statusCode).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('throttles log-in failures per address across many accounts', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await t.request('POST', '/api/v1/auth/login', {
        body: { email: `spray-${i}@example.test`, password: 'password-spray' },
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
      expect(r.statusCode).toBe(401);
    }
    const blocked = await t.request('POST', '/api/v1/auth/login', {
      body: { email: 'spray-9@example.test', password: 'password-spray' },
    });
    expect(blocked.statusCode).toBe(429);
  });
});

/**
 * External OIDC issuer mode: access tokens come from an identity provider, whose keys the app
 * fetches from OIDC_JWKS_URL. The provider here is a real HTTP server started by the test,
 * serving a JWKS for key pairs the test generates, and counting how often it is fetched.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX } from '../src/http/server.ts';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

const ISSUER = 'https://idp.example.test/realms/acme';
const AUDIENCE = 'collab-docs-api';
const ME = `${API_PREFIX}/me`;

type IssuerKey = { kid: string; privateKey: CryptoKey; publicJwk: JWK };

/** A stand-in identity provider: publishes its keys over HTTP and signs tokens with them. */
class TestIssuer {
  readonly keys: IssuerKey[] = [];
  jwksFetches = 0;
  private readonly server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/jwks.json') {
      this.jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
    } else {
      res.writeHead(404).end();
    }
  });

  static async start(): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    await issuer.addKey();
    await new Promise<void>((resolve) => issuer.server.listen(0, '127.0.0.1', resolve));
    return issuer;
  }

  get jwksUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }

  /** Publishes a new key (as a provider does before rotating to it). */
  async addKey(): Promise<IssuerKey> {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const kid = randomUUID();
    const key = { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
    this.keys.push(key);
    return key;
  }

  /** A token as the provider would issue it; `overrides` set or (with undefined) drop claims. */
  sign(claims: JWTPayload, opts: { key?: IssuerKey; kid?: string } = {}): Promise<string> {
    const key = opts.key ?? (this.keys[0] as IssuerKey);
    const payload: JWTPayload = {
      iss: ISSUER,
      aud: AUDIENCE,
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 300,
      jti: randomUUID(),
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? key.kid, typ: 'JWT' })
      .sign(key.privateKey);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }
}

const oidcEnv = (issuer: TestIssuer) => ({
  OIDC_ISSUER: ISSUER,
  OIDC_JWKS_URL: issuer.jwksUrl,
  OIDC_AUDIENCE: AUDIENCE,
});

const person = (name: string) => {
  const id = randomUUID();
  return { sub: `idp|${id}`, email: `${name}-${id}@example.test`, name: `${name} from the IdP` };
};

describe.each(backends)('external OIDC issuer: identity [$name]', (backend) => {
  let issuer: TestIssuer;
  let t: TestApp;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp(backend, oidcEnv(issuer));
  });
  afterAll(async () => {
    await t?.close();
    await issuer?.close();
  });

  const me = (token: string) => t.request('GET', ME, { token });
  const usersWithSubject = (subject: string) =>
    t.app.database
      .pool('api')
      .selectFrom('users')
      .select(['id', 'email', 'display_name', 'password_hash'])
      .where('external_subject', '=', subject)
      .execute();

  it('authenticates a token from the issuer and provisions the user from its email and name claims', async () => {
    const ada = person('ada');
    const res = await me(await issuer.sign(ada));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ email: ada.email, displayName: ada.name });
    const rows = await usersWithSubject(ada.sub);
    expect(rows).toEqual([{ id: res.json().id, email: ada.email, display_name: ada.name, password_hash: null }]);
  });

  it('maps the same subject to the same user on every later token', async () => {
    const grace = person('grace');
    const first = (await me(await issuer.sign(grace))).json().id;
    for (let i = 0; i < 3; i++) {
      const res = await me(await issuer.sign(grace));
      expect(res.statusCode).toBe(200);
      expect(res.json().id).toBe(first);
    }
    expect(await usersWithSubject(grace.sub)).toHaveLength(1);
  });

  it('provisions one account when a new subject’s first requests arrive together (all 200)', async () => {
    const barbara = person('barbara');
    const token = await issuer.sign(barbara);
    // The first sight races: every insert but one loses on the email or subject index.
    const all = await Promise.all(Array.from({ length: 20 }, () => me(token)));
    expect(all.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    expect(new Set(all.map((r) => r.json().id)).size).toBe(1);
    expect(await usersWithSubject(barbara.sub)).toHaveLength(1);
  });

  it('lets the provisioned user work with the API like any other', async () => {
    const token = await issuer.sign(person('linus'));
    const ws = await t.request('POST', `${API_PREFIX}/workspaces`, { token, body: { name: 'From the IdP' } });
    expect(ws.statusCode).toBe(201);
    expect(ws.json().role).toBe('owner');
  });

  it('uses the email as display name when the token has no name claim', async () => {
    const { sub, email } = person('noname');
    const res = await me(await issuer.sign({ sub, email }));
    expect(res.json()).toMatchObject({ email, displayName: email });
  });

  it('refuses to provision a new subject whose token has no email claim', async () => {
    const { sub } = person('anon');
    const res = await me(await issuer.sign({ sub }));
    expect(res.statusCode).toBe(401);
    expect(await usersWithSubject(sub)).toHaveLength(0);
  });

  it('does not take over an existing account that has the same email (409, nothing linked)', async () => {
    const local = await t.signUp('local');
    const { sub } = person('impostor');
    const res = await me(await issuer.sign({ sub, email: local.email, name: 'Impostor' }));
    expect(res.statusCode, res.body).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await usersWithSubject(sub)).toHaveLength(0);
  });

  it.each([
    ['the wrong audience', { aud: 'someone-else' }],
    ['no audience', { aud: undefined }],
    ['the wrong issuer', { iss: 'https://evil.example.test' }],
    ['the built-in issuer name', { iss: 'collab-docs', aud: 'collab-docs' }],
    ['an expiry in the past', { iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) - 60 }],
    ['no subject', { sub: undefined }],
  ])('rejects a token with %s (401)', async (_name, overrides) => {
    const someone = person('rejected');
    const res = await me(await issuer.sign({ ...someone, ...overrides }));
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
    expect(await usersWithSubject(someone.sub)).toHaveLength(0);
  });

  it("rejects tokens from the app's own issuer: sign-up still works, but its tokens are not accepted", async () => {
    const local = await t.signUp('builtin');
    expect((await me(local.token)).statusCode).toBe(401);
  });

  it('does not serve the built-in JWKS route', async () => {
    expect((await t.request('GET', '/.well-known/jwks.json')).statusCode).toBe(404);
  });
});

describe.each(backends)('external OIDC issuer: JWKS fetching [$name]', (backend) => {
  // These tests build on each other: the JWKS fetch count is a running total for one app.
  let issuer: TestIssuer;
  let t: TestApp;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp(backend, oidcEnv(issuer));
  });
  afterAll(async () => {
    await t?.close();
    await issuer?.close();
  });

  const me = (token: string) => t.request('GET', ME, { token });

  it('fetches the JWKS once at start-up, then serves many requests from memory', async () => {
    expect(issuer.jwksFetches).toBe(1);
    const people = Array.from({ length: 5 }, (_, i) => person(`p${i}`));
    for (let round = 0; round < 4; round++) {
      for (const p of people) expect((await me(await issuer.sign(p))).statusCode).toBe(200);
    }
    expect(issuer.jwksFetches).toBe(1);
  });

  it('refetches exactly once for a token signed with a key published later, even under concurrent requests', async () => {
    const before = issuer.jwksFetches;
    const newKey = await issuer.addKey();
    const token = await issuer.sign(person('rotated'), { key: newKey });
    const first = await Promise.all(Array.from({ length: 10 }, () => me(token)));
    expect(first.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    const others = await Promise.all(
      Array.from({ length: 5 }, (_, i) => issuer.sign(person(`r${i}`), { key: newKey })),
    );
    for (const other of others) expect((await me(other)).statusCode).toBe(200);
    expect(issuer.jwksFetches).toBe(before + 1);
  });

  it('does not refetch for forged kids within the cooldown that follows', async () => {
    const before = issuer.jwksFetches;
    const impostor = await generateKeyPair('RS256');
    const fake: IssuerKey = { kid: 'unused', privateKey: impostor.privateKey, publicJwk: {} };
    for (let i = 0; i < 20; i++) {
      const forged = await issuer.sign(person('forger'), { key: fake, kid: `forged-${i}` });
      expect((await me(forged)).statusCode).toBe(401);
    }
    expect(issuer.jwksFetches).toBe(before);
  });
});

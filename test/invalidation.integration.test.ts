/**
 * Two real server processes on one PostgreSQL and one Redis: a permission change made through
 * one instance is enforced by the other on the next request after the bus delivers it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, realServersConfigured } from './support/backends.ts';
import { call, type ServerProcess, startServerProcess } from './support/server-process.ts';
import { linkToken } from './support/test-app.ts';

const INVALIDATION_DEADLINE_MS = 1_000;

/** Polls until `probe` returns true; returns how long it took. */
async function within(deadlineMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < deadlineMs) {
    if (await probe()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`condition not met within ${deadlineMs} ms`);
}

// Needs real servers (two processes cannot share the embedded database); CI always has them.
describe.runIf(realServersConfigured)('permission invalidation across two processes [postgres+redis]', () => {
  let drop: () => Promise<void>;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL as string,
      REDIS_PREFIX: `it:${randomBytes(4).toString('hex')}:`,
    };
    // Start one first so migrations and the signing key are created once, then the second.
    a = await startServerProcess(env);
    b = await startServerProcess(env);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await drop?.();
  });

  const signUp = async (base: string, name: string) => {
    const email = `${name}-${randomBytes(4).toString('hex')}@example.test`;
    const r = await call(base, 'POST', '/api/v1/auth/signup', {
      body: { email, password: 'correct horse battery', displayName: name },
    });
    expect(r.status).toBe(201);
    return { token: r.body.accessToken as string, userId: r.body.user.id as string, email };
  };

  it('[P3] a share revoked on instance A is refused on instance B at once', async () => {
    const owner = await signUp(a.url, 'owner');
    const bob = await signUp(b.url, 'bob');
    const ws = await call(a.url, 'POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'W' } });
    const doc = await call(a.url, 'POST', `/api/v1/workspaces/${ws.body.id}/documents`, {
      token: owner.token,
      body: { title: 'secret' },
    });
    await call(a.url, 'PUT', `/api/v1/documents/${doc.body.id}/shares/${bob.userId}`, {
      token: owner.token,
      body: { role: 'viewer' },
    });
    // Warm B's permission cache with the positive answer.
    expect((await call(b.url, 'GET', `/api/v1/documents/${doc.body.id}`, { token: bob.token })).status).toBe(200);
    expect((await call(b.url, 'GET', `/api/v1/documents/${doc.body.id}`, { token: bob.token })).status).toBe(200);

    expect(
      (await call(a.url, 'DELETE', `/api/v1/documents/${doc.body.id}/shares/${bob.userId}`, { token: owner.token }))
        .status,
    ).toBe(204);
    const ms = await within(INVALIDATION_DEADLINE_MS, async () => {
      return (await call(b.url, 'GET', `/api/v1/documents/${doc.body.id}`, { token: bob.token })).status === 404;
    });
    console.info(`cross-instance share revocation enforced after ${ms.toFixed(1)} ms`);
  });

  it("[P4.1] a rename, an access change and a move to the trash on A are on B's next GET; A reads its writes at once", async () => {
    const owner = await signUp(a.url, 'renamer');
    const ws = await call(a.url, 'POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'W' } });
    const doc = await call(a.url, 'POST', `/api/v1/workspaces/${ws.body.id}/documents`, {
      token: owner.token,
      body: { title: 'first' },
    });
    const path = `/api/v1/documents/${doc.body.id}`;
    const read = async (base: string) => (await call(base, 'GET', path, { token: owner.token })).body;
    // Both instances serve the row from memory now.
    for (const base of [a.url, b.url, a.url, b.url]) expect((await read(base)).title).toBe('first');

    expect((await call(a.url, 'PATCH', path, { token: owner.token, body: { title: 'second' } })).status).toBe(200);
    expect((await read(a.url)).title).toBe('second');
    const renamed = await within(INVALIDATION_DEADLINE_MS, async () => (await read(b.url)).title === 'second');

    const access = await call(a.url, 'PUT', `${path}/general-access`, {
      token: owner.token,
      body: { generalAccess: 'view' },
    });
    expect(access.status).toBe(200);
    expect((await read(a.url)).generalAccess).toBe('view');
    await within(INVALIDATION_DEADLINE_MS, async () => (await read(b.url)).generalAccess === 'view');

    expect((await call(a.url, 'DELETE', path, { token: owner.token })).status).toBe(204);
    expect((await read(a.url)).trashedAt).not.toBeNull();
    const trashed = await within(INVALIDATION_DEADLINE_MS, async () => (await read(b.url)).trashedAt !== null);
    console.info(`cross-instance rename seen after ${renamed.toFixed(1)} ms, trash after ${trashed.toFixed(1)} ms`);
  });

  it('[A9] sign out everywhere on instance A: the old access token is refused on instance B at once', async () => {
    const dana = await signUp(a.url, 'dana');
    // B has checked (and cached) the account: before the notice it kept answering for 30 s.
    expect((await call(b.url, 'GET', '/api/v1/me', { token: dana.token })).status).toBe(200);
    expect((await call(b.url, 'GET', '/api/v1/me', { token: dana.token })).status).toBe(200);
    expect((await call(a.url, 'POST', '/api/v1/me/sessions/revoke-all', { token: dana.token })).status).toBe(200);
    const ms = await within(INVALIDATION_DEADLINE_MS, async () => {
      return (await call(b.url, 'GET', '/api/v1/me', { token: dana.token })).status === 401;
    });
    console.info(`cross-instance sign-out enforced after ${ms.toFixed(1)} ms`);
  });

  it('a member removed on instance B loses the workspace on instance A, and a grant is seen at once too', async () => {
    const owner = await signUp(a.url, 'owner2');
    const carol = await signUp(a.url, 'carol');
    const ws = await call(a.url, 'POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'W2' } });
    // A caches "carol is not a member" (negative caching)...
    expect((await call(a.url, 'GET', `/api/v1/workspaces/${ws.body.id}`, { token: carol.token })).status).toBe(404);
    // ...then she joins through B (invited, and accepting the link): A must stop answering from the stale negative entry.
    const invited = await call(b.url, 'POST', `/api/v1/workspaces/${ws.body.id}/members`, {
      token: owner.token,
      body: { email: carol.email, role: 'member' },
    });
    expect(invited.status).toBe(202);
    const accepted = await call(b.url, 'POST', '/api/v1/invitations/accept', {
      token: carol.token,
      body: { token: linkToken(invited.body.link) },
    });
    expect(accepted.status).toBe(200);
    await within(INVALIDATION_DEADLINE_MS, async () => {
      return (await call(a.url, 'GET', `/api/v1/workspaces/${ws.body.id}`, { token: carol.token })).status === 200;
    });
    await call(b.url, 'DELETE', `/api/v1/workspaces/${ws.body.id}/members/${carol.userId}`, { token: owner.token });
    await within(INVALIDATION_DEADLINE_MS, async () => {
      return (await call(a.url, 'GET', `/api/v1/workspaces/${ws.body.id}`, { token: carol.token })).status === 404;
    });
  });
  it("[P11] a document restricted on instance A leaves a member's search on instance B at once", async () => {
    const owner = await signUp(a.url, 'owner3');
    const erin = await signUp(b.url, 'erin');
    const ws = await call(a.url, 'POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'W3' } });
    const invited = await call(a.url, 'POST', `/api/v1/workspaces/${ws.body.id}/members`, {
      token: owner.token,
      body: { email: erin.email, role: 'member' },
    });
    await call(a.url, 'POST', '/api/v1/invitations/accept', {
      token: erin.token,
      body: { token: linkToken(invited.body.link) },
    });
    const doc = await call(a.url, 'POST', `/api/v1/workspaces/${ws.body.id}/documents`, {
      token: owner.token,
      body: { title: 'Okapi budget' },
    });
    const found = async () => {
      const r = await call(b.url, 'GET', '/api/v1/search?q=okapi', { token: erin.token });
      expect(r.status).toBe(200);
      return (r.body.items as { id: string }[]).map((h) => h.id);
    };
    // B resolves (and remembers) what erin may read.
    expect(await found()).toEqual([doc.body.id]);
    expect(await found()).toEqual([doc.body.id]);
    const restricted = await call(a.url, 'PUT', `/api/v1/documents/${doc.body.id}/general-access`, {
      token: owner.token,
      body: { generalAccess: 'restricted' },
    });
    expect(restricted.status).toBe(200);
    const ms = await within(INVALIDATION_DEADLINE_MS, async () => (await found()).length === 0);
    console.info(`cross-instance restriction hidden from search after ${ms.toFixed(1)} ms`);
  });
});

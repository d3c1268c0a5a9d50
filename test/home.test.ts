/**
 * Home lists (docs/spec/home.md H1–H5): everything a person can open across workspaces, shared
 * with me (who shared, when), starred, recent, the orders and keyset pages, on every backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

type Item = {
  id: string;
  title: string;
  workspaceName: string;
  createdByName: string;
  starred: boolean;
  share: { role: string; sharedAt: string; sharedBy: { userId: string; displayName: string } | null } | null;
  openedAt?: string;
};

describe.each(backends)('home lists [$name]', (backend) => {
  let t: TestApp;
  let alice: TestSession;
  let bob: TestSession;
  let aliceWs: string;
  let bobWs: string;

  const call = (who: TestSession, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    t.request(method, `/api/v1${url}`, { token: who.token, body });
  const createDoc = async (who: TestSession, ws: string, title: string) => {
    const res = await call(who, 'POST', `/workspaces/${ws}/documents`, { title });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const list = async (who: TestSession, query = '') => {
    const res = await call(who, 'GET', `/documents${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: Item[]; nextCursor: string | null };
  };
  const ids = (items: Item[]) => items.map((i) => i.id);

  beforeAll(async () => {
    // Every open counts (no throttle), so "Recent" follows the test's steps exactly.
    t = await startTestApp(backend, { RECENT_THROTTLE_MS: '0' });
    [alice, bob] = await Promise.all([t.signUp('alice'), t.signUp('bob')]);
    const [a, b] = await Promise.all([
      call(alice, 'POST', '/workspaces', { name: 'Alice Co' }),
      call(bob, 'POST', '/workspaces', { name: 'Bob Co' }),
    ]);
    aliceWs = a.json().id;
    bobWs = b.json().id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('[H1] [H3] a document shared by someone else appears under "shared with me" with who shared it and when', async () => {
    const id = await createDoc(bob, bobWs, 'Bob roadmap');
    expect(ids((await list(alice, '?sharedWithMe=true')).items)).not.toContain(id);
    const shared = await call(bob, 'POST', `/documents/${id}/shares`, { email: alice.email, role: 'commenter' });
    expect(shared.statusCode).toBe(202);
    const mine = await list(alice, '?sharedWithMe=true');
    const item = mine.items.find((i) => i.id === id);
    expect(item).toMatchObject({
      title: 'Bob roadmap',
      workspaceName: 'Bob Co',
      createdByName: expect.stringContaining('bob'),
      share: { role: 'commenter', sharedAt: expect.any(String), sharedBy: { userId: bob.userId } },
    });
    // Everything Alice can open: her own workspace's documents and Bob's shared one.
    const own = await createDoc(alice, aliceWs, 'Alice notes');
    expect(ids((await list(alice)).items)).toEqual(expect.arrayContaining([id, own]));
    // Her own documents are not "shared with me"; Bob's list does not hold Alice's.
    expect(ids(mine.items)).not.toContain(own);
    expect(ids((await list(bob)).items)).not.toContain(own);
  });

  it('[H1] a removed share disappears from every list on the next request', async () => {
    const id = await createDoc(bob, bobWs, 'Soon unshared');
    await call(bob, 'PUT', `/documents/${id}/shares/${alice.userId}`, { role: 'viewer' });
    await call(alice, 'PUT', `/documents/${id}/star`);
    expect(ids((await list(alice)).items)).toContain(id);
    expect(ids((await list(alice, '?starred=true')).items)).toContain(id);
    expect((await call(bob, 'DELETE', `/documents/${id}/shares/${alice.userId}`)).statusCode).toBe(204);
    for (const q of ['', '?sharedWithMe=true', '?starred=true', '?order=opened']) {
      expect(ids((await list(alice, q)).items), q).not.toContain(id);
    }
  });

  it('[H4] stars are per person, idempotent, and filter the list', async () => {
    const a = await createDoc(alice, aliceWs, 'Starred one');
    const b = await createDoc(alice, aliceWs, 'Not starred');
    expect((await call(alice, 'PUT', `/documents/${a}/star`)).statusCode).toBe(204);
    expect((await call(alice, 'PUT', `/documents/${a}/star`)).statusCode).toBe(204);
    const starred = await list(alice, '?starred=true');
    expect(ids(starred.items)).toContain(a);
    expect(ids(starred.items)).not.toContain(b);
    expect(starred.items.find((i) => i.id === a)?.starred).toBe(true);
    // The workspace list carries the same flag.
    const inWs = await call(alice, 'GET', `/workspaces/${aliceWs}/documents?starred=true`);
    expect(inWs.json().items.map((i: Item) => i.id)).toEqual([a]);
    expect((await call(alice, 'DELETE', `/documents/${a}/star`)).statusCode).toBe(204);
    expect((await call(alice, 'DELETE', `/documents/${a}/star`)).statusCode).toBe(204);
    expect(ids((await list(alice, '?starred=true')).items)).not.toContain(a);
    // Someone who cannot read it cannot star it, and cannot tell it exists.
    expect((await call(bob, 'PUT', `/documents/${a}/star`)).statusCode).toBe(404);
  });

  it('[H5] opening a document (metadata read) puts it first in "Recent"', async () => {
    const a = await createDoc(alice, aliceWs, 'Opened first');
    const b = await createDoc(alice, aliceWs, 'Opened second');
    expect((await call(alice, 'GET', `/documents/${a}`)).statusCode).toBe(200);
    expect((await call(alice, 'GET', `/documents/${b}`)).statusCode).toBe(200);
    // Recording is best effort and asynchronous: wait for it rather than sleep.
    await expect.poll(async () => ids((await list(alice, '?order=opened')).items).slice(0, 2)).toEqual([b, a]);
    await call(alice, 'GET', `/documents/${a}`);
    await expect.poll(async () => ids((await list(alice, '?order=opened')).items).slice(0, 2)).toEqual([a, b]);
    expect((await list(alice, '?order=opened')).items[0]?.openedAt).toEqual(expect.any(String));
  });

  it('[H2] pages by title A→Z and by creation without gaps or repeats; filters by owner', async () => {
    const ws = (await call(alice, 'POST', '/workspaces', { name: 'Paging home' })).json().id as string;
    await t.addMember(alice, ws, bob, 'member');
    const titles = ['delta', 'Alpha', 'charlie', 'bravo', 'echo', 'alpha'];
    const created = [];
    for (const title of titles) created.push(await createDoc(alice, ws, title));
    const byBob = await createDoc(bob, ws, 'zulu by bob');
    const pages = async (order: string, extra = '') => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `?order=${order}&limit=2${extra}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await call(alice, 'GET', `/workspaces/${ws}/documents${q}`);
        expect(res.statusCode, res.body).toBe(200);
        seen.push(...res.json().items.map((i: Item) => i.title));
        cursor = res.json().nextCursor;
      } while (cursor);
      return seen;
    };
    const byTitle = await pages('title');
    expect(byTitle).toHaveLength(7);
    expect(new Set(byTitle).size).toBe(7);
    // The database's collation orders titles; the pages follow it exactly.
    const sorted = await call(alice, 'GET', `/workspaces/${ws}/documents?order=title&limit=100`);
    expect(byTitle).toEqual(sorted.json().items.map((i: Item) => i.title));
    expect(await pages('created')).toEqual([...titles, 'zulu by bob'].reverse());
    expect(await pages('created', `&owner=${bob.userId}`)).toEqual(['zulu by bob']);
    expect(created).not.toContain(byBob);
  });

  it('[H2] a cursor of another order, or a forged one, is a 400 naming /cursor', async () => {
    const ws = (await call(alice, 'POST', '/workspaces', { name: 'Cursors' })).json().id as string;
    for (const title of ['a', 'b', 'c']) await createDoc(alice, ws, title);
    const first = await call(alice, 'GET', `/workspaces/${ws}/documents?order=title&limit=1`);
    const cursor = first.json().nextCursor as string;
    for (const order of ['created', 'updated', 'opened']) {
      const res = await call(alice, 'GET', `/documents?order=${order}&cursor=${encodeURIComponent(cursor)}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toContainEqual({ field: '/cursor', message: expect.any(String) });
    }
    const forged = Buffer.from(JSON.stringify(['title', 'x', 'not-a-uuid'])).toString('base64url');
    expect((await call(alice, 'GET', `/documents?order=title&cursor=${forged}`)).statusCode).toBe(400);
  });

  it('[H1] a workspace guest sees only what is shared with them, and it counts as shared with them', async () => {
    const ws = (await call(alice, 'POST', '/workspaces', { name: 'Guests' })).json().id as string;
    const carol = await t.signUp('carol');
    await t.addMember(alice, ws, carol, 'guest');
    const open = await createDoc(alice, ws, 'For carol');
    const closed = await createDoc(alice, ws, 'Not for carol');
    await call(alice, 'PUT', `/documents/${open}/shares/${carol.userId}`, { role: 'viewer' });
    expect(ids((await list(carol)).items)).toEqual([open]);
    expect(ids((await list(carol, '?sharedWithMe=true')).items)).toEqual([open]);
    expect(ids((await list(carol)).items)).not.toContain(closed);
  });
});

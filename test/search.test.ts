/**
 * Search never returns what the caller may not read (docs/spec/auth.md [P1] [P2]) — for every
 * kind of caller, query shape, scope and page — and its keyset pages are stable past the first.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

type Hit = { id: string; rank: number };

describe.each(backends)('search [$name]', (backend) => {
  let t: TestApp;
  const people: Record<string, TestSession> = {};
  const docs: { id: string; workspaceId: string }[] = [];
  let ws1 = '';
  let ws2 = '';
  /** The one document that does not mention zebras. */
  let lunch = '';
  /** In the trash: every reader of it may still open its metadata, search must never return it. */
  let trashed = '';

  const call = async (who: TestSession, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
    const res = await t.request(method, url, { token: who.token, body });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.body ? res.json() : undefined;
  };
  const setText = async (id: string, text: string) => {
    await t.app.database
      .pool('api')
      .updateTable('documents')
      .set({ content_text: text })
      .where('id', '=', id)
      .execute();
  };
  const create = async (who: TestSession, workspaceId: string, title: string, text = '') => {
    const d = await call(who, 'POST', `/api/v1/workspaces/${workspaceId}/documents`, { title });
    if (text) await setText(d.id, text);
    docs.push({ id: d.id, workspaceId });
    return d.id as string;
  };
  /** Every page of a full-text search, 3 at a time. */
  const allPages = async (who: TestSession, q: string, scope = '') => {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const url = `/api/v1/search?q=${encodeURIComponent(q)}&limit=3${scope}${cursor ? `&cursor=${cursor}` : ''}`;
      const body: { items: Hit[]; nextCursor: string | null } = await call(who, 'GET', url);
      ids.push(...body.items.map((h) => h.id));
      cursor = body.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('more than 50 pages');
  };

  beforeAll(async () => {
    t = await startTestApp(backend);
    const names = ['owner', 'member', 'guest', 'viewer', 'outsider', 'stranger'];
    const sessions = await Promise.all(names.map((n) => t.signUp(n)));
    for (const [i, n] of names.entries()) people[n] = sessions[i] as TestSession;
    const p = people as Record<'owner' | 'member' | 'guest' | 'viewer' | 'outsider' | 'stranger', TestSession>;
    ws1 = (await call(p.owner, 'POST', '/api/v1/workspaces', { name: 'Zoo' })).id;
    ws2 = (await call(p.outsider, 'POST', '/api/v1/workspaces', { name: 'Elsewhere' })).id;
    await t.addMember(p.owner, ws1, p.member, 'member');
    await t.addMember(p.owner, ws1, p.guest, 'guest');
    const titled = await create(p.owner, ws1, 'Zebra stripes handbook');
    const bodied = await create(
      p.member,
      ws1,
      'Field notes',
      'We counted the zebra stripes at dawn, zebras everywhere.',
    );
    await create(p.owner, ws1, 'Private zebra plan', 'zebra budget for the savanna');
    lunch = await create(p.owner, ws1, 'Lunch', 'nothing about the animal');
    await create(p.outsider, ws2, 'Zebra census', 'zebra stripes zebra');
    await create(p.outsider, ws2, 'Zebrafish', 'a zebrafish tank');
    // Restricted: members of ws1 no longer read it; its owner and workspace owner still do.
    const restricted = await create(p.owner, ws1, 'Restricted zebra memo', 'zebra stripes restricted');
    await call(p.owner, 'PUT', `/api/v1/documents/${restricted}/general-access`, { generalAccess: 'restricted' });
    trashed = await create(p.owner, ws1, 'Trashed zebra stripes', 'zebra stripes in the trash');
    await call(p.owner, 'PUT', `/api/v1/documents/${trashed}/shares/${p.viewer.userId}`, { role: 'viewer' });
    await call(p.owner, 'DELETE', `/api/v1/documents/${trashed}`);
    await call(p.owner, 'PUT', `/api/v1/documents/${titled}/shares/${p.guest.userId}`, { role: 'viewer' });
    await call(p.owner, 'PUT', `/api/v1/documents/${bodied}/shares/${p.viewer.userId}`, { role: 'commenter' });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  /** Ground truth from the authorization path: the documents this person may open. */
  const readable = async (who: TestSession) => {
    const out = new Set<string>();
    for (const d of docs) {
      if (d.id === trashed) continue;
      const res = await t.request('GET', `/api/v1/documents/${d.id}`, { token: who.token });
      if (res.statusCode === 200) out.add(d.id);
    }
    return out;
  };

  const QUERIES = ['zebra', 'zeb', 'stripes zebra', '"zebra stripes"', 'zebra budget'];
  const TITLE_QUERIES = ['zebra', 'zebr', 'ze', 'zerba', 'stripes'];

  it('no search, page or scope ever returns a document the caller cannot read, restricted or trashed [P1] [P2] [T1]', {
    timeout: 120_000,
  }, async () => {
    for (const [name, who] of Object.entries(people)) {
      const mayRead = await readable(who);
      for (const scope of ['', `&workspaceId=${ws1}`, `&workspaceId=${ws2}`]) {
        for (const q of QUERIES) {
          const ids = await allPages(who, q, scope);
          expect(new Set(ids).size, `${name} ${q}${scope}: duplicates`).toBe(ids.length);
          for (const id of ids) expect(mayRead.has(id), `${name} ${q}${scope} returned ${id}`).toBe(true);
        }
        for (const q of TITLE_QUERIES) {
          const res = await call(who, 'GET', `/api/v1/search/titles?q=${encodeURIComponent(q)}${scope}`);
          for (const h of res.items as { id: string }[]) {
            expect(mayRead.has(h.id), `${name} titles ${q}${scope} returned ${h.id}`).toBe(true);
          }
        }
      }
      // Complete as well as safe: everything readable that mentions zebra* is found.
      const zebra = new Set(await allPages(who, 'zebra'));
      expect(zebra, name).toEqual(new Set(docs.filter((d) => mayRead.has(d.id) && d.id !== lunch).map((d) => d.id)));
    }
    const stranger = people.stranger as TestSession;
    expect(await allPages(stranger, 'zebra')).toEqual([]);
    expect((await call(stranger, 'GET', '/api/v1/search/titles?q=zebra')).items).toEqual([]);
  });

  it('what a share or membership grants, search finds; revoking it hides the documents at once [P1] [P2]', async () => {
    const p = people as Record<string, TestSession>;
    const viewer = p.viewer as TestSession;
    const member = p.member as TestSession;
    const viewerHits = await allPages(viewer, 'zebra');
    expect(viewerHits).toHaveLength(1);
    await call(p.owner as TestSession, 'DELETE', `/api/v1/documents/${viewerHits[0]}/shares/${viewer.userId}`);
    expect(await allPages(viewer, 'zebra')).toEqual([]);

    expect((await allPages(member, 'zebra', `&workspaceId=${ws1}`)).length).toBe(3);
    await call(p.owner as TestSession, 'DELETE', `/api/v1/workspaces/${ws1}/members/${member.userId}`);
    expect(await allPages(member, 'zebra')).toEqual([]);
    expect((await call(member, 'GET', '/api/v1/search/titles?q=zebra')).items).toEqual([]);
  });

  it('restricting a document hides it from members at once, even right after they searched [P7] [P11]', async () => {
    const p = people as Record<string, TestSession>;
    const owner = p.owner as TestSession;
    const guest = p.guest as TestSession;
    const colleague = await t.signUp('colleague');
    await t.addMember(owner, ws1, colleague, 'member');
    const memo = await create(owner, ws1, 'Okapi memo', 'okapi sightings');
    const titles = async () =>
      (await call(colleague, 'GET', '/api/v1/search/titles?q=okapi')).items.map((h: { id: string }) => h.id);
    // Searched first, so the reach is remembered; each change must still show on the next query.
    expect(await allPages(colleague, 'okapi')).toEqual([memo]);
    expect(await titles()).toEqual([memo]);
    await call(owner, 'PUT', `/api/v1/documents/${memo}/general-access`, { generalAccess: 'restricted' });
    expect(await allPages(colleague, 'okapi')).toEqual([]);
    expect(await titles()).toEqual([]);
    await call(owner, 'PUT', `/api/v1/documents/${memo}/general-access`, { generalAccess: 'view' });
    expect(await allPages(colleague, 'okapi')).toEqual([memo]);
    // A share to a guest shows at once, and its removal hides it at once.
    expect(await allPages(guest, 'okapi')).toEqual([]);
    await call(owner, 'PUT', `/api/v1/documents/${memo}/shares/${guest.userId}`, { role: 'viewer' });
    expect(await allPages(guest, 'okapi')).toEqual([memo]);
    await call(owner, 'DELETE', `/api/v1/documents/${memo}/shares/${guest.userId}`);
    expect(await allPages(guest, 'okapi')).toEqual([]);
  });

  it('finds titles by prefix, substring and with a typo (quick switcher)', async () => {
    const owner = people.owner as TestSession;
    const byQuery = async (q: string) =>
      (await call(owner, 'GET', `/api/v1/search/titles?q=${encodeURIComponent(q)}`)).items as {
        title: string;
        match: string;
      }[];
    expect((await byQuery('zeb')).map((h) => [h.title, h.match])).toEqual(
      expect.arrayContaining([
        ['Zebra stripes handbook', 'prefix'],
        ['Private zebra plan', 'substring'],
      ]),
    );
    expect((await byQuery('handbok')).map((h) => [h.title, h.match])).toEqual([['Zebra stripes handbook', 'fuzzy']]);
    expect((await byQuery('no such title anywhere')).length).toBe(0);
  });

  it('keyset pages past the first 50 are complete, disjoint and stable', async () => {
    const owner = people.owner as TestSession;
    const ws = (await call(owner, 'POST', '/api/v1/workspaces', { name: 'Pages' })).id as string;
    const ids: string[] = [];
    // As many as the body window (SEARCH_WINDOW, 100): every one of them is reachable by pages.
    for (let i = 0; i < 100; i++) {
      ids.push((await call(owner, 'POST', `/api/v1/workspaces/${ws}/documents`, { title: `Page doc ${i}` })).id);
    }
    // A few distinct ranks with many ties each, so ordering within a rank (by id) matters.
    await sql`update documents d set content_text = t.text from unnest(${ids}::uuid[], ${ids.map(
      (_, i) => `${'pagingword '.repeat((i % 4) + 1)}filler text`,
    )}::text[]) as t(id, text) where d.id = t.id`.execute(t.app.database.pool('api'));

    const pageThrough = async () => {
      const pages: Hit[][] = [];
      let cursor: string | null = null;
      do {
        const url = `/api/v1/search?q=pagingword&workspaceId=${ws}&limit=50${cursor ? `&cursor=${cursor}` : ''}`;
        const body: { items: Hit[]; nextCursor: string | null } = await call(owner, 'GET', url);
        pages.push(body.items);
        cursor = body.nextCursor;
      } while (cursor);
      return pages;
    };
    const first = await pageThrough();
    expect(first.map((p) => p.length)).toEqual([50, 50]);
    const flat = first.flat();
    expect(new Set(flat.map((h) => h.id))).toEqual(new Set(ids));
    for (let i = 1; i < flat.length; i++) {
      const [a, b] = [flat[i - 1] as Hit, flat[i] as Hit];
      expect(a.rank > b.rank || (a.rank === b.rank && a.id < b.id), `order at ${i}`).toBe(true);
    }
    const again = await pageThrough();
    expect(again.flat().map((h) => h.id)).toEqual(flat.map((h) => h.id));
  }, 180_000);
});

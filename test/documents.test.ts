import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { linkToken, startTestApp, TEST_OPERATOR_TOKEN, type TestApp, type TestSession } from './support/test-app.ts';

describe.each(backends)('workspaces, documents and search [$name]', (backend) => {
  let t: TestApp;
  let owner: TestSession;
  let workspaceId: string;

  beforeAll(async () => {
    t = await startTestApp(backend);
    owner = await t.signUp('owner');
    const ws = await t.request('POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'Acme' } });
    expect(ws.statusCode).toBe(201);
    workspaceId = ws.json().id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const createDoc = async (title: string, token = owner.token) => {
    const res = await t.request('POST', `/api/v1/workspaces/${workspaceId}/documents`, { token, body: { title } });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; title: string; access: string };
  };

  it('creates a workspace with the caller as owner on the free plan', async () => {
    const res = await t.request('GET', `/api/v1/workspaces/${workspaceId}`, { token: owner.token });
    expect(res.json()).toMatchObject({ name: 'Acme', plan: 'free', role: 'owner' });
    const list = await t.request('GET', '/api/v1/workspaces', { token: owner.token });
    expect(list.json().items.map((w: { id: string }) => w.id)).toContain(workspaceId);
  });

  it('renames a workspace', async () => {
    const res = await t.request('PATCH', `/api/v1/workspaces/${workspaceId}`, {
      token: owner.token,
      body: { name: 'Acme Inc' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Acme Inc', plan: 'free' });
  });

  it('[P6] an owner can neither create a workspace on a paid plan nor change its plan', async () => {
    const created = await t.request('POST', '/api/v1/workspaces', {
      token: owner.token,
      body: { name: 'Rich', plan: 'enterprise' },
    });
    expect(created.statusCode).toBe(400);
    expect(created.json().errors).toContainEqual({ field: '/plan', message: 'is not an allowed field' });
    const patched = await t.request('PATCH', `/api/v1/workspaces/${workspaceId}`, {
      token: owner.token,
      body: { plan: 'enterprise' },
    });
    expect(patched.statusCode).toBe(400);
    expect(patched.json().errors.map((e: { field: string }) => e.field)).toContain('/plan');
    expect((await t.request('GET', `/api/v1/workspaces/${workspaceId}`, { token: owner.token })).json().plan).toBe(
      'free',
    );
  });

  it('[P6] the operator sets the plan and rate-limit override; the owner sees the plan', async () => {
    const res = await t.request('PUT', `/api/v1/admin/workspaces/${workspaceId}/plan`, {
      token: TEST_OPERATOR_TOKEN,
      body: { plan: 'business', rateLimitPerSecond: 250 },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: workspaceId, plan: 'business', rateLimitPerSecond: 250 });
    const cleared = await t.request('PUT', `/api/v1/admin/workspaces/${workspaceId}/plan`, {
      token: TEST_OPERATOR_TOKEN,
      body: { plan: 'business', rateLimitPerSecond: null },
    });
    expect(cleared.json()).toMatchObject({ plan: 'business', rateLimitPerSecond: null });
    expect((await t.request('GET', `/api/v1/workspaces/${workspaceId}`, { token: owner.token })).json().plan).toBe(
      'business',
    );
    const missing = await t.request('PUT', `/api/v1/admin/workspaces/${randomUUID()}/plan`, {
      token: TEST_OPERATOR_TOKEN,
      body: { plan: 'free' },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('[P6] the operator API answers 401 without a credential and to a user token, even the owner', async () => {
    const url = `/api/v1/admin/workspaces/${workspaceId}/plan`;
    const anonymous = await t.request('PUT', url, { body: { plan: 'enterprise' } });
    expect(anonymous.statusCode).toBe(401);
    const wrong = await t.request('PUT', url, { token: `${TEST_OPERATOR_TOKEN}x`, body: { plan: 'enterprise' } });
    expect(wrong.statusCode).toBe(401);
    const byOwner = await t.request('PUT', url, { token: owner.token, body: { plan: 'enterprise' } });
    expect(byOwner.statusCode).toBe(401);
    expect(byOwner.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('[T1] creates, reads, renames and deletes a document (into the trash, then forever)', async () => {
    const doc = await createDoc('  Quarterly plan  ');
    expect(doc).toMatchObject({ title: 'Quarterly plan', access: 'owner' });
    const read = await t.request('GET', `/api/v1/documents/${doc.id}`, { token: owner.token });
    expect(read.statusCode).toBe(200);
    expect(read.headers['cache-control']).toBe('private, no-store');
    const renamed = await t.request('PATCH', `/api/v1/documents/${doc.id}`, {
      token: owner.token,
      body: { title: 'Q3 plan' },
    });
    expect(renamed.json().title).toBe('Q3 plan');
    expect((await t.request('DELETE', `/api/v1/documents/${doc.id}`, { token: owner.token })).statusCode).toBe(204);
    const trashed = await t.request('GET', `/api/v1/documents/${doc.id}`, { token: owner.token });
    expect(trashed.json()).toMatchObject({ id: doc.id, trashedAt: expect.any(String), canDelete: true });
    expect((await t.request('DELETE', `/api/v1/trash/${doc.id}`, { token: owner.token })).statusCode).toBe(204);
    expect((await t.request('GET', `/api/v1/documents/${doc.id}`, { token: owner.token })).statusCode).toBe(404);
  });

  it('pages through documents newest first with an opaque keyset cursor, without gaps or repeats', async () => {
    const ws = await t.request('POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'Paging' } });
    const wsId = ws.json().id;
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await t.request('POST', `/api/v1/workspaces/${wsId}/documents`, {
        token: owner.token,
        body: { title: `Doc ${i}` },
      });
      created.push(r.json().id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/workspaces/${wsId}/documents?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
        await t.request('GET', url, { token: owner.token })
      ).json();
      seen.push(...page.items.map((d) => d.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  it('pages by last update with order=updated: renamed documents come first, no gaps or repeats; the default order is unchanged', async () => {
    const ws = await t.request('POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'By update' } });
    const wsId = ws.json().id;
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await t.request('POST', `/api/v1/workspaces/${wsId}/documents`, {
        token: owner.token,
        body: { title: `Doc ${i}` },
      });
      created.push(r.json().id);
    }
    // Renaming is an update: the oldest two become the most recently updated.
    for (const id of [created[1], created[0]]) {
      const r = await t.request('PATCH', `/api/v1/documents/${id}`, { token: owner.token, body: { title: 'Renamed' } });
      expect(r.statusCode).toBe(200);
    }
    const read = async (order: string) => {
      const seen: Array<{ id: string; updatedAt: string }> = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `/api/v1/workspaces/${wsId}/documents?limit=3&order=${order}${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await t.request('GET', url, { token: owner.token });
        expect(res.statusCode).toBe(200);
        const page: { items: Array<{ id: string; updatedAt: string }>; nextCursor: string | null } = res.json();
        seen.push(...page.items);
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      return { seen, pages };
    };
    const updated = await read('updated');
    expect(updated.pages).toBe(3);
    expect([...updated.seen.map((d) => d.id)].sort()).toEqual([...created].sort());
    // Most recently updated first (the API shows milliseconds; the order uses the stored microseconds).
    const times = updated.seen.map((d) => d.updatedAt);
    expect(times).toEqual([...times].sort().reverse());
    const renamed = new Set([created[0], created[1]]);
    const oldestRenamed = Math.min(
      ...updated.seen.filter((d) => renamed.has(d.id)).map((d) => Date.parse(d.updatedAt)),
    );
    for (const d of updated.seen.filter((x) => !renamed.has(x.id))) {
      expect(Date.parse(d.updatedAt)).toBeLessThanOrEqual(oldestRenamed);
    }
    const byCreation = await read('created');
    expect(byCreation.seen.map((d) => d.id)).toEqual([...created].reverse());
  });

  it('invites an existing user by email (any letter case), who joins by accepting, then changes their role and removes them [I2]', async () => {
    const bob = await t.signUp('bob');
    const add = await t.request('POST', `/api/v1/workspaces/${workspaceId}/members`, {
      token: owner.token,
      body: { email: bob.email.toUpperCase(), role: 'guest' },
    });
    expect(add.statusCode).toBe(202);
    // Not a member until they accept.
    expect((await t.request('GET', `/api/v1/workspaces/${workspaceId}`, { token: bob.token })).statusCode).toBe(404);
    const accepted = await t.request('POST', '/api/v1/invitations/accept', {
      token: bob.token,
      body: { token: linkToken(add.json().link) },
    });
    expect(accepted.json()).toEqual({ workspaceId, documentId: null, role: 'guest' });
    const again = await t.request('POST', `/api/v1/workspaces/${workspaceId}/members`, {
      token: owner.token,
      body: { email: bob.email, role: 'guest' },
    });
    expect(again.statusCode).toBe(409);

    const promote = await t.request('PATCH', `/api/v1/workspaces/${workspaceId}/members/${bob.userId}`, {
      token: owner.token,
      body: { role: 'member' },
    });
    expect(promote.json().role).toBe('member');
    const members = (await t.request('GET', `/api/v1/workspaces/${workspaceId}/members`, { token: bob.token })).json();
    expect(members.items.map((m: { userId: string }) => m.userId).sort()).toEqual([owner.userId, bob.userId].sort());
    const remove = await t.request('DELETE', `/api/v1/workspaces/${workspaceId}/members/${bob.userId}`, {
      token: owner.token,
    });
    expect(remove.statusCode).toBe(204);
    expect((await t.request('GET', `/api/v1/workspaces/${workspaceId}`, { token: bob.token })).statusCode).toBe(404);
  });

  it('never leaves a workspace without an owner', async () => {
    const res = await t.request('DELETE', `/api/v1/workspaces/${workspaceId}/members/${owner.userId}`, {
      token: owner.token,
    });
    expect(res.statusCode).toBe(403);
    const demote = await t.request('PATCH', `/api/v1/workspaces/${workspaceId}/members/${owner.userId}`, {
      token: owner.token,
      body: { role: 'admin' },
    });
    expect(demote.statusCode).toBe(403);
  });

  it('shares a document with someone outside the workspace, who then reads but cannot rename it', async () => {
    const doc = await createDoc('Shared notes');
    const carol = await t.signUp('carol');
    expect((await t.request('GET', `/api/v1/documents/${doc.id}`, { token: carol.token })).statusCode).toBe(404);
    const share = await t.request('PUT', `/api/v1/documents/${doc.id}/shares/${carol.userId}`, {
      token: owner.token,
      body: { role: 'viewer' },
    });
    expect(share.statusCode).toBe(200);
    const read = await t.request('GET', `/api/v1/documents/${doc.id}`, { token: carol.token });
    expect(read.json()).toMatchObject({ id: doc.id, access: 'viewer' });
    const rename = await t.request('PATCH', `/api/v1/documents/${doc.id}`, {
      token: carol.token,
      body: { title: 'mine' },
    });
    expect(rename.statusCode).toBe(403);
    const upgrade = await t.request('PUT', `/api/v1/documents/${doc.id}/shares/${carol.userId}`, {
      token: owner.token,
      body: { role: 'editor' },
    });
    expect(upgrade.json().role).toBe('editor');
    expect(
      (await t.request('PATCH', `/api/v1/documents/${doc.id}`, { token: carol.token, body: { title: 'ok' } }))
        .statusCode,
    ).toBe(200);
    const shares = (await t.request('GET', `/api/v1/documents/${doc.id}/shares`, { token: owner.token })).json();
    expect(shares.items).toEqual([expect.objectContaining({ userId: carol.userId, role: 'editor' })]);
    expect(
      (await t.request('DELETE', `/api/v1/documents/${doc.id}/shares/${carol.userId}`, { token: owner.token }))
        .statusCode,
    ).toBe(204);
    expect((await t.request('GET', `/api/v1/documents/${doc.id}`, { token: carol.token })).statusCode).toBe(404);
  });

  it('shares by email (any letter case): 202, the share at once for an account, 409 when they already have one [I1] [I2]', async () => {
    const doc = await createDoc('Shared by email');
    const dave = await t.signUp('dave');
    const add = (email: string, role: string) =>
      t.request('POST', `/api/v1/documents/${doc.id}/shares`, { token: owner.token, body: { email, role } });

    const created = await add(dave.email.toUpperCase(), 'commenter');
    expect(created.statusCode, created.body).toBe(202);
    expect(created.json()).toMatchObject({ email: dave.email.toUpperCase(), role: 'commenter' });
    expect((await t.request('GET', `/api/v1/documents/${doc.id}`, { token: dave.token })).json().access).toBe(
      'commenter',
    );

    const again = await add(dave.email, 'viewer');
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toMatch(/already has access/);
    const shares = (await t.request('GET', `/api/v1/documents/${doc.id}/shares`, { token: owner.token })).json();
    expect(shares.items).toEqual([expect.objectContaining({ userId: dave.userId, role: 'commenter' })]);

    // A commenter may read the shares but not add any.
    const byDave = await t.request('POST', `/api/v1/documents/${doc.id}/shares`, {
      token: dave.token,
      body: { email: owner.email, role: 'viewer' },
    });
    expect(byDave.statusCode).toBe(403);
  });

  it('searches titles and content with ranking, prefixes and highlighted segments, only where the caller may read', async () => {
    const a = await createDoc('Migration runbook for PostgreSQL');
    const b = await createDoc('Team lunch');
    await t.app.database
      .pool('api')
      .updateTable('documents')
      .set({ content_text: 'We will migrate the billing database on Friday.' })
      .where('id', '=', b.id)
      .execute();
    const res = await t.request('GET', `/api/v1/search?q=migrat&workspaceId=${workspaceId}`, { token: owner.token });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ id: string; snippet: Array<{ text: string; match: boolean }> }>;
    // Title matches (weight A) rank above body matches (weight B).
    expect(items.map((i) => i.id)).toEqual([a.id, b.id]);
    expect(items[0]?.snippet.some((s) => s.match && /migration/i.test(s.text))).toBe(true);

    const stranger = await t.signUp('stranger');
    const none = await t.request('GET', '/api/v1/search?q=migration', { token: stranger.token });
    expect(none.json().items).toEqual([]);
    await t.request('PUT', `/api/v1/documents/${b.id}/shares/${stranger.userId}`, {
      token: owner.token,
      body: { role: 'viewer' },
    });
    const shared = await t.request('GET', '/api/v1/search?q=billing', { token: stranger.token });
    expect(shared.json().items.map((i: { id: string }) => i.id)).toEqual([b.id]);
  });

  it('deletes a workspace with its documents; members lose access at once', async () => {
    const ws = (await t.request('POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'Temp' } })).json();
    const doc = (
      await t.request('POST', `/api/v1/workspaces/${ws.id}/documents`, { token: owner.token, body: { title: 'gone' } })
    ).json();
    expect((await t.request('GET', `/api/v1/documents/${doc.id}`, { token: owner.token })).statusCode).toBe(200);
    expect((await t.request('DELETE', `/api/v1/workspaces/${ws.id}`, { token: owner.token })).statusCode).toBe(204);
    expect((await t.request('GET', `/api/v1/documents/${doc.id}`, { token: owner.token })).statusCode).toBe(404);
    expect((await t.request('GET', `/api/v1/workspaces/${ws.id}`, { token: owner.token })).statusCode).toBe(404);
  });

  it('counts created documents and permission-cache lookups in /metrics', async () => {
    const text = (await t.request('GET', '/metrics')).body;
    expect(text).toMatch(/documents_created_total\{[^}]*\} [1-9]/);
    expect(text).toMatch(/permission_cache_lookups_total\{[^}]*result="hit"[^}]*\} [1-9]/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*le="0\.2"[^}]*route="\/api\/v1\/documents\/:id"/);
    expect(text).toContain('db_pool_connections_in_use');
    expect(text).toContain('event_loop_active_seconds_total');
  });

  it('serves the OpenAPI document and the browsable reference', async () => {
    const spec = (await t.request('GET', '/api/v1/openapi.json')).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/v1/documents/{id}', '/api/v1/search']));
    const page = await t.request('GET', '/api/v1/docs/');
    expect(page.statusCode).toBe(200);
  });

  it("continues the caller's W3C trace: problem details carry its trace id", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await t.request('GET', `/api/v1/documents/${crypto.randomUUID()}`, {
      token: owner.token,
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().traceId).toBe(traceId);
  });

  it('reports liveness and readiness', async () => {
    expect((await t.request('GET', '/livez')).json()).toEqual({ status: 'ok' });
    const ready = (await t.request('GET', '/readyz')).json();
    expect(ready.status).toBe('ready');
    expect(ready.checks.map((c: { name: string }) => c.name)).toContain('database');
  });
});

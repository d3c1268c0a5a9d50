/**
 * HTTP caching is policy, set in one place: every authenticated response and every error is
 * `no-store`. Routes come from the OpenAPI document, so a new route is covered automatically.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const PUBLIC = new Set(['/livez', '/readyz', '/.well-known/jwks.json']);

describe.each(backends.slice(0, 1))('cache policy on every route [$name]', (backend) => {
  let t: TestApp;
  let owner: TestSession;
  let routes: Array<{ method: string; path: string }>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp(backend);
    owner = await t.signUp('cache');
    const other = await t.signUp('other');
    const ws = (await t.request('POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'C' } })).json();
    const doc = (
      await t.request('POST', `/api/v1/workspaces/${ws.id}/documents`, { token: owner.token, body: { title: 'c' } })
    ).json();
    Object.assign(ids, { workspace: ws.id, document: doc.id, user: other.userId });
    const spec = (await t.request('GET', '/api/v1/openapi.json')).json() as { paths: Record<string, object> };
    routes = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  const fill = (path: string) =>
    path
      .replace('/workspaces/{id}', `/workspaces/${ids.workspace}`)
      .replace('/documents/{id}', `/documents/${ids.document}`)
      .replace('{userId}', ids.user ?? randomUUID())
      .replace('/search', '/search?q=c');

  it('covers every API route in the OpenAPI document', () => {
    expect(routes.length).toBeGreaterThan(15);
  });

  it('answers every authenticated route with private, no-store (whatever the status)', async () => {
    const reads = routes.filter((r) => r.method === 'GET' && !PUBLIC.has(r.path));
    for (const r of reads) {
      const res = await t.request('GET', fill(r.path), { token: owner.token });
      expect(res.headers['cache-control'], `${r.method} ${r.path} → ${res.statusCode}`).toMatch(/no-store/);
      expect(res.headers['x-content-type-options'], r.path).toBe('nosniff');
      if (res.statusCode < 400 && r.path.startsWith('/api/v1/') && r.path !== '/api/v1/auth/login') {
        expect(res.headers['cache-control'], r.path).toBe('private, no-store');
      }
    }
  });

  it('marks every error no-store, including 401 and 404', async () => {
    for (const r of routes.filter((x) => x.path.startsWith('/api/v1/') && !x.path.startsWith('/api/v1/auth'))) {
      const res = await t.request(r.method as 'GET', fill(r.path), { body: r.method === 'GET' ? undefined : {} });
      if (res.statusCode >= 400) expect(res.headers['cache-control'], `${r.method} ${r.path}`).toBe('no-store');
    }
  });
});

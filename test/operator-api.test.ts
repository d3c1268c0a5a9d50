/**
 * The operator API (live profiles, top talkers): only the OPERATOR_TOKEN opens it — no user
 * account does, whatever its workspace role — and it does not exist when no token is configured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const OPERATOR_TOKEN = 'operator-secret-'.repeat(3);
const ROUTES = ['/api/v1/operator/profile?seconds=1', '/api/v1/operator/top-talkers'];

describe.each(backends)('operator API [$name]', (backend) => {
  let t: TestApp;
  let off: TestApp;
  let owner: TestSession;
  beforeAll(async () => {
    [t, off] = await Promise.all([
      startTestApp(backend, { OPERATOR_TOKEN }),
      startTestApp(backend, { OPERATOR_TOKEN: '' }),
    ]);
    owner = await t.signUp('owner');
  });
  afterAll(async () => {
    await Promise.all([t?.close(), off?.close()]);
  });

  it.each(ROUTES)('%s: 404 when OPERATOR_TOKEN is not set, even with a token', async (url) => {
    const res = await off.request('GET', url, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it.each(ROUTES)('%s: 401 without a token, with a user access token, or with a wrong one', async (url) => {
    for (const authorization of [undefined, `Bearer ${owner.token}`, `Bearer ${OPERATOR_TOKEN}x`, OPERATOR_TOKEN]) {
      const res = await t.request('GET', url, { headers: authorization ? { authorization } : {} });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('top talkers: the current view, with the token', async () => {
    const res = await t.request('GET', '/api/v1/operator/top-talkers', {
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      windowSeconds: 60,
      workspaces: { requests: [], throttled: [] },
      documents: { requests: [], receivedBytes: [], sockets: [] },
    });
  });
});

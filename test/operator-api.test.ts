/**
 * The operator API (live profiles, top talkers): only the OPERATOR_TOKEN opens it — no user
 * account does, whatever its workspace role — and it does not exist when no token is configured.
 * A live CPU profile taken through it parses as pprof and names our own functions.
 */
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topFunctions } from '../src/tools/profile-command.ts';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const OPERATOR_TOKEN = 'operator-secret-'.repeat(3);
const ROUTES = ['/api/v1/operator/profile?seconds=1', '/api/v1/operator/top-talkers'];

describe.each(backends)('operator API [$name]', (backend) => {
  let t: TestApp;
  let off: TestApp;
  let owner: TestSession;
  beforeAll(async () => {
    [t, off] = await Promise.all([startTestApp(backend, { OPERATOR_TOKEN }), startTestApp(backend)]);
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

  it('a live CPU profile parses as pprof and names our functions; a second one at once is 409', async () => {
    const auth = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    const pending = t.request('GET', '/api/v1/operator/profile?type=cpu&seconds=2', { headers: auth });
    // Work for the profiler to see: authenticated requests through our hooks, auth and routes.
    let busy = true;
    const load = (async () => {
      while (busy) {
        await Promise.all(
          Array.from({ length: 10 }, () => t.request('GET', '/api/v1/workspaces', { token: owner.token })),
        );
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const second = await t.request('GET', '/api/v1/operator/profile?type=heap&seconds=1', { headers: auth });
    expect(second.statusCode).toBe(409);
    const res = await pending;
    busy = false;
    await load;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    const profile = Profile.decode(gunzipSync(res.rawPayload));
    const strings = profile.stringTable.strings;
    const ours = profile.function
      .map((f) => ({ name: strings[Number(f.name)] as string, file: strings[Number(f.filename)] as string }))
      .filter((f) => f.file.includes('/src/') && !f.file.includes('node_modules'));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.map((f) => f.name)).toEqual(expect.arrayContaining([expect.stringMatching(/\w/)]));
    const { rows } = topFunctions(profile, 10);
    expect(rows.length).toBeGreaterThan(0);
  });
});

/**
 * Per-tenant request limits on both backends (ARCHITECTURE §6): a workspace over its plan's rate
 * gets 429 problem+json with Retry-After and the IETF RateLimit headers while other workspaces
 * carry on; plans and operator overrides set the rate; nobody can spend another tenant's budget;
 * expensive operations have buckets of their own per user (log-in: per address). Limits here are
 * 1 request per second with no burst, and requests go out together, so no test depends on speed.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { startTestApp, TEST_PASSWORD, type TestApp, type TestSession } from './support/test-app.ts';

const API = '/api/v1';
const TIGHT = {
  RATE_LIMIT_FREE_PER_SECOND: '1',
  RATE_LIMIT_BUSINESS_PER_SECOND: '1',
  RATE_LIMIT_ENTERPRISE_PER_SECOND: '1000',
  RATE_LIMIT_BURST_FACTOR: '1',
  RATE_LIMIT_BURST_SECONDS: '0',
  RATE_LIMIT_SEARCH_PER_MINUTE: '60',
  RATE_LIMIT_LOGIN_PER_MINUTE: '60',
  DB_POOL_ACQUIRE_TIMEOUT_MS: '10000',
};
const BURST = 8;

describe.each(backends)('request limits per tenant [$name]', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(backend, TIGHT);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  /** A new owner with a new workspace (one request from the owner's own user bucket). */
  async function tenant(name: string): Promise<{ owner: TestSession; workspaceId: string }> {
    const owner = await t.signUp(name);
    const res = await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name } });
    expect(res.statusCode, res.body).toBe(201);
    return { owner, workspaceId: res.json().id };
  }

  const burst = (n: number, send: () => Promise<LightMyRequestResponse>) =>
    Promise.all(Array.from({ length: n }, send));
  const statuses = (rs: LightMyRequestResponse[]) => rs.map((r) => r.statusCode);

  it('[RL1] a workspace over its rate gets 429 problem+json with Retry-After and RateLimit headers; another does not', async () => {
    const noisy = await tenant('noisy');
    const quiet = await tenant('quiet');
    const answers = await burst(BURST, () =>
      t.request('GET', `${API}/workspaces/${noisy.workspaceId}`, { token: noisy.owner.token }),
    );
    expect(statuses(answers)).toContain(200);
    const refused = answers.find((r) => r.statusCode === 429);
    expect(refused, 'one of the burst was refused').toBeDefined();
    expect(refused?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused?.headers['ratelimit-policy']).toBe('"workspace";q=1;w=1');
    expect(refused?.headers.ratelimit).toMatch(/^"workspace";r=0;t=\d+$/);
    expect(refused?.json()).toMatchObject({ status: 429, type: expect.stringMatching(/rate_limited$/) });
    expect(refused?.json().detail).toMatch(/this workspace/);
    const other = await t.request('GET', `${API}/workspaces/${quiet.workspaceId}`, { token: quiet.owner.token });
    expect(other.statusCode).toBe(200);
    expect(other.headers['ratelimit-policy']).toBe('"workspace";q=1;w=1');
  });

  it('[RL2] the plan sets the rate, and an operator override replaces it', async () => {
    const big = await tenant('big');
    await t.setPlan(big.workspaceId, 'enterprise');
    const ok = await burst(BURST, () =>
      t.request('GET', `${API}/workspaces/${big.workspaceId}`, { token: big.owner.token }),
    );
    expect(statuses(ok)).toEqual(Array(BURST).fill(200));
    expect(ok[0]?.headers['ratelimit-policy']).toBe('"workspace";q=1000;w=1');
    await t.setPlan(big.workspaceId, 'enterprise', 1);
    const capped = await burst(BURST, () =>
      t.request('GET', `${API}/workspaces/${big.workspaceId}`, { token: big.owner.token }),
    );
    expect(statuses(capped)).toContain(429);
  });

  it('[RL3] an outsider cannot spend a workspace budget: their requests count against their own', async () => {
    const victim = await tenant('victim');
    const outsider = await t.signUp('outsider');
    const probes = await burst(BURST, () =>
      t.request('GET', `${API}/workspaces/${victim.workspaceId}`, { token: outsider.token }),
    );
    expect(statuses(probes)).toContain(404);
    expect(statuses(probes)).toContain(429);
    expect(probes.find((r) => r.statusCode === 429)?.headers['ratelimit-policy']).toBe('"user";q=1;w=1');
    const own = await t.request('GET', `${API}/workspaces/${victim.workspaceId}`, { token: victim.owner.token });
    expect(own.statusCode).toBe(200);
  });

  it('[RL4] search has its own per-user bucket on top of the workspace one', async () => {
    const big = await tenant('searcher');
    await t.setPlan(big.workspaceId, 'enterprise');
    const answers = await burst(BURST, () =>
      t.request('GET', `${API}/search?q=plan&workspaceId=${big.workspaceId}`, { token: big.owner.token }),
    );
    expect(statuses(answers)).toContain(200);
    const refused = answers.find((r) => r.statusCode === 429);
    expect(refused?.json().detail).toMatch(/search requests/);
    expect(refused?.headers['ratelimit-policy']).toBe('"workspace";q=1000;w=1, "search";q=1;w=1');
    // The workspace itself is not limited: other reads go on.
    expect(
      (await t.request('GET', `${API}/workspaces/${big.workspaceId}`, { token: big.owner.token })).statusCode,
    ).toBe(200);
  });

  it('[RL5] log-in attempts are limited per client address before any password is checked', async () => {
    const s = await t.signUp('login-limit');
    const login = (remoteAddress: string) =>
      t.app.server.inject({
        method: 'POST',
        url: `${API}/auth/login`,
        payload: { email: s.email, password: TEST_PASSWORD },
        remoteAddress,
      });
    const answers = await burst(BURST, () => login('198.51.100.77'));
    expect(statuses(answers)).toContain(200);
    expect(statuses(answers)).toContain(429);
    expect((await login('203.0.113.77')).statusCode).toBe(200);
  });

  it('[RL10] a refused request is answered before its body is read or validated', async () => {
    const noisy = await tenant('early');
    // An invalid body: a 400 once validated, but over the limit the 429 comes first.
    const answers = await burst(BURST, () =>
      t.request('POST', `${API}/workspaces/${noisy.workspaceId}/documents`, {
        token: noisy.owner.token,
        body: { title: 42 },
      }),
    );
    expect(statuses(answers)).toContain(429);
    const refused = answers.find((r) => r.statusCode === 429);
    expect(refused?.json()).toMatchObject({ status: 429, type: expect.stringMatching(/rate_limited$/) });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused?.headers['ratelimit-policy']).toBe('"workspace";q=1;w=1');
    expect(statuses(answers).every((s) => s === 400 || s === 429)).toBe(true);
  });

  it('[RL6] counts decisions by outcome, plan and scope', async () => {
    const metrics = (await t.request('GET', '/metrics')).body;
    expect(metrics).toMatch(/^rate_limit_decisions_total\{outcome="limited",plan="free",scope="workspace"[^}]*\} \d+/m);
    expect(metrics).toMatch(/^rate_limit_decisions_total\{outcome="allowed",plan="enterprise",scope="workspace"/m);
    expect(metrics).toMatch(/^rate_limit_decisions_total\{outcome="limited",plan="none",scope="login"/m);
  });

  it('[RL7] documents 429 with Retry-After and the RateLimit headers in the OpenAPI', async () => {
    const spec = (await t.request('GET', `${API}/openapi.json`)).json();
    const limited = spec.paths['/api/v1/documents/{id}'].get.responses['429'];
    expect(Object.keys(limited.headers).sort()).toEqual(['ratelimit', 'ratelimit-policy', 'retry-after']);
    expect(spec.paths['/api/v1/auth/login'].post.responses['429'].headers).toBeDefined();
    expect(spec.paths['/api/v1/admin/workspaces/{id}/plan'].put.responses['429']).toBeUndefined();
  });
});

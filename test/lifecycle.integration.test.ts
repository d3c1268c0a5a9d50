/**
 * The real process: `serve` on the embedded default under a temp DATA_DIR, graceful shutdown on
 * SIGTERM (readiness fails first, in-flight requests finish, exit 0), data kept across restarts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, startServerProcess } from './support/server-process.ts';

describe('process lifecycle on the embedded default', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', SHUTDOWN_DRAIN_MS: '1000', SCRYPT_COST: '16384' };

  it('drains on SIGTERM: readiness fails, in-flight requests complete, exit code 0', { timeout: 90_000 }, async () => {
    const server = await startServerProcess(env, 60_000);
    // Slow-ish requests (scrypt) in flight when the signal arrives.
    const inFlight = Array.from({ length: 12 }, (_, i) =>
      call(server.url, 'POST', '/api/v1/auth/signup', {
        body: { email: `drain-${i}@example.test`, password: 'correct horse battery', displayName: `d${i}` },
      }),
    );
    await new Promise((r) => setTimeout(r, 30));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.status)).toEqual(results.map(() => 201));
    const code = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
    if (code !== 0) console.error(server.output());
    expect(code).toBe(0);
    expect(server.output()).toContain('shutdown complete');
  });

  it('keeps data across a restart, and never logs secrets', { timeout: 90_000 }, async () => {
    const server = await startServerProcess(env, 60_000);
    const login = await call(server.url, 'POST', '/api/v1/auth/login', {
      body: { email: 'drain-0@example.test', password: 'correct horse battery' },
    });
    expect(login.status).toBe(200);
    await call(server.url, 'GET', `/api/v1/me?token=${login.body.accessToken}`, { token: login.body.accessToken });
    expect(await server.stop()).toBe(0);
    const logs = server.output();
    expect(logs).toContain('"msg":"request completed"');
    expect(logs).toContain('"route":"/api/v1/me"');
    expect(logs).toMatch(/"trace_id":"[0-9a-f]{32}","span_id":"[0-9a-f]{16}"/);
    // The query value is replaced, so the request stays traceable without the secret.
    expect(logs).toMatch(/"url":"\/api\/v1\/me\?token=[^"]*redacted/);
    expect(logs).not.toContain(login.body.accessToken);
    expect(logs).not.toContain(login.body.refreshToken);
    expect(logs).not.toContain('correct horse battery');
  });
});

/** Starts a real app (not listening) on a backend and offers a small typed client over inject(). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.ts';
import { createApp, type RunningApp } from '../../src/main.ts';
import type { Backend } from './backends.ts';

export const TEST_PASSWORD = 'correct horse battery staple';

export type TestSession = { userId: string; email: string; token: string; refreshToken: string };

export type TestApp = {
  app: RunningApp;
  request(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  signUp(name?: string): Promise<TestSession>;
  close(): Promise<void>;
};

let counter = 0;

export async function startTestApp(backend: Backend, env: Record<string, string> = {}): Promise<TestApp> {
  const provisioned = await backend.provision();
  // Export files (and anything else a test app writes to disk) stay out of ./data.
  const dataDir = mkdtempSync(join(tmpdir(), 'cd-test-app-'));
  // A fresh database's first connections are slow while the whole suite runs in parallel; the
  // production default (100 ms) would turn that into 503s that say nothing about the code under test.
  const config = loadConfig({
    SCRYPT_COST: '1024',
    LOG_LEVEL: 'silent',
    DB_POOL_ACQUIRE_TIMEOUT_MS: '2000',
    // Every test client comes from 127.0.0.1; sign-up throttling has its own test.
    SIGNUP_MAX_PER_IP_PER_HOUR: '1000000',
    DATA_DIR: dataDir,
    ...provisioned.env,
    ...env,
  });
  const app = await createApp(config, {
    logger: pino({ level: 'silent' }),
    inMemoryDatabase: provisioned.inMemoryDatabase,
  });
  await app.server.ready();
  const request: TestApp['request'] = (method, url, opts = {}) =>
    app.server.inject({
      method,
      url,
      headers: {
        ...(opts.token && { authorization: `Bearer ${opts.token}` }),
        ...opts.headers,
      },
      ...(opts.body !== undefined && { payload: opts.body as object }),
    });
  return {
    app,
    request,
    async signUp(name = 'user') {
      counter++;
      const email = `${name}-${counter}-${Date.now()}@example.test`;
      const res = await request('POST', '/api/v1/auth/signup', {
        body: { email, password: TEST_PASSWORD, displayName: `${name} ${counter}` },
      });
      if (res.statusCode !== 201) throw new Error(`signup failed: ${res.statusCode} ${res.body}`);
      const body = res.json();
      return { userId: body.user.id, email, token: body.accessToken, refreshToken: body.refreshToken };
    },
    async close() {
      await app.close();
      await provisioned.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

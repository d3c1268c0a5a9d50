/** Starts a real app (not listening) on a backend and offers a small typed client over inject(). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import pino, { type Logger } from 'pino';
import { loadConfig } from '../../src/config/config.ts';
import { createApp, type RunningApp } from '../../src/main.ts';
import type { Backend } from './backends.ts';
import { GENEROUS_SYNC_LIMITS } from './generous-sync-limits.ts';

/** The secret of an invitation or reset link (it travels in the fragment: `…#token=<token>`). */
export function linkToken(link: string): string {
  const token = new URL(link).hash.match(/^#token=([A-Za-z0-9_-]+)$/)?.[1];
  if (!token) throw new Error(`not a link with a token: ${link}`);
  return token;
}

export const TEST_PASSWORD = 'correct horse battery staple';
/**
 * Request limits high enough for fixtures (see test/rate-limits.test.ts): per-user limits of
 * expensive operations, and the plans' rates — a test sends one workspace's requests as fast as
 * the machine allows, which on a fast machine outruns the 2x peak of the default 100 req/s [RL11].
 */
export const GENEROUS_OPERATION_LIMITS = {
  RATE_LIMIT_FREE_PER_SECOND: '100000',
  RATE_LIMIT_BUSINESS_PER_SECOND: '100000',
  RATE_LIMIT_SEARCH_PER_MINUTE: '6000000',
  RATE_LIMIT_EXPORT_PER_MINUTE: '6000000',
  RATE_LIMIT_IMAGE_PER_MINUTE: '6000000',
  RATE_LIMIT_INVITE_PER_MINUTE: '6000000',
  RATE_LIMIT_LOGIN_PER_MINUTE: '6000000',
};
/** The operator credential every test app accepts (OPERATOR_TOKEN). */
export const TEST_OPERATOR_TOKEN = 'test-operator-token-0123456789abcdef';

export type TestSession = { userId: string; email: string; token: string; refreshToken: string };

export type TestApp = {
  app: RunningApp;
  request(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  signUp(name?: string): Promise<TestSession>;
  /**
   * Makes `member` a member of the workspace the way people join: `by` invites them, they accept
   * with the link's token (test apps write mail to files, so the answer carries the link).
   */
  addMember(by: TestSession, workspaceId: string, member: TestSession, role: string): Promise<void>;
  /** Sets a workspace's plan through the operator API (owners cannot). */
  setPlan(
    workspaceId: string,
    plan: 'free' | 'business' | 'enterprise',
    rateLimitPerSecond?: number | null,
  ): Promise<void>;
  close(): Promise<void>;
};

let counter = 0;

export async function startTestApp(
  backend: Backend,
  env: Record<string, string> = {},
  opts: { logger?: Logger } = {},
): Promise<TestApp> {
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
    // Likewise the request limits (fixtures invite, export and read a lot, fast);
    // test/rate-limits.test.ts sets small ones.
    ...GENEROUS_OPERATION_LIMITS,
    ...GENEROUS_SYNC_LIMITS,
    DATA_DIR: dataDir,
    OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
    ...provisioned.env,
    ...env,
  });
  const app = await createApp(config, {
    logger: opts.logger ?? pino({ level: 'silent' }),
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
    async addMember(by, workspaceId, member, role) {
      const invited = await request('POST', `/api/v1/workspaces/${workspaceId}/members`, {
        token: by.token,
        body: { email: member.email, role },
      });
      if (invited.statusCode !== 202) throw new Error(`invitation failed: ${invited.statusCode} ${invited.body}`);
      const accepted = await request('POST', '/api/v1/invitations/accept', {
        token: member.token,
        body: { token: linkToken(invited.json().link) },
      });
      if (accepted.statusCode !== 200) throw new Error(`acceptance failed: ${accepted.statusCode} ${accepted.body}`);
    },
    async setPlan(workspaceId, plan, rateLimitPerSecond) {
      const res = await request('PUT', `/api/v1/admin/workspaces/${workspaceId}/plan`, {
        token: TEST_OPERATOR_TOKEN,
        body: { plan, ...(rateLimitPerSecond !== undefined && { rateLimitPerSecond }) },
      });
      if (res.statusCode !== 200) throw new Error(`set plan failed: ${res.statusCode} ${res.body}`);
    },
    async close() {
      await app.close();
      await provisioned.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

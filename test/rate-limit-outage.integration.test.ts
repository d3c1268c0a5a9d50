/**
 * Request limits while Redis is away [RL8]: a private redis-server this test kills and restarts.
 * Limits are fleet-wide while Redis answers, per instance while it does not — never "no limit"
 * and never "everything 503" — and fleet-wide again once it is back; the degraded state is a metric.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, realServersConfigured } from './support/backends.ts';
import { type PrivateRedis, redisServerAvailable, startPrivateRedis } from './support/private-redis.ts';
import { startTestApp, TEST_PASSWORD, type TestApp, type TestSession } from './support/test-app.ts';

const API = '/api/v1';
const BURST = 8;
const real = backends.find((b) => b.name === 'postgres+redis');

async function eventually(probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(realServersConfigured && redisServerAvailable())(
  'request limits when Redis goes away [postgres+redis]',
  () => {
    let redis: PrivateRedis;
    let t: TestApp;
    let owner: TestSession;
    let workspaceId: string;

    beforeAll(async () => {
      redis = await startPrivateRedis();
      t = await startTestApp(real as NonNullable<typeof real>, {
        REDIS_URL: redis.url,
        RATE_LIMIT_FREE_PER_SECOND: '1',
        RATE_LIMIT_BURST_FACTOR: '1',
        RATE_LIMIT_BURST_SECONDS: '0',
        DB_POOL_ACQUIRE_TIMEOUT_MS: '10000',
      });
      owner = await t.signUp('outage');
      workspaceId = (await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'O' } })).json()
        .id;
    }, 120_000);
    afterAll(async () => {
      await t?.close();
      await redis?.kill();
    });

    const flood = () =>
      Promise.all(
        Array.from({ length: BURST }, () =>
          t.request('GET', `${API}/workspaces/${workspaceId}`, { token: owner.token }),
        ),
      );
    const statuses = (rs: LightMyRequestResponse[]) => rs.map((r) => r.statusCode).sort();
    const degradedGauge = async () =>
      /^rate_limit_degraded\{[^}]*\} 1$/m.test((await t.request('GET', '/metrics')).body);

    it('[RL8] limits in Redis while it answers (the bucket is a Redis key)', async () => {
      const answers = await flood();
      expect(statuses(answers)).toContain(429);
      expect((await redis.cli('--scan', '--pattern', '*rl:ws:*')).length).toBeGreaterThan(0);
      expect(await degradedGauge()).toBe(false);
    });

    it('[RL8] with Redis down: per-instance limits (some 200, some 429), no 503, log-in works', {
      timeout: 60_000,
    }, async () => {
      await redis.kill();
      await new Promise((r) => setTimeout(r, 1_100));
      const answers = await flood();
      expect(statuses(answers)).toContain(200);
      expect(statuses(answers)).toContain(429);
      expect(statuses(answers).filter((s) => s >= 500)).toEqual([]);
      expect(await degradedGauge()).toBe(true);
      const login = await t.request('POST', `${API}/auth/login`, {
        body: { email: owner.email, password: TEST_PASSWORD },
      });
      expect(login.statusCode).toBe(200);
    });

    it('[RL8] with Redis back: fleet-wide again, and the gauge clears', { timeout: 60_000 }, async () => {
      await redis.start();
      await eventually(async () => {
        await new Promise((r) => setTimeout(r, 1_100));
        await flood();
        return (await redis.cli('--scan', '--pattern', '*rl:ws:*')).length > 0;
      });
      expect(await degradedGauge()).toBe(false);
    });
  },
);

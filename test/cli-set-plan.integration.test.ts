/**
 * `collab-docs workspaces set-plan` (the operator's CLI) on both backends: it changes the plan
 * and the rate-limit override in the database the server uses, and refuses bad input with
 * exit code 2 before touching anything [P6].
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlanChange } from '../src/app/plan-change-args.ts';
import { loadConfig } from '../src/config/config.ts';
import { createApp } from '../src/main.ts';
import { createTestDatabase, realServersConfigured } from './support/backends.ts';

/** Fixtures are not back-pressure tests: wait for a connection rather than fail in 100 ms. */
const SLOW_MACHINE = { DB_POOL_ACQUIRE_TIMEOUT_MS: '10000' };
const BIN = fileURLToPath(new URL('../bin/collab-docs.js', import.meta.url));
const run = promisify(execFile);

type Outcome = { code: number; stdout: string; stderr: string };
async function cli(env: Record<string, string>, ...args: string[]): Promise<Outcome> {
  try {
    // The embedded case must not inherit the test run's DATABASE_URL and REDIS_URL.
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...inherited, LOG_LEVEL: 'silent', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

type Setup = { env: Record<string, string>; cleanup(): Promise<void> };
const embedded = async (): Promise<Setup> => {
  // On disk, not in memory: the CLI opens the same PGlite directory after the app closed it.
  const dir = mkdtempSync(join(tmpdir(), 'cd-cli-'));
  return { env: { DATA_DIR: dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
};
const postgres = async (): Promise<Setup> => {
  const db = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'cd-cli-'));
  return {
    env: { DATA_DIR: dir, DATABASE_URL: db.url },
    cleanup: async () => {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
const setups: Array<[string, () => Promise<Setup>]> = [['embedded', embedded]];
if (realServersConfigured) setups.push(['postgres', postgres]);

/** Creates an owner and a workspace through the API, then closes the app so the CLI may open the database. */
async function seedWorkspace(env: Record<string, string>): Promise<string> {
  const app = await createApp(loadConfig({ SCRYPT_COST: '1024', ROLES: 'api', ...SLOW_MACHINE, ...env }), {
    logger: pino({ level: 'silent' }),
  });
  try {
    const signup = await app.server.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      payload: { email: 'op-cli@example.test', password: 'correct horse battery staple', displayName: 'Op' },
    });
    const ws = await app.server.inject({
      method: 'POST',
      url: '/api/v1/workspaces',
      headers: { authorization: `Bearer ${signup.json().accessToken}` },
      payload: { name: 'Tenant' },
    });
    return ws.json().id;
  } finally {
    await app.close();
  }
}

describe.each(setups)('collab-docs workspaces set-plan [%s]', (_name, setUp) => {
  let s: Setup;
  let workspaceId: string;
  beforeAll(async () => {
    s = await setUp();
    workspaceId = await seedWorkspace(s.env);
  }, 180_000);
  afterAll(async () => s?.cleanup());

  const stored = async () => {
    const app = await createApp(loadConfig({ ROLES: 'worker', ...SLOW_MACHINE, ...s.env }), {
      logger: pino({ level: 'silent' }),
    });
    try {
      return await app.database
        .pool('worker')
        .selectFrom('workspaces')
        .select(['plan', 'rate_limit_per_second'])
        .where('id', '=', workspaceId)
        .executeTakeFirstOrThrow();
    } finally {
      await app.close();
    }
  };

  it('[P6] sets the plan and the override, then clears the override', { timeout: 180_000 }, async () => {
    const set = await cli(s.env, 'workspaces', 'set-plan', workspaceId, 'enterprise', '--rate-limit', '750');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/plan enterprise, requests per second 750/);
    expect(await stored()).toEqual({ plan: 'enterprise', rate_limit_per_second: 750 });
    const cleared = await cli(s.env, 'workspaces', 'set-plan', workspaceId, 'business', '--rate-limit', 'none');
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(await stored()).toEqual({ plan: 'business', rate_limit_per_second: null });
  });

  it('[P6] exits 1 for a workspace that does not exist and 2 for a bad plan', { timeout: 180_000 }, async () => {
    const missing = await cli(s.env, 'workspaces', 'set-plan', '0190a8f4-9d1c-7c3e-8a5b-2f1e3d4c5b6a', 'free');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no workspace/);
    const bad = await cli(s.env, 'workspaces', 'set-plan', workspaceId, 'platinum');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/plan must be one of free, business, enterprise/);
    expect((await stored()).plan).toBe('business');
  });
});

describe('set-plan arguments', () => {
  const id = '0190a8f4-9d1c-7c3e-8a5b-2f1e3d4c5b6a';
  it.each([
    [[], undefined, /needs a workspace id and a plan/],
    [['nope', 'free'], undefined, /not a workspace id/],
    [[id, 'free', 'extra'], undefined, /unexpected arguments/],
    [[id, 'gold'], undefined, /plan must be one of/],
    [[id, 'free'], '0', /--rate-limit must be an integer/],
    [[id, 'free'], '2.5', /--rate-limit must be an integer/],
    [[id, 'free'], '100001', /--rate-limit must be an integer/],
  ])('%j --rate-limit %s is refused', (args, rate, problem) => {
    const parsed = parsePlanChange(args, rate);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });

  it('reads a plan, an override and "none"', () => {
    expect(parsePlanChange([id, 'enterprise'], '500')).toEqual({
      workspaceId: id,
      change: { plan: 'enterprise', rateLimitPerSecond: 500 },
    });
    expect(parsePlanChange([id, 'free'], 'none')).toEqual({
      workspaceId: id,
      change: { plan: 'free', rateLimitPerSecond: null },
    });
    expect(parsePlanChange([id, 'free'], undefined)).toEqual({ workspaceId: id, change: { plan: 'free' } });
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_NAMES, ConfigError, loadConfig, resolveSyncProcesses } from '../src/config/config.ts';

describe('configuration', () => {
  it('defaults to the embedded mode on port 3000 with all roles', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, dataDir: './data', roles: ['api', 'sync', 'worker'] });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
  });

  it('reports every bad value at once, naming the variable', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ROLES: 'api,web', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = error?.problems.join('\n') ?? '';
    for (const name of ['PORT', 'DATABASE_URL', 'ROLES', 'LOG_LEVEL']) expect(text).toContain(name);
  });

  it('never prints a password from a bad URL', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgress://app:s3cret@db:5432/x' })).toThrow(/app:\*\*\*@db/);
    expect(() => loadConfig({ DATABASE_URL: 'postgress://app:s3cret@db:5432/x' })).not.toThrow(/s3cret/);
  });

  it('requires OIDC_JWKS_URL with OIDC_ISSUER', () => {
    expect(() => loadConfig({ OIDC_ISSUER: 'https://id.example' })).toThrow(/OIDC_JWKS_URL/);
  });

  it('[S10.2] refuses SYNC_PROCESSES above 1 without PostgreSQL and Redis, or on PORT=0', () => {
    const real = { DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r:6379' };
    expect(() => loadConfig({ SYNC_PROCESSES: '2' })).toThrow(/SYNC_PROCESSES=2: .*DATABASE_URL and REDIS_URL/);
    expect(() => loadConfig({ SYNC_PROCESSES: 'auto', DATABASE_URL: real.DATABASE_URL })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ ...real, SYNC_PROCESSES: '2', PORT: '0' })).toThrow(/fixed PORT/);
    expect(() => loadConfig({ ...real, SYNC_PROCESSES: 'many' })).toThrow(/SYNC_PROCESSES/);
    expect(() => loadConfig({ ...real, SYNC_PROCESSES: '0' })).toThrow(/SYNC_PROCESSES/);
    expect(resolveSyncProcesses(loadConfig({}), 8)).toBe(1);
    expect(resolveSyncProcesses(loadConfig({ ...real, SYNC_PROCESSES: '3' }), 8)).toBe(3);
    expect(resolveSyncProcesses(loadConfig({ ...real, SYNC_PROCESSES: 'auto' }), 8)).toBe(8);
  });

  it('documents every variable in .env.example', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const name of CONFIG_ENV_NAMES) expect(example, name).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});

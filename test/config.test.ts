import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_NAMES, ConfigError, loadConfig } from '../src/config/config.ts';

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

  it('documents every variable in .env.example', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const name of CONFIG_ENV_NAMES) expect(example, name).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});

/** Environment → validated, typed configuration. The only module that reads `process.env`. */
import { type Static, Type as T } from 'typebox';
import { Value } from 'typebox/value';

const Roles = T.Enum(['api', 'sync', 'worker']);
export type Role = Static<typeof Roles>;

const Int = (min: number, max: number, dflt: number, description: string) =>
  T.Integer({ minimum: min, maximum: max, default: dflt, description });

export const ConfigSchema = T.Object({
  port: Int(0, 65535, 3000, 'PORT: HTTP/WebSocket listening port'),
  host: T.String({ default: '0.0.0.0', minLength: 1, description: 'HOST: interface to bind' }),
  dataDir: T.String({ default: './data', minLength: 1, description: 'DATA_DIR: embedded database and files' }),
  databaseUrl: T.Optional(T.String({ pattern: '^postgres(ql)?://', description: 'DATABASE_URL' })),
  redisUrl: T.Optional(T.String({ pattern: '^rediss?://', description: 'REDIS_URL' })),
  redisPrefix: T.String({ default: 'cd:', description: 'REDIS_PREFIX: prefix for keys and channels' }),
  logLevel: T.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    description: 'LOG_LEVEL',
  }),
  roles: T.Array(Roles, { minItems: 1, default: ['api', 'sync', 'worker'] }),
  trustProxy: T.String({
    default: '',
    description: 'TRUST_PROXY: "true", or comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed',
  }),
  publicUrl: T.String({ default: 'http://localhost:3000', pattern: '^https?://', description: 'PUBLIC_URL' }),
  migrateOnStart: T.Boolean({
    default: true,
    description: 'MIGRATE_ON_START: apply migrations at start (false when a migration job runs them)',
  }),
  // Pools: one per role (bulkheads). Sizes follow throughput × latency + buffer.
  poolApiMax: Int(1, 200, 10, 'DB_POOL_API_MAX'),
  poolSyncMax: Int(1, 200, 5, 'DB_POOL_SYNC_MAX'),
  poolWorkerMax: Int(1, 200, 2, 'DB_POOL_WORKER_MAX'),
  poolAcquireTimeoutMs: Int(1, 60_000, 100, 'DB_POOL_ACQUIRE_TIMEOUT_MS'),
  statementTimeoutMs: Int(1, 600_000, 5_000, 'DB_STATEMENT_TIMEOUT_MS'),
  poolMaxLifetimeSeconds: Int(0, 86_400, 1_800, 'DB_POOL_MAX_LIFETIME_SECONDS'),
  // Auth
  jwtIssuer: T.String({ default: 'collab-docs', minLength: 1, description: 'JWT_ISSUER' }),
  jwtAudience: T.String({ default: 'collab-docs', minLength: 1, description: 'JWT_AUDIENCE' }),
  accessTokenTtlSeconds: Int(30, 86_400, 900, 'ACCESS_TOKEN_TTL_SECONDS'),
  refreshTokenTtlSeconds: Int(60, 31_536_000, 2_592_000, 'REFRESH_TOKEN_TTL_SECONDS'),
  oidcIssuer: T.Optional(T.String({ minLength: 1, description: 'OIDC_ISSUER' })),
  oidcJwksUrl: T.Optional(T.String({ pattern: '^https?://', description: 'OIDC_JWKS_URL' })),
  oidcAudience: T.Optional(T.String({ minLength: 1, description: 'OIDC_AUDIENCE' })),
  jwksCacheTtlMs: Int(1_000, 86_400_000, 300_000, 'JWKS_CACHE_TTL_MS'),
  permissionCacheTtlMs: Int(0, 3_600_000, 300_000, 'PERMISSION_CACHE_TTL_MS'),
  permissionCacheMax: Int(100, 10_000_000, 100_000, 'PERMISSION_CACHE_MAX'),
  loginMaxFailuresPerAccount: Int(1, 1_000, 5, 'LOGIN_MAX_FAILURES_PER_ACCOUNT'),
  loginMaxFailuresPerIp: Int(1, 100_000, 50, 'LOGIN_MAX_FAILURES_PER_IP'),
  loginFailureWindowSeconds: Int(1, 86_400, 900, 'LOGIN_FAILURE_WINDOW_SECONDS'),
  signupMaxPerIpPerHour: Int(1, 1_000_000, 20, 'SIGNUP_MAX_PER_IP_PER_HOUR'),
  scryptCost: Int(1024, 1_048_576, 16_384, 'SCRYPT_COST (N, a power of two)'),
  // Observability and lifecycle
  otlpEndpoint: T.Optional(T.String({ pattern: '^https?://', description: 'OTEL_EXPORTER_OTLP_ENDPOINT' })),
  traceSampleRatio: T.Number({ minimum: 0, maximum: 1, default: 0.01, description: 'TRACE_SAMPLE_RATIO' }),
  traceSlowMs: Int(1, 600_000, 500, 'TRACE_SLOW_MS'),
  shutdownDrainMs: Int(0, 120_000, 0, 'SHUTDOWN_DRAIN_MS'),
  shutdownTimeoutMs: Int(100, 600_000, 25_000, 'SHUTDOWN_TIMEOUT_MS'),
  readyMinFreeDiskMb: Int(0, 1_000_000, 100, 'READY_MIN_FREE_DISK_MB'),
});
export type Config = Static<typeof ConfigSchema>;

type Key = keyof Config;
type Kind = 'int' | 'num' | 'str' | 'list' | 'bool';
/** Environment variable → config key and how to read its string. */
const ENV: Record<string, [Key, Kind]> = {
  PORT: ['port', 'int'],
  HOST: ['host', 'str'],
  DATA_DIR: ['dataDir', 'str'],
  DATABASE_URL: ['databaseUrl', 'str'],
  REDIS_URL: ['redisUrl', 'str'],
  REDIS_PREFIX: ['redisPrefix', 'str'],
  LOG_LEVEL: ['logLevel', 'str'],
  ROLES: ['roles', 'list'],
  PUBLIC_URL: ['publicUrl', 'str'],
  TRUST_PROXY: ['trustProxy', 'str'],
  SIGNUP_MAX_PER_IP_PER_HOUR: ['signupMaxPerIpPerHour', 'int'],
  MIGRATE_ON_START: ['migrateOnStart', 'bool'],
  DB_POOL_API_MAX: ['poolApiMax', 'int'],
  DB_POOL_SYNC_MAX: ['poolSyncMax', 'int'],
  DB_POOL_WORKER_MAX: ['poolWorkerMax', 'int'],
  DB_POOL_ACQUIRE_TIMEOUT_MS: ['poolAcquireTimeoutMs', 'int'],
  DB_STATEMENT_TIMEOUT_MS: ['statementTimeoutMs', 'int'],
  DB_POOL_MAX_LIFETIME_SECONDS: ['poolMaxLifetimeSeconds', 'int'],
  JWT_ISSUER: ['jwtIssuer', 'str'],
  JWT_AUDIENCE: ['jwtAudience', 'str'],
  ACCESS_TOKEN_TTL_SECONDS: ['accessTokenTtlSeconds', 'int'],
  REFRESH_TOKEN_TTL_SECONDS: ['refreshTokenTtlSeconds', 'int'],
  OIDC_ISSUER: ['oidcIssuer', 'str'],
  OIDC_JWKS_URL: ['oidcJwksUrl', 'str'],
  OIDC_AUDIENCE: ['oidcAudience', 'str'],
  JWKS_CACHE_TTL_MS: ['jwksCacheTtlMs', 'int'],
  PERMISSION_CACHE_TTL_MS: ['permissionCacheTtlMs', 'int'],
  PERMISSION_CACHE_MAX: ['permissionCacheMax', 'int'],
  LOGIN_MAX_FAILURES_PER_ACCOUNT: ['loginMaxFailuresPerAccount', 'int'],
  LOGIN_MAX_FAILURES_PER_IP: ['loginMaxFailuresPerIp', 'int'],
  LOGIN_FAILURE_WINDOW_SECONDS: ['loginFailureWindowSeconds', 'int'],
  SCRYPT_COST: ['scryptCost', 'int'],
  OTEL_EXPORTER_OTLP_ENDPOINT: ['otlpEndpoint', 'str'],
  TRACE_SAMPLE_RATIO: ['traceSampleRatio', 'num'],
  TRACE_SLOW_MS: ['traceSlowMs', 'int'],
  SHUTDOWN_DRAIN_MS: ['shutdownDrainMs', 'int'],
  SHUTDOWN_TIMEOUT_MS: ['shutdownTimeoutMs', 'int'],
  READY_MIN_FREE_DISK_MB: ['readyMinFreeDiskMb', 'int'],
};
const envNameOf = Object.fromEntries(Object.entries(ENV).map(([env, [key]]) => [key, env])) as Record<Key, string>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function convert(raw: string, kind: Kind): unknown {
  const s = raw.trim();
  if (kind === 'bool') return s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : raw;
  if (kind === 'str') return s;
  if (kind === 'list')
    return s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  const n = Number(s);
  return s === '' || Number.isNaN(n) ? raw : n;
}

/** A bad value as shown in the error: passwords inside URLs are masked, never printed. */
function shown(value: unknown): string {
  return JSON.stringify(value).replace(/(\/\/[^/:@"]*:)[^@/"]*@/g, '$1***@');
}

/** Builds the config from an environment map, reporting every bad value at once. */
export function loadConfig(env: Record<string, string | undefined>, overrides: Partial<Config> = {}): Config {
  const input: Record<string, unknown> = {};
  for (const [name, [key, kind]] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== '') input[key] = convert(raw, kind);
  }
  Object.assign(input, overrides);
  const withDefaults = Value.Default(ConfigSchema, input) as Record<string, unknown>;
  const byKey = new Map<string, string>();
  for (const e of Value.Errors(ConfigSchema, withDefaults)) {
    const key = e.instancePath.split('/')[1] as Key | undefined;
    const name = key ? (envNameOf[key] ?? key) : 'config';
    if (!byKey.has(name)) byKey.set(name, `${name}=${key ? shown(withDefaults[key]) : ''}: ${e.message}`);
  }
  const problems = [...byKey.values()];
  const cfg = withDefaults as Config;
  if (problems.length === 0) {
    if (cfg.oidcIssuer && !cfg.oidcJwksUrl) problems.push('OIDC_JWKS_URL: required when OIDC_ISSUER is set');
    if ((cfg.scryptCost & (cfg.scryptCost - 1)) !== 0)
      problems.push(`SCRYPT_COST=${cfg.scryptCost}: must be a power of two`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}

/** Every variable the config understands, for `.env.example` drift tests. */
export const CONFIG_ENV_NAMES = Object.keys(ENV);

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
  unknownKidCooldownMs: T.Optional(
    Int(
      0,
      3_600_000,
      1_000,
      'UNKNOWN_KID_COOLDOWN_MS: least time between key refreshes caused by unknown kids (default 1 s; 30 s with OIDC)',
    ),
  ),
  permissionCacheTtlMs: Int(0, 3_600_000, 300_000, 'PERMISSION_CACHE_TTL_MS'),
  permissionCacheMax: Int(100, 10_000_000, 100_000, 'PERMISSION_CACHE_MAX'),
  loginMaxFailuresPerAccount: Int(1, 1_000, 5, 'LOGIN_MAX_FAILURES_PER_ACCOUNT'),
  loginMaxFailuresPerIp: Int(1, 100_000, 50, 'LOGIN_MAX_FAILURES_PER_IP'),
  loginFailureWindowSeconds: Int(1, 86_400, 900, 'LOGIN_FAILURE_WINDOW_SECONDS'),
  signupMaxPerIpPerHour: Int(1, 1_000_000, 20, 'SIGNUP_MAX_PER_IP_PER_HOUR'),
  scryptCost: Int(1024, 1_048_576, 16_384, 'SCRYPT_COST (N, a power of two)'),
  // Sync tier
  syncPersistBatchMs: Int(0, 1000, 5, 'SYNC_PERSIST_BATCH_MS: group-commit window per document'),
  syncCompactThreshold: Int(1, 1000000, 500, 'SYNC_COMPACT_THRESHOLD: log rows before merging into the stored state'),
  syncCompactIdleMs: Int(
    0,
    3600000,
    2000,
    'SYNC_COMPACT_IDLE_MS: compact an open document this long after its last edit, so search sees it (0: off)',
  ),
  syncRoomGraceMs: Int(0, 3600000, 10000, 'SYNC_ROOM_GRACE_MS: an empty room stays loaded this long'),
  syncMaxMessageBytes: Int(
    1024,
    268435456,
    8388608,
    'SYNC_MAX_MESSAGE_BYTES: largest frame accepted (closed 1009 above)',
  ),
  syncMessagesPerSecond: Int(1, 100000, 200, 'SYNC_MESSAGES_PER_SECOND: sustained frames per socket per second'),
  syncMessageBurst: Int(1, 1000000, 1000, 'SYNC_MESSAGE_BURST: frames a socket may send in a burst'),
  syncSendBufferSoftBytes: Int(
    1024,
    1073741824,
    262144,
    'SYNC_SEND_BUFFER_SOFT_BYTES: over this a socket stops getting presence',
  ),
  syncSendBufferHardBytes: Int(
    1024,
    1073741824,
    8388608,
    'SYNC_SEND_BUFFER_HARD_BYTES: over this a socket is closed as too slow',
  ),
  syncHeartbeatMs: Int(100, 600000, 30000, 'SYNC_HEARTBEAT_MS: ping interval; a socket silent for two is closed'),
  syncAuthTimeoutMs: Int(100, 600000, 10000, 'SYNC_AUTH_TIMEOUT_MS: time to present a token after connecting'),
  syncFullPresenceMax: Int(
    1,
    1000000,
    100,
    'SYNC_FULL_PRESENCE_MAX: connections with real-time presence; above it presence is sampled',
  ),
  syncViewOnlyAbove: Int(1, 10000000, 500, 'SYNC_VIEW_ONLY_ABOVE: at this many connections newcomers join read-only'),
  syncBroadcastBatchAbove: Int(
    0,
    10000000,
    100,
    'SYNC_BROADCAST_BATCH_ABOVE: rooms larger than this send merged updates per tick',
  ),
  syncBroadcastTickMs: Int(1, 10000, 20, 'SYNC_BROADCAST_TICK_MS: update batching tick for large rooms'),
  syncPresenceTickMs: Int(10, 60000, 500, 'SYNC_PRESENCE_TICK_MS: presence tick for reduced rooms'),
  syncPresenceSampleSize: Int(1, 100000, 50, 'SYNC_PRESENCE_SAMPLE_SIZE: presence states per tick in reduced rooms'),
  syncViewerPresence: T.Boolean({
    default: false,
    description: "SYNC_VIEWER_PRESENCE: show read-only users' cursors to others",
  }),
  // Web app
  webDir: T.Optional(
    T.String({ minLength: 1, description: 'WEB_DIR: built web app to serve (default: dist/web in the project)' }),
  ),
  webBuild: T.Enum(['auto', 'never'], {
    default: 'auto',
    description: 'WEB_BUILD: "auto" builds the web app at start when its sources are newer than the build',
  }),
  // Export (ARCHITECTURE §5): workers, renderers, retries, retention, quotas, webhooks
  exportWorkerConcurrency: Int(
    1,
    1_000,
    2,
    'EXPORT_WORKER_CONCURRENCY: export jobs one worker process renders at once',
  ),
  exportPollIntervalMs: Int(10, 600_000, 1_000, 'EXPORT_POLL_INTERVAL_MS: how often an idle worker looks for jobs'),
  exportLeaseMs: Int(
    100,
    3_600_000,
    30_000,
    'EXPORT_LEASE_MS: a claimed job is reclaimed this long after its worker stops renewing',
  ),
  exportMaxRetries: Int(0, 20, 3, 'EXPORT_MAX_RETRIES: retries after the first attempt before dead-lettering'),
  exportBackoffBaseMs: Int(
    1,
    3_600_000,
    1_000,
    'EXPORT_BACKOFF_BASE_MS: first retry delay, doubled for each later retry (+ jitter)',
  ),
  exportTaskTimeoutMs: Int(100, 3_600_000, 60_000, 'EXPORT_TASK_TIMEOUT_MS: one render attempt may take this long'),
  exportRenderThreads: Int(1, 64, 2, 'EXPORT_RENDER_THREADS: worker threads rendering PDF/DOCX/Markdown/HTML'),
  exportExternalRendererUrl: T.Optional(
    T.String({
      pattern: '^https?://',
      description: 'EXPORT_EXTERNAL_RENDERER_URL: HTML→PDF service (Gotenberg-style)',
    }),
  ),
  exportBreakerTimeoutMs: Int(100, 600_000, 5_000, 'EXPORT_BREAKER_TIMEOUT_MS: external renderer call timeout'),
  exportBreakerErrorPercent: Int(1, 100, 50, 'EXPORT_BREAKER_ERROR_PERCENT: failure share that opens the breaker'),
  exportBreakerWindowMs: Int(
    1_000,
    600_000,
    10_000,
    'EXPORT_BREAKER_WINDOW_MS: rolling window the failure share is measured over',
  ),
  exportBreakerResetMs: Int(
    100,
    3_600_000,
    60_000,
    'EXPORT_BREAKER_RESET_MS: open breaker tries one call again after this',
  ),
  exportBreakerMinCalls: Int(
    1,
    10_000,
    2,
    'EXPORT_BREAKER_MIN_CALLS: calls the window must hold before the breaker may open',
  ),
  exportStorageDir: T.Optional(
    T.String({
      minLength: 1,
      description: 'EXPORT_STORAGE_DIR: where finished exports are kept (default DATA_DIR/exports)',
    }),
  ),
  exportRetentionMs: Int(
    1_000,
    31_536_000_000,
    86_400_000,
    'EXPORT_RETENTION_MS: finished exports are downloadable this long',
  ),
  exportCleanupIntervalMs: Int(
    100,
    86_400_000,
    60_000,
    'EXPORT_CLEANUP_INTERVAL_MS: how often expired files are deleted',
  ),
  exportQuotaFree: Int(
    0,
    100_000_000,
    100,
    'EXPORT_QUOTA_FREE: exports per workspace per calendar month, free plan (0 = unlimited)',
  ),
  exportQuotaBusiness: Int(0, 100_000_000, 1_000, 'EXPORT_QUOTA_BUSINESS: same for the business plan (0 = unlimited)'),
  exportQuotaEnterprise: Int(
    0,
    100_000_000,
    0,
    'EXPORT_QUOTA_ENTERPRISE: same for the enterprise plan (0 = unlimited)',
  ),
  exportWorkspaceRunningMax: Int(
    1,
    10_000,
    2,
    'EXPORT_WORKSPACE_RUNNING_MAX: jobs of one workspace running at once, fleet-wide',
  ),
  exportWebhookSecret: T.Optional(
    T.String({
      minLength: 16,
      description: 'EXPORT_WEBHOOK_SECRET: signs every webhook (else a secret per job, returned once)',
    }),
  ),
  exportWebhookAllowPrivate: T.Boolean({
    default: false,
    description: 'EXPORT_WEBHOOK_ALLOW_PRIVATE: allow webhooks to loopback/private addresses (tests, closed networks)',
  }),
  exportWebhookTimeoutMs: Int(100, 600_000, 5_000, 'EXPORT_WEBHOOK_TIMEOUT_MS: one webhook POST may take this long'),
  exportWebhookMaxAttempts: Int(1, 100, 8, 'EXPORT_WEBHOOK_MAX_ATTEMPTS: POSTs before a webhook is given up'),
  exportShutdownGraceMs: Int(
    0,
    600_000,
    10_000,
    'EXPORT_SHUTDOWN_GRACE_MS: running exports may finish this long at shutdown, then are handed back',
  ),
  // Observability and lifecycle
  otlpEndpoint: T.Optional(T.String({ pattern: '^https?://', description: 'OTEL_EXPORTER_OTLP_ENDPOINT' })),
  traceSampleRatio: T.Number({ minimum: 0, maximum: 1, default: 0.01, description: 'TRACE_SAMPLE_RATIO' }),
  traceSlowMs: Int(1, 600_000, 500, 'TRACE_SLOW_MS'),
  shutdownDrainMs: Int(0, 120_000, 0, 'SHUTDOWN_DRAIN_MS'),
  shutdownTimeoutMs: Int(100, 600_000, 25_000, 'SHUTDOWN_TIMEOUT_MS'),
  readyMinFreeDiskMb: Int(0, 1_000_000, 100, 'READY_MIN_FREE_DISK_MB'),
  // Operations: continuous profiling, the operator API, top talkers
  pyroscopeServerAddress: T.Optional(
    T.String({
      pattern: '^https?://',
      description: 'PYROSCOPE_SERVER_ADDRESS: push CPU (wall) and heap profiles to this Pyroscope server',
    }),
  ),
  pyroscopeApplicationName: T.String({
    default: 'collab-docs',
    minLength: 1,
    description: 'PYROSCOPE_APPLICATION_NAME: the application profiles are filed under',
  }),
  operatorToken: T.Optional(
    T.String({
      minLength: 32,
      description: 'OPERATOR_TOKEN: bearer secret of the operator API (profiles, top talkers); unset = API off',
    }),
  ),
  topTalkersN: Int(1, 100, 10, 'TOP_TALKERS_N: workspaces/documents per top-talker list and metric'),
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
  UNKNOWN_KID_COOLDOWN_MS: ['unknownKidCooldownMs', 'int'],
  PERMISSION_CACHE_TTL_MS: ['permissionCacheTtlMs', 'int'],
  PERMISSION_CACHE_MAX: ['permissionCacheMax', 'int'],
  LOGIN_MAX_FAILURES_PER_ACCOUNT: ['loginMaxFailuresPerAccount', 'int'],
  LOGIN_MAX_FAILURES_PER_IP: ['loginMaxFailuresPerIp', 'int'],
  LOGIN_FAILURE_WINDOW_SECONDS: ['loginFailureWindowSeconds', 'int'],
  SCRYPT_COST: ['scryptCost', 'int'],
  SYNC_PERSIST_BATCH_MS: ['syncPersistBatchMs', 'int'],
  SYNC_COMPACT_THRESHOLD: ['syncCompactThreshold', 'int'],
  SYNC_COMPACT_IDLE_MS: ['syncCompactIdleMs', 'int'],
  SYNC_ROOM_GRACE_MS: ['syncRoomGraceMs', 'int'],
  SYNC_MAX_MESSAGE_BYTES: ['syncMaxMessageBytes', 'int'],
  SYNC_MESSAGES_PER_SECOND: ['syncMessagesPerSecond', 'int'],
  SYNC_MESSAGE_BURST: ['syncMessageBurst', 'int'],
  SYNC_SEND_BUFFER_SOFT_BYTES: ['syncSendBufferSoftBytes', 'int'],
  SYNC_SEND_BUFFER_HARD_BYTES: ['syncSendBufferHardBytes', 'int'],
  SYNC_HEARTBEAT_MS: ['syncHeartbeatMs', 'int'],
  SYNC_AUTH_TIMEOUT_MS: ['syncAuthTimeoutMs', 'int'],
  SYNC_FULL_PRESENCE_MAX: ['syncFullPresenceMax', 'int'],
  SYNC_VIEW_ONLY_ABOVE: ['syncViewOnlyAbove', 'int'],
  SYNC_BROADCAST_BATCH_ABOVE: ['syncBroadcastBatchAbove', 'int'],
  SYNC_BROADCAST_TICK_MS: ['syncBroadcastTickMs', 'int'],
  SYNC_PRESENCE_TICK_MS: ['syncPresenceTickMs', 'int'],
  SYNC_PRESENCE_SAMPLE_SIZE: ['syncPresenceSampleSize', 'int'],
  SYNC_VIEWER_PRESENCE: ['syncViewerPresence', 'bool'],
  WEB_DIR: ['webDir', 'str'],
  WEB_BUILD: ['webBuild', 'str'],
  EXPORT_WORKER_CONCURRENCY: ['exportWorkerConcurrency', 'int'],
  EXPORT_POLL_INTERVAL_MS: ['exportPollIntervalMs', 'int'],
  EXPORT_LEASE_MS: ['exportLeaseMs', 'int'],
  EXPORT_MAX_RETRIES: ['exportMaxRetries', 'int'],
  EXPORT_BACKOFF_BASE_MS: ['exportBackoffBaseMs', 'int'],
  EXPORT_TASK_TIMEOUT_MS: ['exportTaskTimeoutMs', 'int'],
  EXPORT_RENDER_THREADS: ['exportRenderThreads', 'int'],
  EXPORT_EXTERNAL_RENDERER_URL: ['exportExternalRendererUrl', 'str'],
  EXPORT_BREAKER_TIMEOUT_MS: ['exportBreakerTimeoutMs', 'int'],
  EXPORT_BREAKER_ERROR_PERCENT: ['exportBreakerErrorPercent', 'int'],
  EXPORT_BREAKER_WINDOW_MS: ['exportBreakerWindowMs', 'int'],
  EXPORT_BREAKER_RESET_MS: ['exportBreakerResetMs', 'int'],
  EXPORT_BREAKER_MIN_CALLS: ['exportBreakerMinCalls', 'int'],
  EXPORT_STORAGE_DIR: ['exportStorageDir', 'str'],
  EXPORT_RETENTION_MS: ['exportRetentionMs', 'int'],
  EXPORT_CLEANUP_INTERVAL_MS: ['exportCleanupIntervalMs', 'int'],
  EXPORT_QUOTA_FREE: ['exportQuotaFree', 'int'],
  EXPORT_QUOTA_BUSINESS: ['exportQuotaBusiness', 'int'],
  EXPORT_QUOTA_ENTERPRISE: ['exportQuotaEnterprise', 'int'],
  EXPORT_WORKSPACE_RUNNING_MAX: ['exportWorkspaceRunningMax', 'int'],
  EXPORT_WEBHOOK_SECRET: ['exportWebhookSecret', 'str'],
  EXPORT_WEBHOOK_ALLOW_PRIVATE: ['exportWebhookAllowPrivate', 'bool'],
  EXPORT_WEBHOOK_TIMEOUT_MS: ['exportWebhookTimeoutMs', 'int'],
  EXPORT_WEBHOOK_MAX_ATTEMPTS: ['exportWebhookMaxAttempts', 'int'],
  EXPORT_SHUTDOWN_GRACE_MS: ['exportShutdownGraceMs', 'int'],
  OTEL_EXPORTER_OTLP_ENDPOINT: ['otlpEndpoint', 'str'],
  TRACE_SAMPLE_RATIO: ['traceSampleRatio', 'num'],
  TRACE_SLOW_MS: ['traceSlowMs', 'int'],
  SHUTDOWN_DRAIN_MS: ['shutdownDrainMs', 'int'],
  SHUTDOWN_TIMEOUT_MS: ['shutdownTimeoutMs', 'int'],
  READY_MIN_FREE_DISK_MB: ['readyMinFreeDiskMb', 'int'],
  PYROSCOPE_SERVER_ADDRESS: ['pyroscopeServerAddress', 'str'],
  PYROSCOPE_APPLICATION_NAME: ['pyroscopeApplicationName', 'str'],
  OPERATOR_TOKEN: ['operatorToken', 'str'],
  TOP_TALKERS_N: ['topTalkersN', 'int'],
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

/** Never echoed in a configuration error, even when invalid (a too-short secret is still a secret). */
const SECRET_KEYS = new Set<string>(['operatorToken', 'exportWebhookSecret']);

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
    const value = key && SECRET_KEYS.has(key) ? '"***"' : key ? shown(withDefaults[key]) : '';
    if (!byKey.has(name)) byKey.set(name, `${name}=${value}: ${e.message}`);
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

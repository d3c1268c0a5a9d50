/**
 * Environment → validated, typed configuration. The only module that reads `process.env`.
 * Long by nature, not by logic: one schema entry and one ENV row per variable (kept together so a
 * new variable is added in one place); the loading code is the last ~70 lines.
 */
import { type Static, Type as T, type TProperties } from 'typebox';
import { Value } from 'typebox/value';

const Roles = T.Enum(['api', 'sync', 'worker']);
export type Role = Static<typeof Roles>;

const Int = (min: number, max: number, dflt: number, description: string) =>
  T.Integer({ minimum: min, maximum: max, default: dflt, description });

/**
 * A group of related settings (`config.sync`, `config.export.breaker`, ...): each wiring module
 * takes the group it needs, and every member has a default, so an empty group is valid.
 */
const Group = <P extends TProperties>(properties: P) => T.Object(properties, { default: {} });

/**
 * Grouped by the part of the system that reads them; the environment stays flat (see ENV below),
 * so the variable names operators use never change when a group is reorganised.
 */
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
  db: Group({
    apiPoolMax: Int(1, 200, 10, 'DB_POOL_API_MAX'),
    syncPoolMax: Int(1, 200, 5, 'DB_POOL_SYNC_MAX'),
    workerPoolMax: Int(1, 200, 2, 'DB_POOL_WORKER_MAX'),
    acquireTimeoutMs: Int(1, 60_000, 100, 'DB_POOL_ACQUIRE_TIMEOUT_MS'),
    connectTimeoutMs: Int(1, 120_000, 5_000, 'DB_POOL_CONNECT_TIMEOUT_MS'),
    statementTimeoutMs: Int(1, 600_000, 5_000, 'DB_STATEMENT_TIMEOUT_MS'),
    maxLifetimeSeconds: Int(0, 86_400, 1_800, 'DB_POOL_MAX_LIFETIME_SECONDS'),
    preparedStatements: T.Boolean({
      default: true,
      description:
        'DB_PREPARED_STATEMENTS: run the hot, stable statements as named prepared statements (false behind a pooler that cannot keep them, e.g. PgBouncer < 1.21 in transaction mode)',
    }),
  }),
  auth: Group({
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
    passwordHashConcurrency: Int(
      0,
      64,
      0,
      'PASSWORD_HASH_CONCURRENCY: password derivations at once per process (0: one per core but one, at most 3)',
    ),
    passwordResetTtlMinutes: Int(1, 1_440, 15, 'PASSWORD_RESET_TTL_MINUTES: life of an emailed reset link'),
    passwordResetMaxPerEmailPerHour: Int(
      1,
      1_000,
      5,
      'PASSWORD_RESET_MAX_PER_EMAIL_PER_HOUR: reset emails per address (more are silently not sent)',
    ),
    passwordResetMaxPerIpPerHour: Int(
      1,
      1_000_000,
      20,
      'PASSWORD_RESET_MAX_PER_IP_PER_HOUR: reset requests per client address (then 429)',
    ),
  }),
  // Outgoing mail: SMTP when SMTP_URL is set, else .eml files under DATA_DIR/mail
  mail: Group({
    smtpUrl: T.Optional(
      T.String({
        pattern: '^smtps?://',
        description: 'SMTP_URL: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465; unset = files',
      }),
    ),
    from: T.String({
      default: 'Collab Docs <no-reply@localhost>',
      minLength: 3,
      description: 'MAIL_FROM: sender of every message',
    }),
    pollIntervalMs: Int(100, 3_600_000, 5_000, 'MAIL_POLL_INTERVAL_MS: how often the outbox looks for due mail'),
    maxAttempts: Int(1, 100, 8, 'MAIL_MAX_ATTEMPTS: deliveries tried before a message is given up on'),
    backoffBaseMs: Int(10, 3_600_000, 30_000, 'MAIL_BACKOFF_BASE_MS: wait after the first failure, doubled each time'),
  }),
  // Comment notifications by email: one digest per person, not one email per comment (docs/spec/comments.md C7)
  notifications: Group({
    emailDelaySeconds: Int(
      1,
      86_400,
      600,
      'NOTIFICATION_EMAIL_DELAY_SECONDS: how long a notification waits for others to share its digest email',
    ),
    digestPollMs: Int(100, 3_600_000, 30_000, 'NOTIFICATION_DIGEST_POLL_MS: how often due digests are looked for'),
  }),
  // Invitations to workspaces and documents, and workspace invite links
  invitations: Group({
    ttlHours: Int(1, 8_760, 168, 'INVITATION_TTL_HOURS: life of an emailed invitation'),
    maxPerWorkspacePerDay: Int(
      1,
      1_000_000,
      500,
      'INVITATIONS_MAX_PER_WORKSPACE_PER_DAY: invitations (and re-sends) per workspace per day',
    ),
  }),
  sync: Group({
    persistBatchMs: Int(0, 1000, 5, 'SYNC_PERSIST_BATCH_MS: group-commit window per document'),
    compactThreshold: Int(1, 1000000, 500, 'SYNC_COMPACT_THRESHOLD: log rows before merging into the stored state'),
    compactIdleMs: Int(
      0,
      3600000,
      2000,
      'SYNC_COMPACT_IDLE_MS: compact an open document this long after its last edit, so search sees it (0: off)',
    ),
    roomGraceMs: Int(0, 3600000, 10000, 'SYNC_ROOM_GRACE_MS: an empty room stays loaded this long'),
    maxMessageBytes: Int(
      1024,
      268435456,
      8388608,
      'SYNC_MAX_MESSAGE_BYTES: largest frame accepted (closed 1009 above)',
    ),
    messagesPerSecond: Int(1, 100000, 200, 'SYNC_MESSAGES_PER_SECOND: sustained frames per socket per second'),
    messageBurst: Int(1, 1000000, 1000, 'SYNC_MESSAGE_BURST: frames a socket may send in a burst'),
    sendBufferSoftBytes: Int(
      1024,
      1073741824,
      262144,
      'SYNC_SEND_BUFFER_SOFT_BYTES: over this a socket stops getting presence',
    ),
    sendBufferHardBytes: Int(
      1024,
      1073741824,
      8388608,
      'SYNC_SEND_BUFFER_HARD_BYTES: over this a socket is closed as too slow',
    ),
    heartbeatMs: Int(100, 600000, 30000, 'SYNC_HEARTBEAT_MS: ping interval; a socket silent for two is closed'),
    authTimeoutMs: Int(100, 600000, 10000, 'SYNC_AUTH_TIMEOUT_MS: time to present a token after connecting'),
    fullPresenceMax: Int(
      1,
      1000000,
      100,
      'SYNC_FULL_PRESENCE_MAX: connections with real-time presence; above it presence is sampled',
    ),
    viewOnlyAbove: Int(
      1,
      10000000,
      500,
      'SYNC_VIEW_ONLY_ABOVE: at this many editing connections, newcomers with edit rights join read-only (viewers never count)',
    ),
    broadcastBatchAbove: Int(
      0,
      10000000,
      100,
      'SYNC_BROADCAST_BATCH_ABOVE: rooms larger than this send merged updates per tick',
    ),
    broadcastTickMs: Int(
      1,
      10000,
      20,
      'SYNC_BROADCAST_TICK_MS: longest pause after a chunked broadcast of a large room (the pause is that broadcast duration, at most this; one that fits in one event-loop turn is followed by none)',
    ),
    presenceTickMs: Int(10, 60000, 500, 'SYNC_PRESENCE_TICK_MS: presence tick for reduced rooms'),
    presenceSampleSize: Int(1, 100000, 50, 'SYNC_PRESENCE_SAMPLE_SIZE: presence states per tick in reduced rooms'),
    viewerPresence: T.Boolean({
      default: false,
      description: "SYNC_VIEWER_PRESENCE: show read-only users' cursors to others",
    }),
    // Viewers' fan-out (docs/spec/sync.md S7.9)
    viewerTickMs: Int(
      1,
      10000,
      50,
      'SYNC_VIEWER_TICK_MS: rooms with many viewers send them at most one merged update per this many ms (editors: SYNC_EDITOR_TICK_MS)',
    ),
    editorTickMs: Int(
      0,
      10000,
      50,
      "SYNC_EDITOR_TICK_MS: in rooms whose viewers have their own lane, editors get at most one merged update per this many ms (0: one per event-loop turn); each is a transaction and a re-render in every editor's browser",
    ),
    viewerTickAbove: Int(
      0,
      10000000,
      1000,
      'SYNC_VIEWER_TICK_ABOVE: big rooms with more viewers than this put them on SYNC_VIEWER_TICK_MS',
    ),
    viewerLagBytes: Int(
      1024,
      1073741824,
      1048576,
      "SYNC_VIEWER_LAG_BYTES: a viewer's send buffer over this gets no frames until it drained, then one merged catch-up",
    ),
    // Fleet-wide tiers (docs/spec/sync.md S5.6): the seat ledger in Redis, in process when embedded
    fleetTtlMs: Int(
      1000,
      600000,
      15000,
      'SYNC_FLEET_TTL_MS: an instance silent this long leaves the seat ledger (its editing seats free, its waiters leave the line)',
    ),
    fleetReportMs: Int(
      100,
      600000,
      2000,
      'SYNC_FLEET_REPORT_MS: how often a room with fleet business (hot, waiters, counts elsewhere) refreshes the fleet counts',
    ),
    fleetHotAbove: Int(
      1,
      10000000,
      100,
      'SYNC_FLEET_HOT_ABOVE: rooms with this many connections on an instance publish their viewer count to the fleet',
    ),
    // Tenant limits of the sync tier (docs/spec/sync.md S7.4-S7.8); counted per instance
    maxAwarenessBytes: Int(
      64,
      1048576,
      4096,
      'SYNC_MAX_AWARENESS_BYTES: largest presence state (JSON bytes) a client may send (closed 4400 above)',
    ),
    preauthMaxMessageBytes: Int(
      256,
      16777216,
      65536,
      'SYNC_PREAUTH_MAX_MESSAGE_BYTES: largest frame before the token is verified (closed 1009 above)',
    ),
    maxSocketsPerUserPerDoc: Int(
      1,
      1000000,
      8,
      'SYNC_MAX_SOCKETS_PER_USER_PER_DOC: open sockets of one user on one document (per instance; 4429 above)',
    ),
    maxJoiningPerUser: Int(
      1,
      100000,
      8,
      'SYNC_MAX_JOINING_PER_USER: sockets of one user in their access check and room load at once (per instance; 4429 above)',
    ),
    maxSocketsPerUser: Int(
      1,
      1000000,
      64,
      'SYNC_MAX_SOCKETS_PER_USER: open sockets of one user (per instance; 4429 above)',
    ),
    maxSocketsPerIp: Int(
      1,
      10000000,
      1000,
      'SYNC_MAX_SOCKETS_PER_IP: open sockets from one client address, authenticated or not (per instance; HTTP 429 above)',
    ),
    workspaceFramesPerSecond: Int(
      1,
      100000000,
      2000,
      'SYNC_WORKSPACE_FRAMES_PER_SECOND: frames all sockets of one workspace may send per second (per instance; 4429 above)',
    ),
    workspaceBytesPerSecond: Int(
      1024,
      1073741824,
      4194304,
      'SYNC_WORKSPACE_BYTES_PER_SECOND: bytes all sockets of one workspace may send per second (per instance; 4429 above)',
    ),
    workspaceBurstSeconds: Int(
      1,
      3600,
      5,
      'SYNC_WORKSPACE_BURST_SECONDS: the workspace buckets hold this many seconds of their rate (bytes: at least one largest frame)',
    ),
    workspaceCrdtMsPerSecond: Int(
      1,
      1000,
      100,
      "SYNC_WORKSPACE_CRDT_MS_PER_SECOND: event-loop CPU (ms/s) applying one workspace's updates and room loads may cost on an instance, one second of it as burst (4429 above)",
    ),
    connectsPerSecondPerIp: Int(
      1,
      100000000,
      20,
      'SYNC_CONNECTS_PER_SECOND_PER_IP: new sync sockets one client address may open per second (HTTP 429 on the upgrade above)',
    ),
    connectBurstPerIp: Int(
      1,
      100000000,
      30,
      'SYNC_CONNECT_BURST_PER_IP: new sync sockets one client address may open at once before SYNC_CONNECTS_PER_SECOND_PER_IP applies',
    ),
    limitedCooldownMs: Int(
      0,
      600000,
      5000,
      "SYNC_LIMITED_COOLDOWN_MS: after a user's socket is closed 4429 for sending too fast, their new sockets are refused this long (0: off)",
    ),
    presenceMinIntervalMs: Int(
      0,
      10000,
      50,
      "SYNC_PRESENCE_MIN_INTERVAL_MS: a socket's presence is applied at most once per this interval; sooner frames replace the waiting one (0: off)",
    ),
    processes: T.String({
      default: '1',
      pattern: '^(auto|[1-9][0-9]?)$',
      description:
        'SYNC_PROCESSES: server processes on this port (SO_REUSEPORT; "auto" = one per core), each a full instance on the bus; above 1 needs DATABASE_URL and REDIS_URL',
    }),
    maxConcurrentLoads: Int(
      1,
      10000,
      16,
      'SYNC_MAX_CONCURRENT_LOADS: room loads (log read, off-thread rebuild, apply) in progress at once on an instance; more wait their turn',
    ),
  }),
  crdt: Group({
    threads: Int(
      1,
      64,
      1,
      'CRDT_THREADS: worker threads that rebuild stored documents (loads, compaction, reads, exports); they run at low CPU priority',
    ),
    workerBudgetMs: Int(
      10,
      600000,
      10000,
      'CRDT_WORKER_BUDGET_MS: longest a rebuild may run in a worker (wall time, generous: a busy machine slows it); past it the document is quarantined',
    ),
    mainBudgetMs: Int(
      1,
      10000,
      50,
      'CRDT_MAIN_BUDGET_MS: longest loading a document may hold the event loop (one update: 4x, a watchdog); past it the document is quarantined',
    ),
    maxStructsPerUpdate: Int(
      1,
      100000000,
      50000,
      'CRDT_MAX_STRUCTS_PER_UPDATE: items one update may carry (refused 4413 above)',
    ),
    inspectOffThreadBytes: Int(
      0,
      268435456,
      65536,
      'CRDT_INSPECT_OFF_THREAD_BYTES: updates this large have their cost counted in a CRDT worker before the main thread decodes them',
    ),
    maxConcurrentInserts: Int(
      1,
      1000000,
      64,
      'CRDT_MAX_CONCURRENT_INSERTS: items of one update inserted at one position (refused 4413 above)',
    ),
    maxIntegrationSteps: Int(
      1000,
      1000000000,
      100000,
      "CRDT_MAX_INTEGRATION_STEPS: conflict-resolution steps one update may cost (4413 if its own, quarantine if the document's)",
    ),
  }),
  web: Group({
    dir: T.Optional(
      T.String({ minLength: 1, description: 'WEB_DIR: built web app to serve (default: dist/web in the project)' }),
    ),
    build: T.Enum(['auto', 'never'], {
      default: 'auto',
      description: 'WEB_BUILD: "auto" builds the web app at start when its sources are newer than the build',
    }),
  }),
  export: Group({
    workerConcurrency: Int(1, 1_000, 2, 'EXPORT_WORKER_CONCURRENCY: export jobs one worker process renders at once'),
    pollIntervalMs: Int(10, 600_000, 1_000, 'EXPORT_POLL_INTERVAL_MS: how often an idle worker looks for jobs'),
    leaseMs: Int(
      100,
      3_600_000,
      30_000,
      'EXPORT_LEASE_MS: a claimed job is reclaimed this long after its worker stops renewing',
    ),
    maxRetries: Int(0, 20, 3, 'EXPORT_MAX_RETRIES: retries after the first attempt before dead-lettering'),
    backoffBaseMs: Int(
      1,
      3_600_000,
      1_000,
      'EXPORT_BACKOFF_BASE_MS: first retry delay, doubled for each later retry (+ jitter)',
    ),
    taskTimeoutMs: Int(100, 3_600_000, 60_000, 'EXPORT_TASK_TIMEOUT_MS: one render attempt may take this long'),
    renderThreads: Int(1, 64, 2, 'EXPORT_RENDER_THREADS: worker threads rendering PDF/DOCX/Markdown/HTML'),
    externalRendererUrl: T.Optional(
      T.String({
        pattern: '^https?://',
        description: 'EXPORT_EXTERNAL_RENDERER_URL: HTML→PDF service (Gotenberg-style)',
      }),
    ),
    breaker: Group({
      callTimeoutMs: Int(100, 600_000, 5_000, 'EXPORT_BREAKER_TIMEOUT_MS: external renderer call timeout'),
      errorThresholdPercentage: Int(1, 100, 50, 'EXPORT_BREAKER_ERROR_PERCENT: failure share that opens the breaker'),
      rollingWindowMs: Int(
        1_000,
        600_000,
        10_000,
        'EXPORT_BREAKER_WINDOW_MS: rolling window the failure share is measured over',
      ),
      resetTimeoutMs: Int(
        100,
        3_600_000,
        60_000,
        'EXPORT_BREAKER_RESET_MS: open breaker tries one call again after this',
      ),
      volumeThreshold: Int(
        1,
        10_000,
        2,
        'EXPORT_BREAKER_MIN_CALLS: calls the window must hold before the breaker may open',
      ),
    }),
    storageDir: T.Optional(
      T.String({
        minLength: 1,
        description: 'EXPORT_STORAGE_DIR: where finished exports are kept (default DATA_DIR/exports)',
      }),
    ),
    retentionMs: Int(
      1_000,
      31_536_000_000,
      86_400_000,
      'EXPORT_RETENTION_MS: finished exports are downloadable this long',
    ),
    cleanupIntervalMs: Int(100, 86_400_000, 60_000, 'EXPORT_CLEANUP_INTERVAL_MS: how often expired files are deleted'),
    quota: Group({
      free: Int(
        0,
        100_000_000,
        100,
        'EXPORT_QUOTA_FREE: exports per workspace per calendar month, free plan (0 = unlimited)',
      ),
      business: Int(0, 100_000_000, 1_000, 'EXPORT_QUOTA_BUSINESS: same for the business plan (0 = unlimited)'),
      enterprise: Int(0, 100_000_000, 0, 'EXPORT_QUOTA_ENTERPRISE: same for the enterprise plan (0 = unlimited)'),
    }),
    workspaceRunningMax: Int(
      1,
      10_000,
      2,
      'EXPORT_WORKSPACE_RUNNING_MAX: jobs of one workspace running at once, fleet-wide',
    ),
    webhook: Group({
      secret: T.Optional(
        T.String({
          minLength: 16,
          description: 'EXPORT_WEBHOOK_SECRET: signs every webhook (else a secret per job, returned once)',
        }),
      ),
      allowPrivate: T.Boolean({
        default: false,
        description:
          'EXPORT_WEBHOOK_ALLOW_PRIVATE: allow webhooks to loopback/private addresses (tests, closed networks)',
      }),
      timeoutMs: Int(100, 600_000, 5_000, 'EXPORT_WEBHOOK_TIMEOUT_MS: one webhook POST may take this long'),
      maxAttempts: Int(1, 100, 8, 'EXPORT_WEBHOOK_MAX_ATTEMPTS: POSTs before a webhook is given up'),
    }),
    shutdownGraceMs: Int(
      0,
      600_000,
      10_000,
      'EXPORT_SHUTDOWN_GRACE_MS: running exports may finish this long at shutdown, then are handed back',
    ),
  }),
  // Images in documents (docs/spec/images.md, docs/operations.md "Images").
  images: Group({
    maxBytes: Int(1024, 104_857_600, 10_485_760, 'IMAGE_MAX_BYTES: largest image upload, in bytes (10 MiB)'),
    workspaceMaxBytes: Int(
      0,
      Number.MAX_SAFE_INTEGER,
      5_368_709_120,
      'IMAGE_WORKSPACE_MAX_BYTES: image bytes one workspace may hold in all (5 GiB; 0 = unlimited)',
    ),
  }),
  // Where files (finished exports, images in documents) live: docs/operations.md "File storage".
  storage: Group({
    backend: T.Enum(['auto', 'local', 'postgres', 's3'], {
      default: 'auto',
      description:
        'STORAGE_BACKEND: "auto" = s3 when S3_BUCKET is set, else local when EXPORT_STORAGE_DIR is set, ' +
        'else postgres when DATABASE_URL is set, else the local DATA_DIR/exports',
    }),
    s3: Group({
      bucket: T.Optional(T.String({ minLength: 3, maxLength: 63, description: 'S3_BUCKET: bucket for files' })),
      endpoint: T.Optional(
        T.String({ pattern: '^https?://', description: 'S3_ENDPOINT: S3-compatible endpoint (unset = AWS S3)' }),
      ),
      region: T.String({ default: 'us-east-1', minLength: 1, description: 'S3_REGION' }),
      accessKeyId: T.Optional(
        T.String({ minLength: 1, description: 'S3_ACCESS_KEY_ID (unset = the AWS default credential chain)' }),
      ),
      secretAccessKey: T.Optional(T.String({ minLength: 1, description: 'S3_SECRET_ACCESS_KEY' })),
      forcePathStyle: T.Boolean({
        default: false,
        description: 'S3_FORCE_PATH_STYLE: bucket in the path, not the host name (MinIO and most self-hosted stores)',
      }),
      prefix: T.String({
        default: '',
        pattern: '^([A-Za-z0-9._-]+/)*$',
        description: 'S3_PREFIX: key prefix inside the bucket, e.g. "collab-docs/" (empty or ending in "/")',
      }),
    }),
  }),
  tracing: Group({
    otlpEndpoint: T.Optional(T.String({ pattern: '^https?://', description: 'OTEL_EXPORTER_OTLP_ENDPOINT' })),
    sampleRatio: T.Number({ minimum: 0, maximum: 1, default: 0.01, description: 'TRACE_SAMPLE_RATIO' }),
    slowMs: Int(1, 600_000, 500, 'TRACE_SLOW_MS'),
  }),
  shutdown: Group({
    drainMs: Int(0, 120_000, 0, 'SHUTDOWN_DRAIN_MS'),
    timeoutMs: Int(100, 600_000, 25_000, 'SHUTDOWN_TIMEOUT_MS'),
  }),
  readyMinFreeDiskMb: Int(0, 1_000_000, 100, 'READY_MIN_FREE_DISK_MB'),
  // Home lists and the trash (docs/spec/home.md)
  documents: Group({
    trashRetentionDays: Int(1, 3_650, 30, 'TRASH_RETENTION_DAYS: deleted documents stay in the trash this long'),
    trashPurgeIntervalMs: Int(
      100,
      86_400_000,
      600_000,
      'TRASH_PURGE_INTERVAL_MS: how often the worker deletes documents whose time in the trash is up',
    ),
    recentThrottleMs: Int(
      0,
      86_400_000,
      60_000,
      'RECENT_THROTTLE_MS: an opened document is recorded for "Recent" at most once per this interval per person',
    ),
    cacheTtlMs: Int(
      0,
      3_600_000,
      60_000,
      'DOCUMENT_CACHE_TTL_MS: longest a document row (title, owner, updated time) is served from memory should an announced change be lost (0 = no cache)',
    ),
    cacheMax: Int(100, 10_000_000, 50_000, 'DOCUMENT_CACHE_MAX: document rows kept in memory per process'),
    searchConcurrency: Int(
      1,
      64,
      2,
      'SEARCH_CONCURRENCY: full-text searches (and, separately, quick-switcher queries) run at once per process [RL13]',
    ),
    searchQueueMax: Int(
      0,
      100_000,
      200,
      'SEARCH_QUEUE_MAX: searches of a kind waiting their turn per process; past it 503 with Retry-After [RL13]',
    ),
    importMaxBytes: Int(
      1_024,
      104_857_600,
      10_485_760,
      'IMPORT_MAX_BYTES: largest file (.docx, .md, .html, .txt) imported as a new document; larger ones get 413',
    ),
  }),
  // Version history (docs/spec/history.md)
  versions: Group({
    idleMs: Int(
      0,
      86_400_000,
      120_000,
      'VERSION_IDLE_MS: an automatic version after editing pauses this long (0 = no automatic versions)',
    ),
    intervalMs: Int(1_000, 86_400_000, 600_000, 'VERSION_INTERVAL_MS: …and at least this often while editing goes on'),
    authorRecordMs: Int(
      100,
      3_600_000,
      10_000,
      'VERSION_AUTHOR_RECORD_MS: who edited a document is written at most this often per person',
    ),
    pruneIntervalMs: Int(
      1_000,
      86_400_000,
      3_600_000,
      'VERSION_PRUNE_INTERVAL_MS: how often the worker deletes versions past their plan’s retention',
    ),
    retentionDays: Group({
      free: Int(
        0,
        36_500,
        30,
        'VERSION_RETENTION_DAYS_FREE: automatic versions are kept this long, free plan (0 = for ever)',
      ),
      business: Int(0, 36_500, 365, 'VERSION_RETENTION_DAYS_BUSINESS: same for the business plan (0 = for ever)'),
      enterprise: Int(0, 36_500, 0, 'VERSION_RETENTION_DAYS_ENTERPRISE: same for the enterprise plan (0 = for ever)'),
    }),
  }),
  // Request limits per tenant (ARCHITECTURE §6, docs/spec/limits.md): GCRA buckets, in Redis when REDIS_URL is set
  limits: Group({
    freePerSecond: Int(1, 100_000, 100, 'RATE_LIMIT_FREE_PER_SECOND: requests per second per free workspace'),
    businessPerSecond: Int(1, 100_000, 100, 'RATE_LIMIT_BUSINESS_PER_SECOND: same for business workspaces'),
    enterprisePerSecond: Int(1, 100_000, 500, 'RATE_LIMIT_ENTERPRISE_PER_SECOND: same for enterprise'),
    burstFactor: T.Number({
      minimum: 1,
      maximum: 100,
      default: 2,
      description: 'RATE_LIMIT_BURST_FACTOR: bursts may run at this multiple of the rate…',
    }),
    burstSeconds: Int(0, 3_600, 10, 'RATE_LIMIT_BURST_SECONDS: …for this long, from idle'),
    searchPerMinute: Int(1, 60_000_000, 600, 'RATE_LIMIT_SEARCH_PER_MINUTE: searches per user'),
    exportPerMinute: Int(1, 60_000_000, 30, 'RATE_LIMIT_EXPORT_PER_MINUTE: export requests per user'),
    imagePerMinute: Int(1, 60_000_000, 60, 'RATE_LIMIT_IMAGE_PER_MINUTE: image uploads per user'),
    invitePerMinute: Int(1, 60_000_000, 30, 'RATE_LIMIT_INVITE_PER_MINUTE: invitations and shares by email per user'),
    loginPerMinute: Int(1, 60_000_000, 30, 'RATE_LIMIT_LOGIN_PER_MINUTE: log-in attempts per client address'),
    planCacheMs: Int(
      0,
      3_600_000,
      30_000,
      "RATE_LIMIT_PLAN_CACHE_MS: a workspace's plan and override are re-read this often",
    ),
    leaseMaxTokens: Int(
      1,
      10_000,
      32,
      'RATE_LIMIT_LEASE_MAX: with Redis, an instance takes up to this many requests of a bucket at once (1 = one round trip per request)',
    ),
    leaseMs: Int(
      10,
      10_000,
      100,
      "RATE_LIMIT_LEASE_MS: a lease lives this long and holds at most this long's worth of the rate",
    ),
  }),
  // Operations: continuous profiling, the operator API, top talkers
  ops: Group({
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
  }),
});
export type Config = Static<typeof ConfigSchema>;

/** Where a variable lands in the config: `port`, `sync.persistBatchMs`, `export.breaker.callTimeoutMs`. */
type Path = string;
type Kind = 'int' | 'num' | 'str' | 'list' | 'bool';
/** Environment variable → config key and how to read its string. */
const ENV: Record<string, [Path, Kind]> = {
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
  SIGNUP_MAX_PER_IP_PER_HOUR: ['auth.signupMaxPerIpPerHour', 'int'],
  MIGRATE_ON_START: ['migrateOnStart', 'bool'],
  DB_POOL_API_MAX: ['db.apiPoolMax', 'int'],
  DB_POOL_SYNC_MAX: ['db.syncPoolMax', 'int'],
  DB_POOL_WORKER_MAX: ['db.workerPoolMax', 'int'],
  DB_POOL_ACQUIRE_TIMEOUT_MS: ['db.acquireTimeoutMs', 'int'],
  DB_POOL_CONNECT_TIMEOUT_MS: ['db.connectTimeoutMs', 'int'],
  DB_STATEMENT_TIMEOUT_MS: ['db.statementTimeoutMs', 'int'],
  DB_POOL_MAX_LIFETIME_SECONDS: ['db.maxLifetimeSeconds', 'int'],
  DB_PREPARED_STATEMENTS: ['db.preparedStatements', 'bool'],
  JWT_ISSUER: ['auth.jwtIssuer', 'str'],
  JWT_AUDIENCE: ['auth.jwtAudience', 'str'],
  ACCESS_TOKEN_TTL_SECONDS: ['auth.accessTokenTtlSeconds', 'int'],
  REFRESH_TOKEN_TTL_SECONDS: ['auth.refreshTokenTtlSeconds', 'int'],
  OIDC_ISSUER: ['auth.oidcIssuer', 'str'],
  OIDC_JWKS_URL: ['auth.oidcJwksUrl', 'str'],
  OIDC_AUDIENCE: ['auth.oidcAudience', 'str'],
  JWKS_CACHE_TTL_MS: ['auth.jwksCacheTtlMs', 'int'],
  UNKNOWN_KID_COOLDOWN_MS: ['auth.unknownKidCooldownMs', 'int'],
  PERMISSION_CACHE_TTL_MS: ['auth.permissionCacheTtlMs', 'int'],
  PERMISSION_CACHE_MAX: ['auth.permissionCacheMax', 'int'],
  LOGIN_MAX_FAILURES_PER_ACCOUNT: ['auth.loginMaxFailuresPerAccount', 'int'],
  LOGIN_MAX_FAILURES_PER_IP: ['auth.loginMaxFailuresPerIp', 'int'],
  LOGIN_FAILURE_WINDOW_SECONDS: ['auth.loginFailureWindowSeconds', 'int'],
  SCRYPT_COST: ['auth.scryptCost', 'int'],
  PASSWORD_HASH_CONCURRENCY: ['auth.passwordHashConcurrency', 'int'],
  PASSWORD_RESET_TTL_MINUTES: ['auth.passwordResetTtlMinutes', 'int'],
  PASSWORD_RESET_MAX_PER_EMAIL_PER_HOUR: ['auth.passwordResetMaxPerEmailPerHour', 'int'],
  PASSWORD_RESET_MAX_PER_IP_PER_HOUR: ['auth.passwordResetMaxPerIpPerHour', 'int'],
  SMTP_URL: ['mail.smtpUrl', 'str'],
  MAIL_FROM: ['mail.from', 'str'],
  MAIL_POLL_INTERVAL_MS: ['mail.pollIntervalMs', 'int'],
  MAIL_MAX_ATTEMPTS: ['mail.maxAttempts', 'int'],
  MAIL_BACKOFF_BASE_MS: ['mail.backoffBaseMs', 'int'],
  NOTIFICATION_EMAIL_DELAY_SECONDS: ['notifications.emailDelaySeconds', 'int'],
  NOTIFICATION_DIGEST_POLL_MS: ['notifications.digestPollMs', 'int'],
  INVITATION_TTL_HOURS: ['invitations.ttlHours', 'int'],
  INVITATIONS_MAX_PER_WORKSPACE_PER_DAY: ['invitations.maxPerWorkspacePerDay', 'int'],
  SYNC_PROCESSES: ['sync.processes', 'str'],
  SYNC_PERSIST_BATCH_MS: ['sync.persistBatchMs', 'int'],
  SYNC_COMPACT_THRESHOLD: ['sync.compactThreshold', 'int'],
  SYNC_COMPACT_IDLE_MS: ['sync.compactIdleMs', 'int'],
  SYNC_ROOM_GRACE_MS: ['sync.roomGraceMs', 'int'],
  SYNC_MAX_MESSAGE_BYTES: ['sync.maxMessageBytes', 'int'],
  SYNC_MESSAGES_PER_SECOND: ['sync.messagesPerSecond', 'int'],
  SYNC_MESSAGE_BURST: ['sync.messageBurst', 'int'],
  SYNC_SEND_BUFFER_SOFT_BYTES: ['sync.sendBufferSoftBytes', 'int'],
  SYNC_SEND_BUFFER_HARD_BYTES: ['sync.sendBufferHardBytes', 'int'],
  SYNC_HEARTBEAT_MS: ['sync.heartbeatMs', 'int'],
  SYNC_AUTH_TIMEOUT_MS: ['sync.authTimeoutMs', 'int'],
  SYNC_FULL_PRESENCE_MAX: ['sync.fullPresenceMax', 'int'],
  SYNC_VIEW_ONLY_ABOVE: ['sync.viewOnlyAbove', 'int'],
  SYNC_BROADCAST_BATCH_ABOVE: ['sync.broadcastBatchAbove', 'int'],
  SYNC_BROADCAST_TICK_MS: ['sync.broadcastTickMs', 'int'],
  SYNC_PRESENCE_TICK_MS: ['sync.presenceTickMs', 'int'],
  SYNC_PRESENCE_SAMPLE_SIZE: ['sync.presenceSampleSize', 'int'],
  SYNC_VIEWER_PRESENCE: ['sync.viewerPresence', 'bool'],
  SYNC_VIEWER_TICK_MS: ['sync.viewerTickMs', 'int'],
  SYNC_VIEWER_TICK_ABOVE: ['sync.viewerTickAbove', 'int'],
  SYNC_EDITOR_TICK_MS: ['sync.editorTickMs', 'int'],
  SYNC_VIEWER_LAG_BYTES: ['sync.viewerLagBytes', 'int'],
  SYNC_FLEET_TTL_MS: ['sync.fleetTtlMs', 'int'],
  SYNC_FLEET_REPORT_MS: ['sync.fleetReportMs', 'int'],
  SYNC_FLEET_HOT_ABOVE: ['sync.fleetHotAbove', 'int'],
  SYNC_MAX_AWARENESS_BYTES: ['sync.maxAwarenessBytes', 'int'],
  SYNC_PREAUTH_MAX_MESSAGE_BYTES: ['sync.preauthMaxMessageBytes', 'int'],
  SYNC_MAX_SOCKETS_PER_USER_PER_DOC: ['sync.maxSocketsPerUserPerDoc', 'int'],
  SYNC_MAX_SOCKETS_PER_USER: ['sync.maxSocketsPerUser', 'int'],
  SYNC_MAX_JOINING_PER_USER: ['sync.maxJoiningPerUser', 'int'],
  SYNC_MAX_SOCKETS_PER_IP: ['sync.maxSocketsPerIp', 'int'],
  SYNC_WORKSPACE_FRAMES_PER_SECOND: ['sync.workspaceFramesPerSecond', 'int'],
  SYNC_WORKSPACE_BYTES_PER_SECOND: ['sync.workspaceBytesPerSecond', 'int'],
  SYNC_WORKSPACE_BURST_SECONDS: ['sync.workspaceBurstSeconds', 'int'],
  SYNC_WORKSPACE_CRDT_MS_PER_SECOND: ['sync.workspaceCrdtMsPerSecond', 'int'],
  SYNC_MAX_CONCURRENT_LOADS: ['sync.maxConcurrentLoads', 'int'],
  SYNC_LIMITED_COOLDOWN_MS: ['sync.limitedCooldownMs', 'int'],
  SYNC_CONNECTS_PER_SECOND_PER_IP: ['sync.connectsPerSecondPerIp', 'int'],
  SYNC_CONNECT_BURST_PER_IP: ['sync.connectBurstPerIp', 'int'],
  SYNC_PRESENCE_MIN_INTERVAL_MS: ['sync.presenceMinIntervalMs', 'int'],
  WEB_DIR: ['web.dir', 'str'],
  WEB_BUILD: ['web.build', 'str'],
  EXPORT_WORKER_CONCURRENCY: ['export.workerConcurrency', 'int'],
  EXPORT_POLL_INTERVAL_MS: ['export.pollIntervalMs', 'int'],
  EXPORT_LEASE_MS: ['export.leaseMs', 'int'],
  EXPORT_MAX_RETRIES: ['export.maxRetries', 'int'],
  EXPORT_BACKOFF_BASE_MS: ['export.backoffBaseMs', 'int'],
  EXPORT_TASK_TIMEOUT_MS: ['export.taskTimeoutMs', 'int'],
  EXPORT_RENDER_THREADS: ['export.renderThreads', 'int'],
  EXPORT_EXTERNAL_RENDERER_URL: ['export.externalRendererUrl', 'str'],
  EXPORT_BREAKER_TIMEOUT_MS: ['export.breaker.callTimeoutMs', 'int'],
  EXPORT_BREAKER_ERROR_PERCENT: ['export.breaker.errorThresholdPercentage', 'int'],
  EXPORT_BREAKER_WINDOW_MS: ['export.breaker.rollingWindowMs', 'int'],
  EXPORT_BREAKER_RESET_MS: ['export.breaker.resetTimeoutMs', 'int'],
  EXPORT_BREAKER_MIN_CALLS: ['export.breaker.volumeThreshold', 'int'],
  EXPORT_STORAGE_DIR: ['export.storageDir', 'str'],
  IMAGE_MAX_BYTES: ['images.maxBytes', 'int'],
  IMAGE_WORKSPACE_MAX_BYTES: ['images.workspaceMaxBytes', 'int'],
  STORAGE_BACKEND: ['storage.backend', 'str'],
  S3_BUCKET: ['storage.s3.bucket', 'str'],
  S3_ENDPOINT: ['storage.s3.endpoint', 'str'],
  S3_REGION: ['storage.s3.region', 'str'],
  S3_ACCESS_KEY_ID: ['storage.s3.accessKeyId', 'str'],
  S3_SECRET_ACCESS_KEY: ['storage.s3.secretAccessKey', 'str'],
  S3_FORCE_PATH_STYLE: ['storage.s3.forcePathStyle', 'bool'],
  S3_PREFIX: ['storage.s3.prefix', 'str'],
  EXPORT_RETENTION_MS: ['export.retentionMs', 'int'],
  EXPORT_CLEANUP_INTERVAL_MS: ['export.cleanupIntervalMs', 'int'],
  EXPORT_QUOTA_FREE: ['export.quota.free', 'int'],
  EXPORT_QUOTA_BUSINESS: ['export.quota.business', 'int'],
  EXPORT_QUOTA_ENTERPRISE: ['export.quota.enterprise', 'int'],
  EXPORT_WORKSPACE_RUNNING_MAX: ['export.workspaceRunningMax', 'int'],
  EXPORT_WEBHOOK_SECRET: ['export.webhook.secret', 'str'],
  EXPORT_WEBHOOK_ALLOW_PRIVATE: ['export.webhook.allowPrivate', 'bool'],
  EXPORT_WEBHOOK_TIMEOUT_MS: ['export.webhook.timeoutMs', 'int'],
  EXPORT_WEBHOOK_MAX_ATTEMPTS: ['export.webhook.maxAttempts', 'int'],
  EXPORT_SHUTDOWN_GRACE_MS: ['export.shutdownGraceMs', 'int'],
  OTEL_EXPORTER_OTLP_ENDPOINT: ['tracing.otlpEndpoint', 'str'],
  TRACE_SAMPLE_RATIO: ['tracing.sampleRatio', 'num'],
  TRACE_SLOW_MS: ['tracing.slowMs', 'int'],
  SHUTDOWN_DRAIN_MS: ['shutdown.drainMs', 'int'],
  SHUTDOWN_TIMEOUT_MS: ['shutdown.timeoutMs', 'int'],
  READY_MIN_FREE_DISK_MB: ['readyMinFreeDiskMb', 'int'],
  TRASH_RETENTION_DAYS: ['documents.trashRetentionDays', 'int'],
  TRASH_PURGE_INTERVAL_MS: ['documents.trashPurgeIntervalMs', 'int'],
  RECENT_THROTTLE_MS: ['documents.recentThrottleMs', 'int'],
  DOCUMENT_CACHE_TTL_MS: ['documents.cacheTtlMs', 'int'],
  DOCUMENT_CACHE_MAX: ['documents.cacheMax', 'int'],
  SEARCH_CONCURRENCY: ['documents.searchConcurrency', 'int'],
  SEARCH_QUEUE_MAX: ['documents.searchQueueMax', 'int'],
  IMPORT_MAX_BYTES: ['documents.importMaxBytes', 'int'],
  VERSION_IDLE_MS: ['versions.idleMs', 'int'],
  VERSION_INTERVAL_MS: ['versions.intervalMs', 'int'],
  VERSION_AUTHOR_RECORD_MS: ['versions.authorRecordMs', 'int'],
  VERSION_PRUNE_INTERVAL_MS: ['versions.pruneIntervalMs', 'int'],
  VERSION_RETENTION_DAYS_FREE: ['versions.retentionDays.free', 'int'],
  VERSION_RETENTION_DAYS_BUSINESS: ['versions.retentionDays.business', 'int'],
  VERSION_RETENTION_DAYS_ENTERPRISE: ['versions.retentionDays.enterprise', 'int'],
  PYROSCOPE_SERVER_ADDRESS: ['ops.pyroscopeServerAddress', 'str'],
  PYROSCOPE_APPLICATION_NAME: ['ops.pyroscopeApplicationName', 'str'],
  OPERATOR_TOKEN: ['ops.operatorToken', 'str'],
  RATE_LIMIT_FREE_PER_SECOND: ['limits.freePerSecond', 'int'],
  RATE_LIMIT_BUSINESS_PER_SECOND: ['limits.businessPerSecond', 'int'],
  RATE_LIMIT_ENTERPRISE_PER_SECOND: ['limits.enterprisePerSecond', 'int'],
  RATE_LIMIT_BURST_FACTOR: ['limits.burstFactor', 'num'],
  RATE_LIMIT_BURST_SECONDS: ['limits.burstSeconds', 'int'],
  RATE_LIMIT_SEARCH_PER_MINUTE: ['limits.searchPerMinute', 'int'],
  RATE_LIMIT_EXPORT_PER_MINUTE: ['limits.exportPerMinute', 'int'],
  RATE_LIMIT_IMAGE_PER_MINUTE: ['limits.imagePerMinute', 'int'],
  RATE_LIMIT_INVITE_PER_MINUTE: ['limits.invitePerMinute', 'int'],
  RATE_LIMIT_LOGIN_PER_MINUTE: ['limits.loginPerMinute', 'int'],
  RATE_LIMIT_PLAN_CACHE_MS: ['limits.planCacheMs', 'int'],
  RATE_LIMIT_LEASE_MAX: ['limits.leaseMaxTokens', 'int'],
  RATE_LIMIT_LEASE_MS: ['limits.leaseMs', 'int'],
  TOP_TALKERS_N: ['ops.topTalkersN', 'int'],
  CRDT_THREADS: ['crdt.threads', 'int'],
  CRDT_WORKER_BUDGET_MS: ['crdt.workerBudgetMs', 'int'],
  CRDT_MAIN_BUDGET_MS: ['crdt.mainBudgetMs', 'int'],
  CRDT_MAX_STRUCTS_PER_UPDATE: ['crdt.maxStructsPerUpdate', 'int'],
  CRDT_MAX_CONCURRENT_INSERTS: ['crdt.maxConcurrentInserts', 'int'],
  CRDT_INSPECT_OFF_THREAD_BYTES: ['crdt.inspectOffThreadBytes', 'int'],
  CRDT_MAX_INTEGRATION_STEPS: ['crdt.maxIntegrationSteps', 'int'],
};
const envNameOf = new Map<Path, string>(Object.entries(ENV).map(([env, [path]]) => [path, env]));

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
const SECRET_PATHS = new Set<Path>(['ops.operatorToken', 'export.webhook.secret', 'mail.smtpUrl']);

/** A bad value as shown in the error: passwords inside URLs are masked, never printed. */
function shown(value: unknown): string {
  return JSON.stringify(value).replace(/(\/\/[^/:@"]*:)[^@/"]*@/g, '$1***@');
}

function setPath(target: Record<string, unknown>, path: Path, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

function getPath(source: unknown, path: Path): unknown {
  return path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], source);
}

/** Builds the config from an environment map, reporting every bad value at once. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const input: Record<string, unknown> = {};
  for (const [name, [path, kind]] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== '') setPath(input, path, convert(raw, kind));
  }
  const withDefaults = Value.Default(ConfigSchema, input);
  const byName = new Map<string, string>();
  for (const e of Value.Errors(ConfigSchema, withDefaults)) {
    const path = e.instancePath.split('/').filter(Boolean).join('.');
    // An array item's error (ROLES=api,web) belongs to the array's variable.
    const known = [...envNameOf.keys()].find((p) => path === p || path.startsWith(`${p}.`));
    const name = known ? (envNameOf.get(known) as string) : path || 'config';
    const value = !known ? '' : SECRET_PATHS.has(known) ? '"***"' : shown(getPath(withDefaults, known));
    if (!byName.has(name)) byName.set(name, `${name}=${value}: ${e.message}`);
  }
  const problems = [...byName.values()];
  const cfg = withDefaults as Config;
  if (problems.length === 0) {
    if (cfg.auth.oidcIssuer && !cfg.auth.oidcJwksUrl) problems.push('OIDC_JWKS_URL: required when OIDC_ISSUER is set');
    const s3 = cfg.storage.s3;
    if (cfg.storage.backend === 's3' && !s3.bucket) problems.push('S3_BUCKET: required when STORAGE_BACKEND=s3');
    if (Boolean(s3.accessKeyId) !== Boolean(s3.secretAccessKey))
      problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set both or neither');
    if (cfg.sync.processes !== '1' && !(cfg.databaseUrl && cfg.redisUrl))
      problems.push(
        `SYNC_PROCESSES=${cfg.sync.processes}: more than one process needs DATABASE_URL and REDIS_URL (the embedded database and the in-process bus belong to one process)`,
      );
    if (cfg.sync.processes !== '1' && cfg.port === 0)
      problems.push(`SYNC_PROCESSES=${cfg.sync.processes}: needs a fixed PORT (the processes share it)`);
    if ((cfg.auth.scryptCost & (cfg.auth.scryptCost - 1)) !== 0)
      problems.push(`SCRYPT_COST=${cfg.auth.scryptCost}: must be a power of two`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}

export type StorageBackend = Exclude<Config['storage']['backend'], 'auto'>;

/** The file store `STORAGE_BACKEND=auto` means for this configuration (see its description). */
export function resolveStorageBackend(cfg: Config): StorageBackend {
  if (cfg.storage.backend !== 'auto') return cfg.storage.backend;
  if (cfg.storage.s3.bucket) return 's3';
  if (cfg.export.storageDir) return 'local';
  return cfg.databaseUrl ? 'postgres' : 'local';
}

/** How many processes `serve` runs (`SYNC_PROCESSES`; "auto" is the cores this process may use). */
export function resolveSyncProcesses(cfg: Config, cores: number): number {
  return cfg.sync.processes === 'auto' ? Math.max(1, cores) : Number(cfg.sync.processes);
}

/** Every variable the config understands, for `.env.example` drift tests. */
export const CONFIG_ENV_NAMES = Object.keys(ENV);

/**
 * `npm run bench:isolation`: can one tenant slow down another? Against a real server process with
 * the real per-workspace limits (docs/spec/limits.md), in one run: a quiet workspace's latency
 * alone, then the same quiet load while each noisy load runs beside it. Prints one JSON object on
 * stdout (progress on stderr) and exits 1 when a goal is missed.
 *
 * Goals per noisy load: the quiet workspace's p95 within 1.5x of its alone value, its p99 under
 * 100 ms, the noisy tenant refused (429 over REST, 4429 over sync), no 5xx for anyone.
 *
 * Noisy loads are entries of NOISY_LOADS below: `restFlood` (the noisy workspace at 10x its
 * plan's rate) and `adversarialUpdates` (its sockets send hostile Yjs updates from
 * test/support/adversarial-updates.ts: 26,000 clients inserting at one position, types nested
 * 5,000 deep, and piles built 64
 * inserts per frame until the document is quarantined; the server must answer 4413/4423 while
 * the quiet workspace does not notice), and `socketFlood` (one noisy user opens sockets far beyond
 * its caps and floods presence past the workspace's frame budget, isolation-sockets.ts; 4429).
 * The quiet measurement and the goals stay as they are. The quiet load runs in its own child
 * process (this file again), so what a noisy load costs the bench's event loop (building hostile
 * updates, sending 1,000 req/s) is never counted as the server's latency.
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL / DATABASE_URL  admin URL; a bench_<random> database is created and dropped
 *   REDIS_URL                          fleet-wide limits in Redis (keys under a per-run prefix)
 *   BENCH_DURATION_S (10)              length of every measured phase
 *   BENCH_QUIET_RATE (50)              the quiet workspace's requests per second (its limit is 100)
 *   BENCH_NOISY_FACTOR (10)            the flood as a multiple of the noisy workspace's limit
 *   BENCH_NOISY_SOCKETS (300)          sockets the noisy user tries to open (caps: 8 per document, 64 per user)
 *   BENCH_NOISY_FRAMES_PER_S (100)     presence frames per second from each socket it gets
 *   BENCH_ISOLATION_ONLY (all)         comma-separated noisy loads to run, e.g. socketFlood
 *   BENCH_CPU_PROF (unset)             directory for a V8 CPU profile of the server's whole run
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { encodeSyncStep1, encodeSyncUpdate } from '../src/sync/protocol.ts';
import { baseParagraph, concurrentInserts, deepNesting } from '../test/support/adversarial-updates.ts';
import { socketFloodInChild } from './isolation-sockets.ts';
import { type BenchDatabase, createBenchDatabase, redact } from './support/database.ts';
import { fixedRate, type LoadResult, type Workload } from './support/load.ts';
import { delta, scrape } from './support/prometheus.ts';
import { deleteKeysWithPrefix } from './support/redis.ts';
import { type ServerChild, startServer } from './support/server.ts';

const API = '/api/v1';
const DEFAULT_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const PASSWORD = 'bench-isolation-password';
/** The plan rate both workspaces are on (free), as the server is configured below. */
const PLAN_RATE = 100;
const DOCUMENTS_PER_WORKSPACE = 20;
const P95_RATIO_GOAL = 1.5;
const P99_GOAL_MS = 100;
const SERVER_READY_TIMEOUT_MS = 60_000;
const SETTLE_MS = 2_000;
/** Connections of the quiet client: enough that its own queueing never shows at its rate. */
const QUIET_CONNECTIONS = 10;
const NOISY_CONNECTIONS = 50;
/** The quiet load in this many autocannon instances, so its second's quota does not leave as one burst. */
const QUIET_STAGGER = 10;
const NOISY_STAGGER = 10;

const num = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return n;
};
const settings = {
  durationS: num('BENCH_DURATION_S', 10),
  quietRate: num('BENCH_QUIET_RATE', 50),
  noisyFactor: num('BENCH_NOISY_FACTOR', 10),
  noisySockets: num('BENCH_NOISY_SOCKETS', 300),
  noisyFramesPerSecond: num('BENCH_NOISY_FRAMES_PER_S', 100),
};
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

type Json = Record<string, unknown>;
async function call(base: string, method: string, path: string, body?: unknown, token?: string): Promise<Json> {
  const res = await fetch(`${base}${API}${path}`, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Json;
}

/** A tenant: one owner, one workspace on the free plan, a few documents. */
type Tenant = { name: string; token: string; workspaceId: string; documentIds: string[] };

async function tenant(base: string, name: string, run: string): Promise<Tenant> {
  const s = await call(base, 'POST', '/auth/signup', {
    email: `${name}-${run}@bench.example`,
    password: PASSWORD,
    displayName: name,
  });
  const token = s.accessToken as string;
  const w = await call(base, 'POST', '/workspaces', { name }, token);
  const documentIds: string[] = [];
  for (let i = 0; i < DOCUMENTS_PER_WORKSPACE; i++) {
    documentIds.push(
      (await call(base, 'POST', `/workspaces/${w.id}/documents`, { title: `${name} ${i}` }, token)).id as string,
    );
  }
  return { name, token, workspaceId: w.id as string, documentIds };
}

/** Reads of the tenant's documents, round robin: auth, permission check, one row. */
function reads(t: Tenant): Workload {
  let i = 0;
  return {
    name: `${t.name}.documentRead`,
    next: () => ({
      method: 'GET',
      path: `${API}/documents/${t.documentIds[i++ % t.documentIds.length]}`,
      token: t.token,
    }),
  };
}

type Context = { url: string; noisy: Tenant; durationS: number };

/**
 * Something a noisy tenant does beside the quiet one. `run` lasts about `durationS` and reports
 * what the noisy tenant got back; `refused` says whether the server pushed back as it must.
 */
type NoisyLoad = {
  name: string;
  describe: string;
  run(ctx: Context): Promise<{ result: Json; refused: boolean }>;
};

const restFlood: NoisyLoad = {
  name: 'restFlood',
  describe: `the noisy workspace sends ${settings.noisyFactor}x its plan's ${PLAN_RATE} req/s`,
  async run(ctx) {
    const r = await fixedRate(ctx.url, reads(ctx.noisy), {
      rate: PLAN_RATE * settings.noisyFactor,
      connections: NOISY_CONNECTIONS,
      durationS: ctx.durationS,
      stagger: NOISY_STAGGER,
    });
    const limited = r.statusCounts['429'] ?? 0;
    return {
      result: {
        targetRps: r.targetRps,
        rps: r.rps,
        statusCounts: r.statusCounts,
        limitedShare: r.responses > 0 ? Math.round((limited / r.responses) * 1000) / 1000 : 0,
        latencyMs: r.latencyMs,
      },
      refused: limited > 0,
    };
  },
};

/** How long a hostile socket waits for the server to close it before giving up on the frame. */
const HOSTILE_CLOSE_WAIT_MS = 5_000;
const PILE_FRAMES = 60;

/** One socket: sync step 1, then `frames`; resolves with the close code (0: still open, closed by us). */
async function hostileSocket(url: string, documentId: string, token: string, frames: Uint8Array[]): Promise<number> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/sync/${documentId}?token=${encodeURIComponent(token)}`);
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => {
    ws.on('close', (code: number) => resolve(code));
    // [S7.12] A connect refused at the upgrade: its HTTP status stands in for a close code, and
    // the phase waits out its Retry-After (this phase measures hostile updates, not a storm).
    ws.on('unexpected-response', (req, res) => {
      req.destroy();
      const waitS = Number(res.headers['retry-after'] ?? 0);
      setTimeout(() => resolve(res.statusCode ?? 0), waitS * 1000);
    });
  });
  const opened = await Promise.race([once(ws, 'open').then(() => true), closed.then(() => false)]).catch(() => false);
  if (!opened) return closed;
  ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())));
  // Past authentication first: before it, frames over 64 KiB are refused 1009 (spec S7.7).
  await Promise.race([once(ws, 'message'), closed]).catch(() => undefined);
  for (const frame of frames) if (ws.readyState === WebSocket.OPEN) ws.send(frame);
  const timer = new Promise<number>((r) => setTimeout(() => r(0), HOSTILE_CLOSE_WAIT_MS));
  const code = await Promise.race([closed, timer]);
  if (code === 0) ws.terminate();
  return code;
}

const adversarialUpdates: NoisyLoad = {
  name: 'adversarialUpdates',
  describe:
    'the noisy workspace sends hostile Yjs updates (26,000 concurrent inserts, nesting 5,000 deep, piles built frame by frame)',
  async run(ctx) {
    const seed = baseParagraph();
    const kinds: Record<string, (i: number) => Uint8Array[]> = {
      concurrentInserts: () => [encodeSyncUpdate(seed), encodeSyncUpdate(concurrentInserts(26_000, { base: seed }))],
      deepNesting: () => [encodeSyncUpdate(deepNesting(5_000))],
      pileUp: (i) => [
        encodeSyncUpdate(seed),
        ...Array.from({ length: PILE_FRAMES }, (_, f) =>
          encodeSyncUpdate(concurrentInserts(64, { base: seed, firstClient: 1_000_000 + (i * PILE_FRAMES + f) * 64 })),
        ),
      ],
    };
    const names = Object.keys(kinds);
    const closes: Record<string, Record<string, number>> = Object.fromEntries(names.map((n) => [n, {}]));
    const deadline = Date.now() + ctx.durationS * 1000;
    let sent = 0;
    for (let i = 0; Date.now() < deadline; i++) {
      const kind = names[i % names.length] as string;
      const documentId = ctx.noisy.documentIds[i % ctx.noisy.documentIds.length] as string;
      const code = await hostileSocket(ctx.url, documentId, ctx.noisy.token, kinds[kind]!(i));
      sent++;
      const byCode = closes[kind]!;
      byCode[String(code)] = (byCode[String(code)] ?? 0) + 1;
    }
    const refused = Object.values(closes).some((byCode) => (byCode['4413'] ?? 0) + (byCode['4423'] ?? 0) > 0);
    return { result: { sockets: sent, closeCodesByKind: closes }, refused };
  },
};

const socketFloodLoad: NoisyLoad = {
  name: 'socketFlood',
  describe: `one noisy user opens ${settings.noisySockets} sockets and floods ${settings.noisyFramesPerSecond} presence frames/s on each it gets`,
  async run(ctx) {
    const r = await socketFloodInChild({
      url: ctx.url,
      token: ctx.noisy.token,
      documentIds: ctx.noisy.documentIds,
      sockets: settings.noisySockets,
      framesPerSecond: settings.noisyFramesPerSecond,
      durationS: ctx.durationS,
    });
    return { result: r, refused: (r.closesByCode['4429'] ?? 0) > 0 };
  },
};

/** Add further noisy loads here (see the header). */
const NOISY_LOADS: NoisyLoad[] = [restFlood, adversarialUpdates, socketFloodLoad];

const brief = (r: LoadResult) => ({ rps: r.rps, latencyMs: r.latencyMs, statusCounts: r.statusCounts });
const fivexx = (r: LoadResult) =>
  Object.entries(r.statusCounts).reduce((n, [s, c]) => (Number(s) >= 500 ? n + c : n), 0);

let server: ServerChild | undefined;
let database: BenchDatabase | undefined;
let dataDir: string | undefined;
let redisRun: { url: string; prefix: string } | undefined;

async function cleanup(): Promise<void> {
  if (server) await server.stop();
  if (database?.kind === 'postgres') await database.drop().catch(() => undefined);
  if (redisRun) await deleteKeysWithPrefix(redisRun.url, redisRun.prefix).catch(() => undefined);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

async function main(): Promise<boolean> {
  const adminUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const redisUrl = process.env.REDIS_URL || undefined;
  if (redisUrl) redisRun = { url: redisUrl, prefix: `bench_${randomBytes(4).toString('hex')}:` };
  database = await createBenchDatabase(adminUrl);
  log(database.kind === 'postgres' ? `database ${database.name} at ${redact(adminUrl)}` : database.reason);
  dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-bench-isolation-'));
  const profileDir = process.env.BENCH_CPU_PROF;
  server = await startServer({
    // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the server's whole run (bench/cpu-profile.ts reads it).
    ...(profileDir && { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] }),
    env: {
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      ACCESS_TOKEN_TTL_SECONDS: '3600',
      // The limits under test: the product's defaults, not bench/support/server.ts's "unlimited".
      RATE_LIMIT_FREE_PER_SECOND: String(PLAN_RATE),
      RATE_LIMIT_BUSINESS_PER_SECOND: String(PLAN_RATE),
      RATE_LIMIT_ENTERPRISE_PER_SECOND: '500',
      // The sync tier's tenant limits at their defaults (docs/spec/sync.md S7.4-S7.11).
      SYNC_MAX_SOCKETS_PER_IP: '1000',
      SYNC_CONNECTS_PER_SECOND_PER_IP: '20',
      SYNC_CONNECT_BURST_PER_IP: '30',
      SYNC_MAX_SOCKETS_PER_USER: '64',
      SYNC_MAX_SOCKETS_PER_USER_PER_DOC: '8',
      SYNC_MAX_JOINING_PER_USER: '8',
      SYNC_WORKSPACE_FRAMES_PER_SECOND: '2000',
      SYNC_WORKSPACE_BYTES_PER_SECOND: '4194304',
      SYNC_WORKSPACE_CRDT_MS_PER_SECOND: '100',
      SYNC_LIMITED_COOLDOWN_MS: '5000',
      SYNC_PRESENCE_MIN_INTERVAL_MS: '50',
      ...(database.kind === 'postgres' && { DATABASE_URL: database.url }),
      ...(redisRun && { REDIS_URL: redisRun.url, REDIS_PREFIX: redisRun.prefix }),
    },
    readyTimeoutMs: SERVER_READY_TIMEOUT_MS,
    onOutput: (text) => process.stderr.write(text.replace(/^(?=.)/gm, '[server] ')),
  });
  const url = server.url;
  log(`server ${server.pid} at ${url}`);
  const run = Date.now().toString(36);
  const quiet = await tenant(url, 'quiet', run);
  const noisy = await tenant(url, 'noisy', run);
  // The quiet tenant measures from its own process, as another customer would: a noisy load
  // that builds 26,000-insert updates or sends 1,000 req/s in the bench's event loop would
  // otherwise delay the quiet client's own timers and show up as the server's latency.
  const quietLoad = () => quietInChild(url, quiet);

  log(`warm-up`);
  await fixedRate(url, reads(quiet), {
    rate: settings.quietRate,
    connections: QUIET_CONNECTIONS,
    durationS: 3,
    stagger: 1,
  });
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  log(`quiet alone: ${settings.quietRate} req/s for ${settings.durationS} s`);
  const alone = await quietLoad();

  const phases: Json[] = [];
  let allMet = fivexx(alone) === 0;
  const only = (process.env.BENCH_ISOLATION_ONLY ?? '').split(',').filter(Boolean);
  for (const load of NOISY_LOADS.filter((l) => only.length === 0 || only.includes(l.name))) {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    log(`quiet beside ${load.name}: ${load.describe}`);
    const before = await scrape(url);
    const [quietResult, noisyResult] = await Promise.all([
      quietLoad(),
      load.run({ url, noisy, durationS: settings.durationS }),
    ]);
    const after = await scrape(url);
    const p95Ratio = Math.round((quietResult.latencyMs.p95 / Math.max(alone.latencyMs.p95, 0.01)) * 100) / 100;
    const goals = {
      quietP95WithinRatio: p95Ratio <= P95_RATIO_GOAL,
      quietP99UnderMs: quietResult.latencyMs.p99 < P99_GOAL_MS,
      quietAllAnswered2xx: quietResult.non2xx === 0,
      noisyRefused: noisyResult.refused,
      no5xx: fivexx(quietResult) === 0,
    };
    allMet &&= Object.values(goals).every(Boolean);
    phases.push({
      noisy: load.name,
      describe: load.describe,
      quiet: { ...brief(quietResult), p95RatioToAlone: p95Ratio },
      noisyResult: noisyResult.result,
      server: {
        limitedDecisions: delta(before, after, 'rate_limit_decisions_total', {
          outcome: 'limited',
          scope: 'workspace',
        }),
        allowedDecisions: delta(before, after, 'rate_limit_decisions_total', {
          outcome: 'allowed',
          scope: 'workspace',
        }),
        updatesRefused: delta(before, after, 'sync_updates_over_budget_total', { action: 'refuse' }),
        documentsQuarantined: delta(before, after, 'documents_quarantined_total', {}),
        crdtRebuildsOverBudget: delta(before, after, 'crdt_rebuilds_total', { outcome: 'over_budget' }),
        syncLimited: Object.fromEntries(
          [
            'ip_sockets',
            'ip_connects',
            'user_cooldown',
            'user_sockets',
            'user_document_sockets',
            'user_joins',
            'workspace_frames',
            'socket_frames',
            'workspace_crdt_cpu',
          ].map((limit) => [limit, delta(before, after, 'sync_limit_decisions_total', { outcome: 'limited', limit })]),
        ),
      },
      goals,
    });
  }

  const output = {
    bench: 'isolation',
    database: database.kind,
    limits: redisRun ? 'redis' : 'in-process',
    settings: { ...settings, planRatePerSecond: PLAN_RATE },
    goals: { quietP95RatioMax: P95_RATIO_GOAL, quietP99MaxMs: P99_GOAL_MS },
    quietAlone: brief(alone),
    phases,
    allGoalsMet: allMet,
  };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  return allMet;
}

const QUIET_CHILD_ENV = 'BENCH_ISOLATION_QUIET';

/** The quiet load in a child process (this file, `QUIET_CHILD_ENV` set); its LoadResult back. */
function quietInChild(url: string, quiet: Tenant): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, [QUIET_CHILD_ENV]: JSON.stringify({ url, quiet }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as LoadResult);
      else reject(new Error(`quiet load child exited with ${code}`));
    });
  });
}

async function quietChild(raw: string): Promise<void> {
  const { url, quiet } = JSON.parse(raw) as { url: string; quiet: Tenant };
  const r = await fixedRate(url, reads(quiet), {
    rate: settings.quietRate,
    connections: QUIET_CONNECTIONS,
    durationS: settings.durationS,
    stagger: QUIET_STAGGER,
  });
  process.stdout.write(JSON.stringify(r));
}

const quietChildOptions = process.env[QUIET_CHILD_ENV];
if (quietChildOptions) {
  quietChild(quietChildOptions).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
} else {
  startBench();
}

function startBench(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }

  main().then(
    async (met) => {
      await cleanup();
      process.exit(met ? 0 : 1);
    },
    async (err: unknown) => {
      log(err instanceof Error ? (err.stack ?? err.message) : String(err));
      await cleanup();
      process.exit(2);
    },
  );
}

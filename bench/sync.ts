/**
 * `npm run bench:sync`: the real-time sync tier under load, ours and Hocuspocus (the peer) in
 * the same run, each as child processes on 127.0.0.1 with real PostgreSQL (and Redis for the
 * two-instance workload). Prints one JSON object on stdout; progress on stderr.
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL / DATABASE_URL  admin URL; a bench_<random> database is created and dropped
 *   REDIS_URL (redis://127.0.0.1:6379) the bus of the two-instance workload (skipped when none answers)
 *   BENCH_SYNC_PEERS (ours,hocuspocus) which peers to run
 *   BENCH_SYNC_ONLY (all)              oneDocument, manyDocuments, largeRoom, idleMemory, twoInstances, scaleCurve
 *   BENCH_SYNC_DURATION_S (15)         typing time per workload
 *   BENCH_SYNC_WARMUP_S (10)           unrecorded typing against each peer before its first workload (0: none)
 *   BENCH_SYNC_CHARS_PER_S (5)         typing rate of every typist (±50 % jitter per keystroke)
 *   BENCH_SYNC_EDITORS (10) / BENCH_SYNC_VIEWERS (100)           oneDocument
 *   BENCH_SYNC_COMMENT_THREADS (0)     N > 0: ours runs oneDocument twice, on a document without threads and on a
 *                                      twin with N open threads, and reports both p95s and their ratio (issue 14)
 *   BENCH_SYNC_SMALL_DOCS (200) / BENCH_SYNC_SMALL_WATCHERS (2)   manyDocuments (one typist each)
 *   BENCH_SYNC_ROOM_SOCKETS (1000) / BENCH_SYNC_ROOM_EDITORS (3) / BENCH_SYNC_ROOM_INSTRUMENTED (50)
 *   BENCH_SYNC_IDLE_SOCKETS (2000) / BENCH_SYNC_IDLE_DOCS (100) / BENCH_SYNC_IDLE_HOLD_S (5)
 *   BENCH_SYNC_CLUSTER_DOCS (10) / BENCH_SYNC_CLUSTER_REMOTE (3)  twoInstances (remote watchers per doc)
 *   BENCH_SYNC_CURVE_SOCKETS (1000,3000,6000,10000) / BENCH_SYNC_CURVE_TYPISTS (3,30)  scaleCurve points
 *   BENCH_SYNC_CURVE_PROCESSES (1)     ours at each SYNC_PROCESSES in the scale curve, e.g. 1,2 (above 1: Redis)
 *   BENCH_SYNC_CURVE_INSTRUMENTED (50) / BENCH_SYNC_CURVE_CROWDS (2: child processes for raw viewers)
 *   BENCH_SYNC_CURVE_DURATION_S (10)   typing time per scale-curve point (typists also send their cursor)
 *   BENCH_SYNC_COUNT_ECHOES (0)        1: typists decode every frame to count their own edits sent back (costs CPU)
 *   BENCH_CPU_PROF (dir)               a V8 CPU profile of our server per scaleCurve point, and one of the
 *                                      instance serving the other single-instance workloads, written there
 *                                      (summarise: `npx node bench/cpu-profile.ts <file>`)
 * Our server's own settings (SYNC_*, DB_POOL_*, ...) pass through to it unchanged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { GENEROUS_SYNC_LIMITS } from '../test/support/generous-sync-limits.ts';
import { cpuMeter } from './support/cpu.ts';
import { type BenchDatabase, createBenchDatabase, redact } from './support/database.ts';
import { deleteKeysWithPrefix } from './support/redis.ts';
import { commentPair } from './sync/comment-pair.ts';
import { openCommentThreads } from './sync/comment-threads.ts';
import { type Deployment, hocuspocusTokens, startHocuspocusPeer, startOurs } from './sync/deployments.ts';
import { createSyncFixture, type Tokens } from './sync/fixture.ts';
import { runIdle } from './sync/idle.ts';
import { sleep } from './sync/limit.ts';
import { clusterPlan, largeRoomPlan, manyDocumentsPlan, oneDocumentPlan } from './sync/plans.ts';
import { compare, type Results, type Workload } from './sync/report.ts';
import { runScaleCurve } from './sync/scale-curve.ts';
import { cpuProfileDir, settings } from './sync/settings.ts';
import { runTyping, type SocketPlan } from './sync/typing.ts';
import type { PeerName } from './sync/wire.ts';

const DEFAULT_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const REDIS_PING_TIMEOUT_MS = 2_000;
/** Pause between phases so one phase's tail (persistence, GC) is not billed to the next. */
const BETWEEN_PHASES_MS = 2_000;

const log = (msg: string) => process.stderr.write(`[bench:sync] ${msg}\n`);
const serverLog = (text: string) => process.stderr.write(text);

let database: BenchDatabase | undefined;
let dataDir: string | undefined;
let redisRun: { url: string; prefix: string } | undefined;
const live = new Set<Deployment>();
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const d of live) await d.stop();
    if (database?.kind === 'postgres') {
      log(`dropping database ${database.name}`);
      await database.drop().catch((err: unknown) => log(`could not drop the database: ${String(err)}`));
    }
    if (redisRun) {
      const { url, prefix } = redisRun;
      await deleteKeysWithPrefix(url, prefix).catch((err: unknown) => log(`could not clean Redis: ${String(err)}`));
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function redisAnswers(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: REDIS_PING_TIMEOUT_MS });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

async function deploy(start: () => Promise<Deployment>): Promise<Deployment> {
  const d = await start();
  live.add(d);
  log(`${d.peer}: ${d.instances.map((i) => `pid ${i.pid} at ${i.http}`).join(', ')} (bus ${d.bus})`);
  return d;
}

async function retire(d: Deployment) {
  live.delete(d);
  await d.stop();
}

async function main(): Promise<void> {
  const adminUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  database = await createBenchDatabase(adminUrl);
  if (database.kind === 'postgres') log(`database ${database.name} created at ${redact(adminUrl)}`);
  else log(`no PostgreSQL (${database.reason}): ours runs on PGlite, Hocuspocus keeps documents in memory`);
  const dbName = database.kind === 'postgres' ? database.name : undefined;
  const dbUrl = database.kind === 'postgres' ? database.url : undefined;
  dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-bench-sync-'));
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  const wantCluster =
    settings.only.includes('twoInstances') ||
    (settings.only.includes('scaleCurve') && settings.scaleCurve.processes.some((n) => n > 1));
  if (wantCluster && (await redisAnswers(redisUrl)))
    redisRun = { url: redisUrl, prefix: `bench_${randomBytes(4).toString('hex')}:` };
  else if (wantCluster) log(`no Redis at ${redact(redisUrl)}: twoInstances and SYNC_PROCESSES > 1 are skipped`);

  const ourEnv: Record<string, string> = {
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    ACCESS_TOKEN_TTL_SECONDS: '3600', // the run must never outlive its tokens
    // Thousands of sockets of one editor and one viewer from 127.0.0.1 in one workspace: the
    // tenant caps (spec S7.4-S7.12) would refuse them; bench:isolation measures those.
    ...GENEROUS_SYNC_LIMITS,
    ...(dbUrl && { DATABASE_URL: dbUrl }),
  };
  const selected = (w: Workload | 'scaleCurve') => settings.only.includes(w);
  const curvePoints = settings.scaleCurve.sockets.length * settings.scaleCurve.typists.length;
  const counts: Record<string, number> = {
    // A twin document carries the comment threads: same run, with and without them.
    oneDocument: selected('oneDocument') ? (settings.oneDocument.commentThreads > 0 ? 2 : 1) : 0,
    manyDocuments: selected('manyDocuments') ? settings.manyDocuments.documents : 0,
    largeRoom: selected('largeRoom') ? 1 : 0,
    idleMemory: selected('idleMemory') ? settings.idleMemory.documents : 0,
    twoInstances: redisRun && selected('twoInstances') ? settings.twoInstances.documents : 0,
    // Ours runs each point once per SYNC_PROCESSES value, each on a document of its own.
    scaleCurve: selected('scaleCurve') ? curvePoints * settings.scaleCurve.processes.length : 0,
    warmUp: settings.warmUpS > 0 ? 1 : 0,
  };

  const idle = cpuMeter(process.pid).start();
  await sleep(1_000);
  const machineBeforeLoad = idle();
  if (machineBeforeLoad && machineBeforeLoad.otherCores > 0.25)
    log(`machine already busy: ${machineBeforeLoad.otherCores} cores in use`);

  let documents: Record<string, string[]> | undefined;
  const results: Results = {};
  const record = (w: Workload, peer: PeerName, r: unknown) => {
    results[w] = { ...results[w], [peer]: r };
  };
  const peerInfo: Partial<Record<PeerName, { persistence: string; bus: string; twoInstancesBus?: string }>> = {};
  const tokensOf: Partial<Record<PeerName, Tokens>> = {};
  let commentThreads: ReturnType<typeof commentPair> | undefined;

  // Ours first: it creates the documents (through the API) that Hocuspocus then uses by name.
  for (const peer of settings.peers) {
    let tokens: Tokens;
    let single: Deployment;
    if (peer === 'ours') {
      single = await deploy(() =>
        startOurs({
          count: 1,
          env: ourEnv,
          log: serverLog,
          cpuProfileDir: cpuProfileDir && join(cpuProfileDir, 'ours-single'),
        }),
      );
      const http = (single.instances[0] as { http: string }).http;
      const fixture = await createSyncFixture(http, counts, ['oneDocument', 'largeRoom', 'scaleCurve', 'warmUp']);
      documents = fixture.documents;
      tokens = fixture.tokens;
      log(`fixture: ${Object.values(documents).flat().length} documents, ${fixture.viewerShares} viewer shares`);
      const threads = settings.oneDocument.commentThreads;
      if (threads > 0 && documents.oneDocument?.[1]) {
        await openCommentThreads(http, documents.oneDocument[1], threads, tokens.editor);
        log(`fixture: ${threads} open comment threads on the oneDocument twin document`);
      }
    } else {
      tokens = hocuspocusTokens();
      documents ??= Object.fromEntries(
        Object.entries(counts).map(([w, n]) => [w, Array.from({ length: n }, () => randomUUID())]),
      );
      single = await deploy(() => startHocuspocusPeer({ count: 1, tokens, databaseUrl: dbUrl, log: serverLog }));
    }
    peerInfo[peer] = { persistence: single.persistence, bus: single.bus };
    tokensOf[peer] = tokens;
    const docs = documents;
    const typing = async (w: Workload, sockets: SocketPlan[], d: Deployment, seed: number, keep = true) => {
      log(`${peer} ${w}${keep ? '' : ' (twin)'}: ${sockets.length} sockets, ${settings.durationS} s of typing…`);
      const r = await runTyping(
        d,
        tokens,
        { sockets, charsPerSecond: settings.charsPerSecond, durationS: settings.durationS },
        { database: dbName, seed, countEchoes: settings.countEchoes },
      );
      const p = Object.entries(r.propagation).map(([g, v]) => `${g} p95 ${v?.p95 ?? '-'} ms (n=${v?.count ?? 0})`);
      log(`${peer} ${w}: ${p.join(', ')}; server ${r.server.cpuCores} cores, bench ${r.loadGenerator.cores} cores`);
      if (keep) record(w, peer, r);
      await sleep(BETWEEN_PHASES_MS);
      return r;
    };

    const warmUpDocument = docs.warmUp?.[0];
    if (warmUpDocument) {
      // The peer that runs first (ours) must not be measured with a cold load generator while the
      // second gets a warm one: the same code measured p95 13.2 ms first and 9.1 ms third in one
      // run, the generator busy 2.6 s against 1.8 s. 3 s of warm-up was not enough (busy 1.8 s vs
      // Hocuspocus's 1.5 s after it); after 10 s both peers' windows cost it the same (1.65 / 1.61 s).
      const { editors, viewers } = settings.oneDocument;
      log(`${peer} warm-up: ${editors + viewers} sockets, ${settings.warmUpS} s of typing (not recorded)…`);
      await runTyping(
        single,
        tokens,
        {
          sockets: oneDocumentPlan(warmUpDocument, editors, viewers),
          charsPerSecond: settings.charsPerSecond,
          durationS: settings.warmUpS,
        },
        { database: dbName, seed: 0 },
      );
      await sleep(BETWEEN_PHASES_MS);
    }
    if (selected('oneDocument')) {
      const { editors, viewers, commentThreads: threads } = settings.oneDocument;
      const without = await typing(
        'oneDocument',
        oneDocumentPlan(docs.oneDocument?.[0] as string, editors, viewers),
        single,
        1,
      );
      const twin = docs.oneDocument?.[1];
      if (peer === 'ours' && threads > 0 && twin) {
        const withThreads = await typing('oneDocument', oneDocumentPlan(twin, editors, viewers), single, 1, false);
        commentThreads = commentPair(threads, without, withThreads);
        log(`ours oneDocument with ${threads} open threads: p95 ratio ${commentThreads.p95Ratio}`);
      }
    }
    if (selected('manyDocuments'))
      await typing(
        'manyDocuments',
        manyDocumentsPlan(docs.manyDocuments ?? [], settings.manyDocuments.watchers),
        single,
        2,
      );
    if (selected('largeRoom')) {
      const { sockets, editors, instrumented } = settings.largeRoom;
      await typing(
        'largeRoom',
        largeRoomPlan(docs.largeRoom?.[0] as string, sockets, editors, instrumented),
        single,
        3,
      );
    }
    if (selected('idleMemory')) {
      log(
        `${peer} idleMemory: ${settings.idleMemory.sockets} sockets over ${settings.idleMemory.documents} documents…`,
      );
      const r = await runIdle(single, tokens, {
        sockets: settings.idleMemory.sockets,
        documents: docs.idleMemory ?? [],
        holdS: settings.idleMemory.holdS,
        database: dbName,
      });
      log(`${peer} idleMemory: ${r.server.rssPerSocketBytes} B RSS, ${r.server.heapPerSocketBytes} B heap per socket`);
      record('idleMemory', peer, r);
    }
    await retire(single);

    if (redisRun && selected('twoInstances')) {
      const redis = redisRun;
      const pair = await deploy(() =>
        peer === 'ours'
          ? startOurs({ count: 2, env: ourEnv, redis, log: serverLog })
          : startHocuspocusPeer({ count: 2, tokens, databaseUrl: dbUrl, redis, log: serverLog }),
      );
      (peerInfo[peer] as { twoInstancesBus?: string }).twoInstancesBus = pair.bus;
      await typing('twoInstances', clusterPlan(docs.twoInstances ?? [], settings.twoInstances.remote), pair, 5);
      await retire(pair);
    }
  }

  const scaleCurve = selected('scaleCurve')
    ? await runScaleCurve({
        settings: {
          ...settings.scaleCurve,
          charsPerSecond: settings.charsPerSecond,
          countEchoes: settings.countEchoes,
        },
        peers: settings.peers,
        documents: documents?.scaleCurve ?? [],
        tokens: tokensOf,
        database: dbName,
        log,
        deploy: (peer, point, processes) =>
          deploy(() =>
            peer === 'ours'
              ? startOurs({
                  count: 1,
                  // Several processes share one Redis bus; one process keeps the in-process bus as before.
                  ...(processes > 1 && { processes, redis: redisRun }),
                  env: ourEnv,
                  log: serverLog,
                  cpuProfileDir:
                    cpuProfileDir &&
                    join(cpuProfileDir, processes > 1 ? `ours-${point}-p${processes}` : `ours-${point}`),
                })
              : startHocuspocusPeer({
                  count: 1,
                  tokens: tokensOf.hocuspocus as Tokens,
                  databaseUrl: dbUrl,
                  log: serverLog,
                }),
          ),
        retire,
      })
    : undefined;

  const ourVersion = (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  const output = {
    benchmark: 'sync',
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    database: database.kind,
    redis: redisRun ? 'redis' : null,
    machineBeforeLoad,
    settings: {
      ...settings,
      serverEnv: Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(SYNC_|DB_POOL_)/.test(k))),
    },
    peers: {
      ours: peerInfo.ours ? { version: ourVersion, ...peerInfo.ours } : null,
      hocuspocus: peerInfo.hocuspocus ? { version: hocuspocusVersion(), ...peerInfo.hocuspocus } : null,
    },
    ...compare(results),
    ...(commentThreads && { commentThreads }),
    scaleCurve,
  };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
}

function hocuspocusVersion(): string {
  const url = new URL('../node_modules/@hocuspocus/server/package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);

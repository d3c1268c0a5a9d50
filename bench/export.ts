/**
 * `npm run bench:export`: the export pipeline against a real server process on 127.0.0.1 (real
 * PostgreSQL when DATABASE_URL is set and answers, else the embedded PGlite). Three measurements,
 * one JSON line each on stdout (progress on stderr), then a summary line:
 *   accept     time to 202 for POST /documents/:id/export under a fixed request rate (goal p95 < 10 ms)
 *   throughput exports per second of one worker process for a ~10-page (~5,000-word) document, per format
 *   saves      p50/p95/p99 of document saves (sync edits until SAVED, REST writes) on two identical
 *              servers, one whose external renderer answers and one whose renderer hangs forever
 *              with 50+ PDF exports pending, bursts interleaved; the ratio of the p95s (goal: no
 *              measurable difference)
 * Bounded: every phase has a fixed size or duration, every wait a deadline; stops by itself.
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL / DATABASE_URL  admin URL; a bench_<random> database is created and dropped
 *                                      (unset: the embedded PGlite, all roles in one process)
 *   BENCH_ACCEPT_S (10)                measured seconds of the accept phase
 *   BENCH_ACCEPT_RATE (200)            export requests per second in the accept phase
 *   BENCH_ACCEPT_CONNECTIONS (20)      connections in the accept phase
 *   BENCH_JOBS_PER_FORMAT (20)         exports of the long document per format
 *   BENCH_WORDS (5000)                 size of the long document
 *   BENCH_SAVE_PEERS (8)               sync clients saving at once (one document each)
 *   BENCH_SAVE_ROUNDS (6)              rounds of (burst without, burst with) the hang, order flipped each round
 *   BENCH_SAVES_PER_PEER (25)          edits per client per burst, each waited for until SAVED
 *   BENCH_REST_WRITES (100)            REST writes per burst (renames and document creations, 4 at a time)
 *   BENCH_PENDING_EXPORTS (60)         PDF exports queued against the hanging renderer
 * Server settings (EXPORT_WORKER_CONCURRENCY, EXPORT_RENDER_THREADS, DB_POOL_*...) pass through;
 * DB_POOL_ACQUIRE_TIMEOUT_MS is 1000 unless set (the 100 ms default can fail a boot on a busy machine),
 * EXPORT_POLL_INTERVAL_MS 100 (a worker process apart from the API only sees new jobs when it polls).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import type { ProseMirrorJson } from '../src/content/prosemirror-json.ts';
import { EXPORT_FORMATS } from '../src/export/ports.ts';
import { longDocument } from '../src/export/render/test-support/sample-documents.ts';
import { type FakeRenderer, startFakeRenderer } from '../test/support/fake-renderer.ts';
import { SyncPeer } from '../test/support/sync-peer.ts';
import { cpuMeter } from './support/cpu.ts';
import { type BenchDatabase, createBenchDatabase, redact } from './support/database.ts';
import { fixedRate, summarize } from './support/load.ts';
import { scrape, sum } from './support/prometheus.ts';
import { type ServerChild, startServer } from './support/server.ts';

const API = '/api/v1';
const ACCEPT_P95_GOAL_MS = 10;
const SERVER_READY_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 120_000;
const FORMAT_TIMEOUT_MS = 60_000;
const SAVE_TIMEOUT_MS = 10_000;
const REST_LANES = 4;

const num = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return n;
};

const settings = {
  acceptS: num('BENCH_ACCEPT_S', 10),
  acceptRate: num('BENCH_ACCEPT_RATE', 200),
  acceptConnections: num('BENCH_ACCEPT_CONNECTIONS', 20),
  jobsPerFormat: num('BENCH_JOBS_PER_FORMAT', 20),
  words: num('BENCH_WORDS', 5000),
  savePeers: num('BENCH_SAVE_PEERS', 8),
  saveRounds: num('BENCH_SAVE_ROUNDS', 6),
  savesPerPeer: num('BENCH_SAVES_PER_PEER', 25),
  restWrites: num('BENCH_REST_WRITES', 100),
  pendingExports: num('BENCH_PENDING_EXPORTS', 60),
};

const log = (msg: string) => process.stderr.write(`[bench:export] ${msg}\n`);
const emit = (line: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ bench: 'export', ...line })}\n`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The run's admin URL, when PostgreSQL is used. */
let adminUrl: string | undefined;
const databases: BenchDatabase[] = [];
const dataDirs: string[] = [];
const servers = new Set<ServerChild>();
const fakes: FakeRenderer[] = [];
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...servers].map((s) => s.stop(10_000).catch(() => undefined)));
    await Promise.all(fakes.map((f) => f.close().catch(() => undefined)));
    for (const db of databases) {
      await db.drop().catch((err: unknown) => log(`could not drop a database: ${String(err)}`));
    }
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}

/** A fresh store for one server: a bench_<random> PostgreSQL database, or a PGlite data directory. */
async function newStore(): Promise<{ db: BenchDatabase; dataDir: string }> {
  const db: BenchDatabase = adminUrl
    ? await createBenchDatabase(adminUrl)
    : { kind: 'pglite', reason: 'DATABASE_URL is not set', drop: async () => undefined };
  databases.push(db);
  const dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-bench-export-'));
  dataDirs.push(dataDir);
  return { db, dataDir };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

type Json = Record<string, unknown>;

async function api(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
}

async function must(base: string, method: string, path: string, token: string | undefined, body?: unknown) {
  const res = await api(base, method, path, token, body);
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** ProseMirror JSON → the Y.XmlFragment the editor keeps (elements per node, marks as text attributes). */
function toYNodes(nodes: ProseMirrorJson[]): Array<Y.XmlElement | Y.XmlText> {
  const out: Array<Y.XmlElement | Y.XmlText> = [];
  let run: Array<{ insert: string; attributes: Record<string, unknown> }> = [];
  const flush = () => {
    if (run.length === 0) return;
    // One delta: a text not yet in a document has no length to insert at.
    const text = new Y.XmlText();
    text.applyDelta(run);
    out.push(text);
    run = [];
  };
  for (const node of nodes) {
    if (node.type === 'text') {
      const attributes = Object.fromEntries((node.marks ?? []).map((m) => [m.type, m.attrs ?? {}]));
      run.push({ insert: node.text ?? '', attributes });
      continue;
    }
    flush();
    const el = new Y.XmlElement(node.type);
    for (const [k, v] of Object.entries(node.attrs ?? {})) el.setAttribute(k, v as string);
    el.insert(0, toYNodes(node.content ?? []));
    out.push(el);
  }
  flush();
  return out;
}

/** Writes `content` into the document through the sync socket, as an editor would, and waits for SAVED. */
async function writeDocument(base: string, token: string, documentId: string, content: ProseMirrorJson) {
  const peer = await SyncPeer.connect(base, documentId, token);
  try {
    await peer.untilSynced(SAVE_TIMEOUT_MS);
    // Yjs types are filled once they are part of a document, so build inside one transaction.
    peer.doc.transact(() => peer.doc.getXmlFragment('default').insert(0, toYNodes(content.content ?? [])));
    await peer.untilSaved(30_000);
  } finally {
    peer.close();
  }
}

type Fixture = { token: string; workspaceId: string; smallDoc: string; longDoc: string; saveDocs: string[] };

async function setUp(base: string, label: string): Promise<Fixture> {
  const signup = await must(base, 'POST', `${API}/auth/signup`, undefined, {
    email: `bench-export-${label}-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
    displayName: 'Export bench',
  });
  const token = signup.accessToken as string;
  // Enterprise: no monthly quota in the way of a benchmark.
  const ws = await must(base, 'POST', `${API}/workspaces`, token, { name: 'Export bench', plan: 'enterprise' });
  const workspaceId = ws.id as string;
  const create = async (title: string) =>
    (await must(base, 'POST', `${API}/workspaces/${workspaceId}/documents`, token, { title })).id as string;
  const smallDoc = await create('Small');
  await writeDocument(base, token, smallDoc, longDocument(200));
  const longDoc = await create('Ten pages');
  await writeDocument(base, token, longDoc, longDocument(settings.words));
  const saveDocs: string[] = [];
  for (let i = 0; i < settings.savePeers; i++) saveDocs.push(await create(`Saves ${i}`));
  return { token, workspaceId, smallDoc, longDoc, saveDocs };
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

/** Waits until no export is queued or running anywhere (the gauges read the database). */
async function drained(base: string) {
  await until(
    async () => {
      const m = await scrape(base);
      return sum(m, 'export_jobs_queued') + sum(m, 'export_jobs_running');
    },
    (n) => n === 0,
    'the export queue to drain',
    DRAIN_TIMEOUT_MS,
  );
}

type Store = Awaited<ReturnType<typeof newStore>>;

async function startBenchServer(store: Store, env: Record<string, string>): Promise<ServerChild> {
  const child = await startServer({
    env: {
      LOG_LEVEL: 'warn',
      DATA_DIR: store.dataDir,
      ACCESS_TOKEN_TTL_SECONDS: '3600',
      WEB_BUILD: 'never',
      // The production default (100 ms) fails the boot itself on a busy machine; override with the env.
      DB_POOL_ACQUIRE_TIMEOUT_MS: process.env.DB_POOL_ACQUIRE_TIMEOUT_MS || '1000',
      // A worker in another process than the API is not woken by a request, only by its poll.
      EXPORT_POLL_INTERVAL_MS: process.env.EXPORT_POLL_INTERVAL_MS || '100',
      ...(store.db.kind === 'postgres' && { DATABASE_URL: store.db.url }),
      ...env,
    },
    readyTimeoutMs: SERVER_READY_TIMEOUT_MS,
    onOutput: (text) => process.stderr.write(text.replace(/^(?=.)/gm, '[server] ')),
  });
  log(`server ${child.pid} (${env.ROLES ?? 'all roles'}) ready at ${child.url}`);
  servers.add(child);
  return child;
}

async function stopServer(child: ServerChild): Promise<void> {
  await child.stop(15_000);
  servers.delete(child);
}

/** (a) Time to 202 while export requests arrive at a fixed rate (and the worker renders them). */
async function acceptPhase(base: string, meter: ReturnType<typeof cpuMeter>, f: Fixture, topology: string) {
  log(`accept (${topology}): ${settings.acceptRate} export requests/s for ${settings.acceptS} s…`);
  const formats = [...EXPORT_FORMATS];
  let n = 0;
  const stopMeter = meter.start();
  const result = await fixedRate(
    base,
    {
      name: 'export.request',
      next: () => ({
        method: 'POST',
        path: `${API}/documents/${f.smallDoc}/export`,
        token: f.token,
        body: { format: formats[n++ % formats.length] },
      }),
    },
    { rate: settings.acceptRate, connections: settings.acceptConnections, durationS: settings.acceptS, stagger: 10 },
  );
  const cpu = stopMeter();
  const accepted = result.statusCounts['202'] ?? 0;
  emit({
    phase: 'accept',
    topology,
    targetRps: result.targetRps,
    rps: result.rps,
    connections: result.connections,
    responses: result.responses,
    accepted,
    non202: result.responses - accepted,
    statusCounts: result.statusCounts,
    errors: result.errors,
    latencyMs: result.latencyMs,
    // Where the machine's CPU went (other work on a shared machine shows up as otherCores).
    cpu,
    goalP95Ms: ACCEPT_P95_GOAL_MS,
    meetsGoal: result.latencyMs.p95 < ACCEPT_P95_GOAL_MS && accepted === result.responses,
  });
}

/** (b) One worker process, a queue of N exports of the long document per format: exports per second. */
/** `base` takes the requests; `workerBase` is the process whose worker renders (its /metrics has the attempts). */
async function throughputPhase(base: string, workerBase: string, f: Fixture) {
  for (const format of EXPORT_FORMATS) {
    log(`throughput: ${settings.jobsPerFormat} × ${format} of ${settings.words} words…`);
    const before = await scrape(workerBase);
    const started = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < settings.jobsPerFormat; i++) {
      ids.push((await must(base, 'POST', `${API}/documents/${f.longDoc}/export`, f.token, { format })).id as string);
    }
    const views = new Map<string, Json>();
    await until(
      async () => {
        for (const id of ids) {
          if (views.has(id)) continue;
          const v = (await api(base, 'GET', `${API}/exports/${id}`, f.token)).body;
          if (['succeeded', 'failed', 'dead'].includes(v.status as string)) views.set(id, v);
        }
        return views.size;
      },
      (done) => done === ids.length,
      `${format} exports to finish`,
      FORMAT_TIMEOUT_MS,
    );
    const wallS = (performance.now() - started) / 1000;
    const after = await scrape(workerBase);
    const done = [...views.values()];
    const succeeded = done.filter((v) => v.status === 'succeeded').length;
    const first = Math.min(...done.map((v) => Date.parse(v.createdAt as string)));
    const last = Math.max(...done.map((v) => Date.parse(v.finishedAt as string)));
    const attempts = (name: string) =>
      sum(after, name, { format, outcome: 'succeeded' }) - sum(before, name, { format, outcome: 'succeeded' });
    const count = attempts('export_attempt_duration_seconds_count');
    const seconds = attempts('export_attempt_duration_seconds_sum');
    const bytes =
      sum(after, 'export_render_output_bytes_total', { format }) -
      sum(before, 'export_render_output_bytes_total', { format });
    emit({
      phase: 'throughput',
      format,
      words: settings.words,
      jobs: ids.length,
      succeeded,
      ...(succeeded < ids.length && { firstError: done.find((v) => v.status !== 'succeeded')?.error }),
      exportsPerSecond: round(ids.length / ((last - first) / 1000)),
      wallSeconds: round(wallS),
      meanAttemptMs: count > 0 ? round((seconds / count) * 1000) : null,
      meanFileBytes: succeeded > 0 ? Math.round(bytes / succeeded) : null,
    });
  }
}

type Samples = { syncMs: number[]; restMs: number[]; syncSaves: number; restWrites: number; errors: string[] };

const emptySamples = (): Samples => ({ syncMs: [], restMs: [], syncSaves: 0, restWrites: 0, errors: [] });

/** A fixed-size burst of saves: sync edits (each until SAVED) on every peer, REST writes on 4 lanes. */
async function saveBurst(base: string, f: Fixture, label: string, into: Samples): Promise<void> {
  const sync = f.saveDocs.map(async (documentId) => {
    let peer: SyncPeer | undefined;
    try {
      peer = await SyncPeer.connect(base, documentId, f.token);
      await peer.untilSynced(SAVE_TIMEOUT_MS);
      for (let i = 0; i < settings.savesPerPeer; i++) {
        into.syncSaves++;
        const t0 = performance.now();
        peer.type(`${label} ${i}. `);
        await peer.untilSaved(SAVE_TIMEOUT_MS);
        into.syncMs.push(performance.now() - t0);
      }
    } catch (err) {
      into.errors.push(`sync: ${(err as Error).message}`);
    } finally {
      peer?.close();
    }
  });
  const rest = Array.from({ length: REST_LANES }, async (_, lane) => {
    for (let i = lane; i < settings.restWrites; i += REST_LANES) {
      into.restWrites++;
      const t0 = performance.now();
      try {
        const res =
          i % 2 === 0
            ? await api(base, 'PATCH', `${API}/documents/${f.saveDocs[i % f.saveDocs.length]}`, f.token, {
                title: `${label} ${i}`,
              })
            : await api(base, 'POST', `${API}/workspaces/${f.workspaceId}/documents`, f.token, {
                title: `${label} ${i}`,
              });
        if (res.status < 300) into.restMs.push(performance.now() - t0);
        else into.errors.push(`REST ${res.status}`);
      } catch (err) {
        into.errors.push(`REST: ${(err as Error).message}`);
      }
    }
  });
  await Promise.all([...sync, ...rest]);
}

const report = (s: Samples) => ({
  sync: { saves: s.syncSaves, acknowledged: s.syncMs.length, ...summarize(s.syncMs) },
  rest: { writes: s.restWrites, succeeded: s.restMs.length, ...summarize(s.restMs) },
  errors: s.errors.length,
  firstErrors: s.errors.slice(0, 5),
});

type Side = { base: string; f: Fixture };

/** Exports requested on the hung side, and which of them are still queued or running. */
class PendingExports {
  private readonly open = new Set<string>();

  /** Asks for the status of every export still open (the queue-depth gauge is cached for a second). */
  async count(side: Side): Promise<number> {
    for (const id of [...this.open]) {
      const v = (await api(side.base, 'GET', `${API}/exports/${id}`, side.f.token)).body;
      if (['succeeded', 'failed', 'dead'].includes(v.status as string)) this.open.delete(id);
    }
    return this.open.size;
  }

  /** Queues PDF exports until `settings.pendingExports` are open. */
  async topUp(side: Side): Promise<void> {
    for (let n = await this.count(side); n < settings.pendingExports; n++) {
      const job = await must(side.base, 'POST', `${API}/documents/${side.f.smallDoc}/export`, side.f.token, {
        format: 'pdf',
      });
      this.open.add(job.id as string);
    }
  }
}

/**
 * (c) Two identical servers, each with its own store and an external renderer: one renderer
 * answers, the other hangs with 50+ PDF exports pending against it. Bursts of saves alternate
 * between them round by round (the order flips each round), so load from elsewhere on the
 * machine falls on both sides alike.
 */
async function savesPhase(calm: Side, hung: Side, hungRenderer: FakeRenderer) {
  log('saves: warm-up bursts…');
  await saveBurst(calm.base, calm.f, 'warm-up', emptySamples());
  await saveBurst(hung.base, hung.f, 'warm-up', emptySamples());
  hungRenderer.setMode({ kind: 'hang' });
  const pending = new PendingExports();
  await pending.topUp(hung);
  await hungRenderer.until((r) => r.held >= 1, 20_000, 'a render call to hang');
  const without = emptySamples();
  const withHang = emptySamples();
  const pendingAtBurstEnd: number[] = [];
  const breakerStates: number[] = [];
  /** p95 of each burst's sync saves, per side: how much the rounds vary on their own. */
  const roundP95 = { without: [] as number[], withHang: [] as number[] };
  const p95Since = (samples: number[], from: number) => summarize(samples.slice(from)).p95;
  for (let round = 0; round < settings.saveRounds; round++) {
    log(`saves: round ${round + 1}/${settings.saveRounds}…`);
    const calmBurst = async () => {
      const from = without.syncMs.length;
      await saveBurst(calm.base, calm.f, `calm ${round}`, without);
      roundP95.without.push(p95Since(without.syncMs, from));
    };
    const hungBurst = async () => {
      await pending.topUp(hung);
      const from = withHang.syncMs.length;
      await saveBurst(hung.base, hung.f, `hung ${round}`, withHang);
      roundP95.withHang.push(p95Since(withHang.syncMs, from));
      pendingAtBurstEnd.push(await pending.count(hung));
      breakerStates.push(sum(await scrape(hung.base), 'export_renderer_breaker_state'));
    };
    if (round % 2 === 0) {
      await calmBurst();
      await hungBurst();
    } else {
      await hungBurst();
      await calmBurst();
    }
  }
  const a = report(without);
  const b = report(withHang);
  const ratio = (x: number, y: number) => (y > 0 ? round(x / y, 3) : null);
  emit({
    phase: 'saves',
    rounds: settings.saveRounds,
    peers: calm.f.saveDocs.length,
    savesPerPeerPerRound: settings.savesPerPeer,
    restWritesPerRound: settings.restWrites,
    withoutHang: a,
    withHang: {
      ...b,
      pendingExportsAtBurstEnd: pendingAtBurstEnd,
      breakerStateAtBurstEnd: breakerStates,
      rendererCalls: hungRenderer.calls,
    },
    p95Ratio: { sync: ratio(b.sync.p95, a.sync.p95), rest: ratio(b.rest.p95, a.rest.p95) },
    syncP95ByRound: roundP95,
  });
}

async function main(): Promise<void> {
  adminUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || undefined;
  const began = performance.now();
  const loadBefore = loadavg()[0];

  // (a) and (b): in-process PDFs (pdfkit in the worker threads), no external renderer.
  const store = await newStore();
  if (store.db.kind === 'postgres') log(`database ${store.db.name} at ${redact(adminUrl as string)}`);
  else log(`embedded PGlite: ${store.db.reason}`);
  const database = store.db;
  if (database.kind === 'postgres') {
    // The deployed shape: API pods and worker pods apart. First the API alone (jobs pile up),
    // then with one worker process rendering on the same machine.
    const apiServer = await startBenchServer(store, { ROLES: 'api,sync' });
    const f1 = await setUp(apiServer.url, 'a');
    const meter = cpuMeter(apiServer.pid, database.name);
    await acceptPhase(apiServer.url, meter, f1, 'api process, no worker running');
    // The backlog is not what (b) measures.
    await database.query('delete from export_jobs');
    const worker = await startBenchServer(store, { ROLES: 'worker' });
    await acceptPhase(apiServer.url, meter, f1, 'api process + 1 worker process rendering the requests');
    // The jobs still queued are not what (b) measures either; those running finish.
    await database.query(`delete from export_jobs where status = 'queued'`);
    await drained(worker.url);
    await throughputPhase(apiServer.url, worker.url, f1);
    await stopServer(worker);
    await stopServer(apiServer);
  } else {
    // PGlite belongs to one process: the all-in-one default.
    const allInOne = await startBenchServer(store, {});
    const f1 = await setUp(allInOne.url, 'a');
    await acceptPhase(
      allInOne.url,
      cpuMeter(allInOne.pid),
      f1,
      'all-in-one process (api, sync and worker rendering the requests)',
    );
    log('waiting for the worker to finish what was queued…');
    await drained(allInOne.url);
    await throughputPhase(allInOne.url, allInOne.url, f1);
    await stopServer(allInOne);
  }

  // (c): two all-in-one servers with PDFs through an external renderer (default breaker and
  // retries): one renderer answers, the other hangs.
  const answering = await startFakeRenderer({ kind: 'pdf' });
  const hanging = await startFakeRenderer({ kind: 'pdf' });
  fakes.push(answering, hanging);
  // Stop promptly at the end even with renders hung.
  const env = (url: string) => ({ EXPORT_EXTERNAL_RENDERER_URL: url, EXPORT_SHUTDOWN_GRACE_MS: '1000' });
  const calmServer = await startBenchServer(await newStore(), env(answering.url));
  const hungServer = await startBenchServer(await newStore(), env(hanging.url));
  const calm = { base: calmServer.url, f: await setUp(calmServer.url, 'calm') };
  const hung = { base: hungServer.url, f: await setUp(hungServer.url, 'hung') };
  await savesPhase(calm, hung, hanging);
  await stopServer(calmServer);
  await stopServer(hungServer);

  emit({
    phase: 'summary',
    database: database.kind,
    workerConcurrency: Number(process.env.EXPORT_WORKER_CONCURRENCY ?? 2),
    renderThreads: Number(process.env.EXPORT_RENDER_THREADS ?? 2),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    loadAverageBefore: round(loadBefore ?? 0),
    loadAverageAfter: round(loadavg()[0] ?? 0),
    seconds: round((performance.now() - began) / 1000, 1),
    date: new Date().toISOString(),
  });
}

main()
  .catch((err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());

/**
 * `npm run bench:export`: the export pipeline against a real server process on 127.0.0.1 (real
 * PostgreSQL when DATABASE_URL is set and answers, else the embedded PGlite). Three measurements,
 * one JSON line each on stdout (progress on stderr), then a summary line:
 *   accept     time to 202 for POST /documents/:id/export under a fixed request rate (goal p95 < 10 ms)
 *   throughput exports per second of one worker process for a ~10-page (~5,000-word) document, per format
 *   saves      p50/p95/p99 of document saves (sync edits until SAVED, REST writes) without and with
 *              an external renderer that hangs forever while 50+ PDF exports are pending; the ratio
 *              of the p95s (goal: no measurable difference)
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
 *   BENCH_SAVES_PER_PEER (100)         edits per client per burst, each waited for until SAVED
 *   BENCH_REST_WRITES (400)            REST writes per burst (renames and document creations, 4 at a time)
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
import { type BenchDatabase, createBenchDatabase, redact } from './support/database.ts';
import { fixedRate, type LatencySummary, summarize } from './support/load.ts';
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
  savesPerPeer: num('BENCH_SAVES_PER_PEER', 100),
  restWrites: num('BENCH_REST_WRITES', 400),
  pendingExports: num('BENCH_PENDING_EXPORTS', 60),
};

const log = (msg: string) => process.stderr.write(`[bench:export] ${msg}\n`);
const emit = (line: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ bench: 'export', ...line })}\n`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let database: BenchDatabase | undefined;
let dataDir: string | undefined;
const servers = new Set<ServerChild>();
let fake: FakeRenderer | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...servers].map((s) => s.stop(10_000).catch(() => undefined)));
    await fake?.close().catch(() => undefined);
    if (database?.kind === 'postgres') {
      await database.drop().catch((err: unknown) => log(`could not drop the database: ${String(err)}`));
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

async function startBenchServer(env: Record<string, string>): Promise<ServerChild> {
  const child = await startServer({
    env: {
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir as string,
      ACCESS_TOKEN_TTL_SECONDS: '3600',
      WEB_BUILD: 'never',
      // The production default (100 ms) fails the boot itself on a busy machine; override with the env.
      DB_POOL_ACQUIRE_TIMEOUT_MS: process.env.DB_POOL_ACQUIRE_TIMEOUT_MS || '1000',
      // A worker in another process than the API is not woken by a request, only by its poll.
      EXPORT_POLL_INTERVAL_MS: process.env.EXPORT_POLL_INTERVAL_MS || '100',
      ...(database?.kind === 'postgres' && { DATABASE_URL: database.url }),
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
async function acceptPhase(base: string, f: Fixture, topology: string) {
  log(`accept (${topology}): ${settings.acceptRate} export requests/s for ${settings.acceptS} s…`);
  const formats = [...EXPORT_FORMATS];
  let n = 0;
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

type Burst = {
  sync: LatencySummary & { saves: number; acknowledged: number };
  rest: LatencySummary & { writes: number; succeeded: number };
  errors: number;
  firstErrors: string[];
};

/** A fixed-size burst of saves: sync edits (each until SAVED) on every peer, REST writes on 4 lanes. */
async function saveBurst(base: string, f: Fixture, label: string): Promise<Burst> {
  const errors: string[] = [];
  const syncMs: number[] = [];
  const restMs: number[] = [];
  let restOk = 0;
  const sync = f.saveDocs.map(async (documentId) => {
    let peer: SyncPeer | undefined;
    try {
      peer = await SyncPeer.connect(base, documentId, f.token);
      await peer.untilSynced(SAVE_TIMEOUT_MS);
      for (let i = 0; i < settings.savesPerPeer; i++) {
        const t0 = performance.now();
        peer.type(`${label} ${i}. `);
        await peer.untilSaved(SAVE_TIMEOUT_MS);
        syncMs.push(performance.now() - t0);
      }
    } catch (err) {
      errors.push(`sync: ${(err as Error).message}`);
    } finally {
      peer?.close();
    }
  });
  const rest = Array.from({ length: REST_LANES }, async (_, lane) => {
    for (let i = lane; i < settings.restWrites; i += REST_LANES) {
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
        if (res.status < 300) {
          restOk++;
          restMs.push(performance.now() - t0);
        } else errors.push(`REST ${res.status}`);
      } catch (err) {
        errors.push(`REST: ${(err as Error).message}`);
      }
    }
  });
  await Promise.all([...sync, ...rest]);
  return {
    sync: { saves: f.saveDocs.length * settings.savesPerPeer, acknowledged: syncMs.length, ...summarize(syncMs) },
    rest: { writes: settings.restWrites, succeeded: restOk, ...summarize(restMs) },
    errors: errors.length,
    firstErrors: errors.slice(0, 5),
  };
}

/** (c) Saves without and with a hanging external renderer holding 50+ pending PDF exports. */
async function savesPhase(base: string, f: Fixture, renderer: FakeRenderer) {
  log('saves: warm-up burst…');
  await saveBurst(base, f, 'warm-up');
  log('saves: burst without pending exports…');
  const calm = await saveBurst(base, f, 'calm');

  renderer.setMode({ kind: 'hang' });
  const ids: string[] = [];
  for (let i = 0; i < settings.pendingExports; i++) {
    ids.push(
      (await must(base, 'POST', `${API}/documents/${f.smallDoc}/export`, f.token, { format: 'pdf' })).id as string,
    );
  }
  await renderer.until((r) => r.held >= 1, 20_000, 'a render call to hang');
  log(`saves: burst with ${settings.pendingExports} PDF exports pending on a hung renderer…`);
  const hung = await saveBurst(base, f, 'hung');
  const m = await scrape(base);
  const pendingAfter = sum(m, 'export_jobs_queued') + sum(m, 'export_jobs_running');
  const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 3) : null);
  emit({
    phase: 'saves',
    peers: f.saveDocs.length,
    savesPerPeer: settings.savesPerPeer,
    restWrites: settings.restWrites,
    withoutHang: calm,
    withHang: { ...hung, pendingExportsAfterBurst: pendingAfter, rendererCallsHeld: renderer.held },
    p95Ratio: { sync: ratio(hung.sync.p95, calm.sync.p95), rest: ratio(hung.rest.p95, calm.rest.p95) },
    breakerState: sum(m, 'export_renderer_breaker_state'),
  });
}

async function main(): Promise<void> {
  const adminUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL;
  database = adminUrl
    ? await createBenchDatabase(adminUrl)
    : { kind: 'pglite', reason: 'DATABASE_URL is not set', drop: async () => undefined };
  if (database.kind === 'postgres') log(`database ${database.name} created at ${redact(adminUrl as string)}`);
  else log(`embedded PGlite: ${database.reason}`);
  dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-bench-export-'));
  const began = performance.now();
  const loadBefore = loadavg()[0];

  // (a) and (b): in-process PDFs (pdfkit in the worker threads), no external renderer.
  if (database.kind === 'postgres') {
    // The deployed shape: API pods and worker pods apart. First the API alone (jobs pile up),
    // then with one worker process rendering on the same machine.
    const apiServer = await startBenchServer({ ROLES: 'api,sync' });
    const f1 = await setUp(apiServer.url, 'a');
    await acceptPhase(apiServer.url, f1, 'api process, no worker running');
    // The backlog is not what (b) measures.
    await database.query('delete from export_jobs');
    const worker = await startBenchServer({ ROLES: 'worker' });
    await acceptPhase(apiServer.url, f1, 'api process + 1 worker process rendering the requests');
    // The jobs still queued are not what (b) measures either; those running finish.
    await database.query(`delete from export_jobs where status = 'queued'`);
    await drained(worker.url);
    await throughputPhase(apiServer.url, worker.url, f1);
    await stopServer(worker);
    await stopServer(apiServer);
  } else {
    // PGlite belongs to one process: the all-in-one default.
    const allInOne = await startBenchServer({});
    const f1 = await setUp(allInOne.url, 'a');
    await acceptPhase(allInOne.url, f1, 'all-in-one process (api, sync and worker rendering the requests)');
    log('waiting for the worker to finish what was queued…');
    await drained(allInOne.url);
    await throughputPhase(allInOne.url, allInOne.url, f1);
    await stopServer(allInOne);
  }

  // (c): PDFs through an external renderer that will hang; default breaker and retry settings.
  fake = await startFakeRenderer({ kind: 'pdf' });
  const hungServer = await startBenchServer({
    EXPORT_EXTERNAL_RENDERER_URL: fake.url,
    // Stop promptly at the end even with renders hung.
    EXPORT_SHUTDOWN_GRACE_MS: '1000',
  });
  const f2 = await setUp(hungServer.url, 'c');
  await savesPhase(hungServer.url, f2, fake);
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

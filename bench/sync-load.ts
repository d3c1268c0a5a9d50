/**
 * `npm run bench:sync-load`: what a document with a long update log costs to open ([S4]). Seeds one
 * document whose log holds 100,000 rows (one Y.Doc typing a TipTap-shaped document character by
 * character, every keystroke's update one row) in a throw-away PostgreSQL database, then times:
 * SqlUpdateLog.load, RoomRegistry.acquire end to end, the peer approach (Y.mergeUpdates over the
 * same rows), compaction, and the load of the compacted document. Prints one JSON object on
 * stdout; progress on stderr.
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL / DATABASE_URL  admin URL (postgres://postgres:postgres@127.0.0.1:5432/postgres);
 *                                      a bench_<random> database is created and dropped
 *   BENCH_LOAD_ROWS (100000)           log rows (keystrokes)
 *   BENCH_LOAD_RUNS (5)                timed runs of each read-only measurement (the median is reported)
 *   BENCH_LOAD_PEER_RUNS (1)           runs of Y.mergeUpdates (minutes at 100,000 rows: it is superlinear)
 */

import { randomUUID } from 'node:crypto';
import pino from 'pino';
import * as Y from 'yjs';
import { MemoryBus } from '../src/adapters/bus/memory-bus.ts';
import { MemorySeats } from '../src/adapters/seats/memory-seats.ts';
import { type Database, openDatabase } from '../src/adapters/sql/database.ts';
import { migrateToLatest } from '../src/adapters/sql/migrator.ts';
import { SqlUpdateLog } from '../src/adapters/sql/update-log.ts';
import { loadConfig } from '../src/config/config.ts';
import { projectDocument } from '../src/content/projection.ts';
import { Metrics } from '../src/observability/metrics.ts';
import { DEFAULT_CRDT_LIMITS } from '../src/sync/limits.ts';
import type { CompactedDocument, RoomObserver, StoredDocument } from '../src/sync/ports.ts';
import { RoomRegistry } from '../src/sync/rooms.ts';
import { type BenchDatabase, createBenchDatabase, redact } from './support/database.ts';
import { seededRandom } from './support/random.ts';

const DEFAULT_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
/** Rows per INSERT while seeding (PostgreSQL allows 65,535 parameters per statement). */
const INSERT_CHUNK = 5_000;
/** A paragraph break every this many characters, on average. */
const PARAGRAPH_CHARS = 400;
const SEED = 42;

const num = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive integer`);
  return n;
};
const settings = {
  rows: num('BENCH_LOAD_ROWS', 100_000),
  runs: num('BENCH_LOAD_RUNS', 5),
  peerRuns: num('BENCH_LOAD_PEER_RUNS', 1),
};
const log = (msg: string) => process.stderr.write(`[bench:sync-load] ${msg}\n`);

const round = (ms: number) => Math.round(ms * 10) / 10;
/** a / b to two decimals. */
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
/** Runs `fn` `runs` times; returns the median and every sample, in ms. */
async function timed(runs: number, fn: () => Promise<unknown> | unknown) {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return { medianMs: round(median(samples)), samplesMs: samples.map(round) };
}

/**
 * Realistic typing: one editor, a TipTap-shaped document (paragraphs of Y.XmlText in the `default`
 * fragment), words from a small vocabulary, the occasional paragraph break and backspace. Every
 * keystroke is one transaction, so one update, so one row.
 */
function typeDocument(keystrokes: number): Uint8Array[] {
  const random = seededRandom(SEED);
  const words = 'the of and to in is that for it as with was on be by this are from or have at an not but'.split(' ');
  const doc = new Y.Doc();
  doc.clientID = 1;
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  const fragment = doc.getXmlFragment('default');
  let text: Y.XmlText | undefined;
  let pending = '';
  while (updates.length < keystrokes) {
    if (!text || random.int(PARAGRAPH_CHARS) === 0) {
      const paragraph = new Y.XmlElement('paragraph');
      const t = new Y.XmlText();
      doc.transact(() => {
        paragraph.insert(0, [t]);
        fragment.insert(fragment.length, [paragraph]);
      });
      text = t;
      continue;
    }
    if (text.length > 0 && random.int(20) === 0) {
      text.delete(text.length - 1, 1);
      continue;
    }
    if (pending === '') pending = `${random.pick(words)} `;
    text.insert(text.length, pending[0]!);
    pending = pending.slice(1);
  }
  doc.destroy();
  return updates.slice(0, keystrokes);
}

/** What RoomRegistry's compaction does with what it reads: merge into a fresh doc, project it. */
function merge(stored: StoredDocument): CompactedDocument {
  const doc = new Y.Doc({ gc: true });
  try {
    Y.transact(doc, () => {
      if (stored.state) Y.applyUpdate(doc, stored.state);
      for (const u of stored.updates) Y.applyUpdate(doc, u);
    });
    return { state: Y.encodeStateAsUpdate(doc), ...projectDocument(doc) };
  } finally {
    doc.destroy();
  }
}

const quietObserver: RoomObserver = {
  sent: () => undefined,
  received: () => undefined,
  propagated: () => undefined,
  persisted: () => undefined,
  persistFailed: () => undefined,
  presenceDropped: () => undefined,
  presenceStamped: () => undefined,
  tooSlow: () => undefined,
};

/** A registry as main.ts builds it, with a threshold high enough that loading never compacts. */
function registry(syncLog: SqlUpdateLog): RoomRegistry {
  return new RoomRegistry(
    {
      persistBatchMs: 5,
      sendBufferSoftBytes: 1 << 20,
      sendBufferHardBytes: 16 << 20,
      fullPresenceMax: 50,
      viewOnlyAbove: 500,
      maxAwarenessBytes: 4_096,
      broadcastBatchAbove: 100,
      broadcastTickMs: 20,
      presenceTickMs: 500,
      presenceSampleSize: 50,
      viewerPresence: false,
      crdt: DEFAULT_CRDT_LIMITS,
      roomGraceMs: 60_000,
      compactThreshold: Number.MAX_SAFE_INTEGER,
      compactIdleMs: 0,
    },
    {
      log: syncLog,
      bus: new MemoryBus(),
      seats: new MemorySeats({ ttlMs: 15_000 }),
      observer: quietObserver,
      logger: pino({ level: 'silent' }),
      documentAccess: async () => 'owner',
      project: projectDocument,
    },
  );
}

/** Opens the document in a fresh registry (cold: nothing cached) and closes it again. */
async function acquireOnce(syncLog: SqlUpdateLog, documentId: string, expectText: string): Promise<void> {
  const rooms = registry(syncLog);
  const room = await rooms.acquire(documentId);
  if (!room) throw new Error('document not found');
  if (room.doc.getXmlFragment('default').length === 0 && expectText !== '') throw new Error('room loaded empty');
  await rooms.close();
}

async function seed(database: Database, updates: Uint8Array[]): Promise<string> {
  const db = database.pool('api');
  const userId = randomUUID();
  const workspaceId = randomUUID();
  const documentId = randomUUID();
  await db
    .insertInto('users')
    .values({
      id: userId,
      email: `${userId}@bench.test`,
      display_name: 'bench',
      password_hash: null,
      external_subject: null,
    })
    .execute();
  await db
    .insertInto('workspaces')
    .values({ id: workspaceId, name: 'bench', created_by: userId, rate_limit_per_second: null })
    .execute();
  await db
    .insertInto('documents')
    .values({ id: documentId, workspace_id: workspaceId, title: 'typed', created_by: userId })
    .execute();
  for (let i = 0; i < updates.length; i += INSERT_CHUNK) {
    await db
      .insertInto('document_updates')
      .values(updates.slice(i, i + INSERT_CHUNK).map((update) => ({ document_id: documentId, update })))
      .execute();
  }
  return documentId;
}

let bench: BenchDatabase | undefined;
let database: Database | undefined;
let metrics: Metrics | undefined;

async function main(): Promise<void> {
  const adminUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  bench = await createBenchDatabase(adminUrl);
  if (bench.kind !== 'postgres') throw new Error(`this benchmark needs PostgreSQL: ${bench.reason}`);
  log(`database ${bench.name} created at ${redact(adminUrl)}`);
  metrics = new Metrics();
  database = await openDatabase(loadConfig({ DATABASE_URL: bench.url, DB_POOL_ACQUIRE_TIMEOUT_MS: '10000' }), {
    metrics,
    logError: (err) => log(`database error: ${err.message}`),
  });
  await migrateToLatest(database.admin);

  log(`typing ${settings.rows} keystrokes`);
  let started = performance.now();
  const updates = typeDocument(settings.rows);
  const typingMs = performance.now() - started;
  const logBytes = updates.reduce((n, u) => n + u.byteLength, 0);
  started = performance.now();
  const documentId = await seed(database, updates);
  const seedMs = performance.now() - started;
  log(`seeded ${updates.length} rows (${logBytes} bytes) in ${Math.round(seedMs)} ms`);

  const syncLog = new SqlUpdateLog(database.pool('sync'));
  const expected = merge({ workspaceId: '', state: null, updates, seqs: [] }).text;

  log('SqlUpdateLog.load');
  const load = await timed(settings.runs, async () => {
    const stored = await syncLog.load(documentId);
    if (stored?.updates.length !== settings.rows) throw new Error(`loaded ${stored?.updates.length} rows`);
  });
  const stored = (await syncLog.load(documentId))!;

  log('applying the rows into a Y.Doc, as Room.applyStored does (in memory, no database)');
  const apply = await timed(settings.runs, () => {
    const doc = new Y.Doc({ gc: true });
    Y.transact(doc, () => {
      for (const u of stored.updates) Y.applyUpdate(doc, u, 'storage');
    });
    doc.destroy();
  });

  log(`peer approach: Y.mergeUpdates over the same rows (${settings.peerRuns} run(s): it grows faster than linearly)`);
  let merged: Uint8Array = new Uint8Array();
  const mergeUpdates = await timed(settings.peerRuns, () => {
    merged = Y.mergeUpdates(stored.updates);
  });
  const applyMerged = await timed(settings.runs, () => {
    const doc = new Y.Doc({ gc: true });
    Y.applyUpdate(doc, merged);
    doc.destroy();
  });

  log('RoomRegistry.acquire end to end (cold registry each run)');
  const acquire = await timed(settings.runs, () => acquireOnce(syncLog, documentId, expected));

  log('compaction (once: it is destructive)');
  let mergeMs = 0;
  started = performance.now();
  const rowsMerged = await syncLog.compact(documentId, (s) => {
    const t0 = performance.now();
    const result = merge(s);
    mergeMs = performance.now() - t0;
    if (result.text !== expected) throw new Error('compaction produced other text than the typing');
    return result;
  });
  const compactMs = performance.now() - started;
  if (rowsMerged !== settings.rows) throw new Error(`compaction merged ${rowsMerged} rows`);
  const after = (await syncLog.load(documentId))!;
  const stateBytes = after.state?.byteLength ?? 0;

  log('loading the compacted document');
  const loadCompacted = await timed(settings.runs, () => syncLog.load(documentId));
  const acquireCompacted = await timed(settings.runs, () => acquireOnce(syncLog, documentId, expected));

  const result = {
    benchmark: 'sync-load',
    database: { kind: 'postgres', url: redact(bench.url) },
    node: process.version,
    settings,
    document: {
      rows: settings.rows,
      logBytes,
      meanRowBytes: round(logBytes / settings.rows),
      characters: expected.length,
      paragraphs: (expected.match(/\n/g)?.length ?? 0) + 1,
      mergedUpdateBytes: merged.byteLength,
      compactedStateBytes: stateBytes,
    },
    seeding: { typingMs: round(typingMs), insertMs: round(seedMs) },
    log: {
      sqlLoad: load,
      applyRows: apply,
      acquire,
    },
    peer: {
      mergeUpdates,
      /** Applying the one merged update into a Y.Doc (what the peer then does to serve the document). */
      applyMerged,
      /** The peer's merge over our apply-every-row (>1: applying the rows is faster). */
      mergeOverApply: ratio(mergeUpdates.medianMs, apply.medianMs),
      mergeThenApplyOverApply: ratio(mergeUpdates.medianMs + applyMerged.medianMs, apply.medianMs),
    },
    compaction: { totalMs: round(compactMs), mergeAndProjectMs: round(mergeMs), rowsMerged },
    compacted: {
      sqlLoad: loadCompacted,
      acquire: acquireCompacted,
      acquireSpeedup: ratio(acquire.medianMs, acquireCompacted.medianMs),
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

async function cleanup(): Promise<void> {
  await database?.close().catch(() => undefined);
  metrics?.close();
  if (bench?.kind === 'postgres') {
    log(`dropping database ${bench.name}`);
    await bench.drop().catch((err: unknown) => log(`could not drop the database: ${String(err)}`));
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (err) {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}

/**
 * `npm run bench:history`: version history at the sizes the issue names, in-process through the
 * real HTTP routes (inject), use cases, CRDT worker pool and database (embedded PGlite, or a fresh
 * PostgreSQL database when BENCH_DATABASE_URL / DATABASE_URL is set):
 *   - storage: bytes per stored version (encoded Yjs state, and as the database stores it) for
 *     typed documents of several sizes, one typist and three with edits;
 *   - the history panel's first request (`GET …/versions?limit=50`) and paging through all of a
 *     document with BENCH_HISTORY_VERSIONS (1,000) versions (goal: < 300 ms);
 *   - a 10,000-word version read as HTML and compared with the one before (goal: < 500 ms).
 * Prints one JSON object on stdout; progress on stderr.
 *
 * Environment (all optional):
 *   BENCH_HISTORY_VERSIONS (1000)    versions of the listed document
 *   BENCH_HISTORY_WORDS (10000)      words of the compared document
 *   BENCH_HISTORY_ITERATIONS (30)    measured requests per operation (after 3 warm-ups)
 *   BENCH_DATABASE_URL / DATABASE_URL  PostgreSQL admin URL (a bench_history_* database is created and dropped)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import pino from 'pino';
import * as Y from 'yjs';
import { VersionStore } from '../src/app/version-store.ts';
import { loadConfig } from '../src/config/config.ts';
import { createApp } from '../src/main.ts';

const num = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return n;
};
const log = (msg: string) => process.stderr.write(`[bench:history] ${msg}\n`);
const versionsWanted = num('BENCH_HISTORY_VERSIONS', 1000);
const bigWords = num('BENCH_HISTORY_WORDS', 10_000);
const iterations = num('BENCH_HISTORY_ITERATIONS', 30);
const adminUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL;
const WARMUP = 3;
const WORDS = ['roadmap', 'quarterly', 'review', 'design', 'launch', 'budget', 'the', 'a', 'of', 'and', 'latency'];
const WORDS_PER_PARAGRAPH = 80;

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: round(pct(s, 50)), p95: round(pct(s, 95)), max: round(s.at(-1) ?? 0) };
};

/**
 * A document typed word by word (each word its own transaction, as keystrokes batch in the editor)
 * by `typists` clients taking turns per paragraph; `editShare` of the words are then deleted and
 * retyped elsewhere (what revising does to the CRDT's structure).
 */
function typedDocument(words: number, typists: number, editShare: number, seed = 1): Y.Doc[] {
  let r = seed;
  const rnd = () => {
    r = (r * 1_103_515_245 + 12_345) % 2 ** 31;
    return r / 2 ** 31;
  };
  const docs = Array.from({ length: typists }, () => new Y.Doc());
  const sync = () => {
    for (const a of docs)
      for (const b of docs) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  };
  const paragraphs = Math.ceil(words / WORDS_PER_PARAGRAPH);
  for (let p = 0; p < paragraphs; p++) {
    const doc = docs[p % typists]!;
    const fragment = doc.getXmlFragment('default');
    const para = new Y.XmlElement('paragraph');
    const text = new Y.XmlText();
    para.insert(0, [text]);
    fragment.insert(fragment.length, [para]);
    for (let w = 0; w < WORDS_PER_PARAGRAPH && p * WORDS_PER_PARAGRAPH + w < words; w++) {
      text.insert(text.length, `${w === 0 ? '' : ' '}${WORDS[Math.floor(rnd() * WORDS.length)]}`);
    }
    if (p % 10 === 9) sync();
  }
  sync();
  const edits = Math.floor(words * editShare);
  for (let e = 0; e < edits; e++) {
    const doc = docs[e % typists]!;
    const fragment = doc.getXmlFragment('default');
    const para = fragment.get(Math.floor(rnd() * fragment.length)) as Y.XmlElement;
    const text = para.get(0) as Y.XmlText;
    const at = Math.floor(rnd() * Math.max(1, text.length - 8));
    text.delete(at, Math.min(6, text.length - at));
    text.insert(Math.floor(rnd() * text.length), ' edited');
    if (e % 50 === 49) sync();
  }
  sync();
  return docs;
}

function charsOf(doc: Y.Doc): number {
  let n = 0;
  for (const p of doc.getXmlFragment('default').toArray()) n += (p as Y.XmlElement).get(0)?.toString().length ?? 0;
  return n;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-history-'));
  let dropDatabase: (() => Promise<void>) | undefined;
  let databaseUrl: string | undefined;
  if (adminUrl) {
    const name = `bench_history_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    SCRYPT_COST: '1024',
    DATA_DIR: dataDir,
    VERSION_IDLE_MS: '0',
    DB_POOL_ACQUIRE_TIMEOUT_MS: '10000',
    CRDT_WORKER_BUDGET_MS: '60000',
    ...(databaseUrl && { DATABASE_URL: databaseUrl }),
  });
  const app = await createApp(config, { logger: pino({ level: 'silent' }), inMemoryDatabase: !databaseUrl });
  await app.server.ready();
  const inject = async (method: 'GET' | 'POST', url: string, token?: string, body?: unknown) => {
    const res = await app.server.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body !== undefined && { payload: body as object }),
    });
    if (res.statusCode >= 400) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    return res;
  };
  const timed = async (label: string, run: () => Promise<unknown>) => {
    for (let i = 0; i < WARMUP; i++) await run();
    const ms: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      await run();
      ms.push(performance.now() - t0);
    }
    log(`${label}: ${JSON.stringify(stats(ms))}`);
    return stats(ms);
  };

  try {
    const session = (
      await inject('POST', '/api/v1/auth/signup', undefined, {
        email: 'bench@example.test',
        password: 'bench-password-1',
        displayName: 'Bench',
      })
    ).json();
    const token: string = session.accessToken;
    const userId: string = session.user.id;
    const workspaceId = (await inject('POST', '/api/v1/workspaces', token, { name: 'History' })).json().id as string;
    const newDocument = async (title: string) =>
      (await inject('POST', `/api/v1/workspaces/${workspaceId}/documents`, token, { title })).json().id as string;
    const db = app.database.pool('api');
    const store = new VersionStore(db, { free: null, business: null, enterprise: null });
    const setState = (id: string, state: Uint8Array) =>
      db.updateTable('documents').set({ state }).where('id', '=', id).execute();

    // --- storage per version
    log('storage per version');
    const storage: Record<string, unknown>[] = [];
    for (const [words, typists, editShare] of [
      [1_000, 1, 0],
      [1_000, 3, 0.1],
      [10_000, 1, 0],
      [10_000, 3, 0.1],
    ] as const) {
      const docs = typedDocument(words, typists, editShare);
      const state = Y.encodeStateAsUpdate(docs[0]!);
      const id = await newDocument(`storage ${words}`);
      await setState(id, state);
      const saved = (await inject('POST', `/api/v1/documents/${id}/versions`, token, { name: 'size' })).json();
      const row = await db
        .selectFrom('document_versions')
        .select((eb) => eb.fn<number>('pg_column_size', [eb.ref('state')]).as('stored'))
        .where('id', '=', saved.id)
        .executeTakeFirstOrThrow();
      const chars = charsOf(docs[0]!);
      storage.push({
        words,
        typists,
        editShare,
        chars,
        stateBytes: saved.sizeBytes,
        storedBytes: Number(row.stored),
        bytesPerChar: round(saved.sizeBytes / chars, 2),
        storedBytesPerChar: round(Number(row.stored) / chars, 2),
      });
      for (const d of docs) d.destroy();
    }
    log(JSON.stringify(storage));

    // --- the history list of a document with many versions
    log(`writing ${versionsWanted} versions`);
    const listed = await newDocument('many versions');
    const typist = new Y.Doc();
    const fragment = typist.getXmlFragment('default');
    const addMs: number[] = [];
    for (let v = 0; v < versionsWanted; v++) {
      const para = new Y.XmlElement('paragraph');
      const text = new Y.XmlText();
      text.insert(0, `Version ${v}: ${WORDS.join(' ')}`);
      para.insert(0, [text]);
      fragment.insert(fragment.length, [para]);
      const state = Y.encodeStateAsUpdate(typist);
      await db
        .insertInto('document_version_authors')
        .values({ document_id: listed, user_id: userId })
        .onConflict((oc) => oc.columns(['document_id', 'user_id']).doUpdateSet({ last_edit_at: new Date() }))
        .execute();
      const t0 = performance.now();
      await store.add(listed, { kind: v % 10 === 0 ? 'named' : 'auto', name: v % 10 === 0 ? `v${v}` : null, state });
      addMs.push(performance.now() - t0);
    }
    const firstPage = await timed('history panel: first page (limit=50)', () =>
      inject('GET', `/api/v1/documents/${listed}/versions?limit=50`, token),
    );
    const allPages = await timed(`history: every page of ${versionsWanted} (limit=100)`, async () => {
      let cursor: string | null = null;
      let n = 0;
      do {
        const q: string = cursor ? `&cursor=${cursor}` : '';
        const page = (await inject('GET', `/api/v1/documents/${listed}/versions?limit=100${q}`, token)).json();
        n += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      if (n !== versionsWanted) throw new Error(`paged ${n} versions, expected ${versionsWanted}`);
    });

    // --- a large version: read and compared with the one before
    log(`${bigWords}-word document: read and compare`);
    const big = await newDocument('big');
    const [writer, reviser] = typedDocument(bigWords, 2, 0);
    await setState(big, Y.encodeStateAsUpdate(writer!));
    await inject('POST', `/api/v1/documents/${big}/versions`, token, { name: 'before review' });
    // The reviser changes 5 % of the words: what a review between two versions looks like.
    const rf = reviser!.getXmlFragment('default');
    for (let i = 0; i < Math.floor(bigWords / 20); i++) {
      const text = (rf.get((i * 7) % rf.length) as Y.XmlElement).get(0) as Y.XmlText;
      text.delete((i * 13) % Math.max(1, text.length - 10), 5);
      text.insert((i * 17) % text.length, ' revised');
    }
    Y.applyUpdate(writer!, Y.encodeStateAsUpdate(reviser!));
    await setState(big, Y.encodeStateAsUpdate(writer!));
    const after = (await inject('POST', `/api/v1/documents/${big}/versions`, token, { name: 'after review' })).json();
    const compare = await timed(`compare ${bigWords} words`, () =>
      inject('GET', `/api/v1/documents/${big}/versions/${after.id}/changes`, token),
    );
    const html = await timed(`read ${bigWords} words as HTML`, () =>
      inject('GET', `/api/v1/documents/${big}/versions/${after.id}?format=html`, token),
    );
    const changes = (await inject('GET', `/api/v1/documents/${big}/versions/${after.id}/changes`, token)).json();

    const result = {
      bench: 'history',
      backend: databaseUrl ? 'postgres' : 'embedded',
      storage,
      list: {
        versions: versionsWanted,
        addVersionMs: stats(addMs),
        firstPageMs: firstPage,
        allPagesMs: allPages,
        goalMs: 300,
      },
      largeVersion: {
        words: bigWords,
        stateBytes: after.sizeBytes,
        added: changes.added,
        removed: changes.removed,
        compareMs: compare,
        readHtmlMs: html,
        goalMs: 500,
      },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await app.close();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

/// <reference lib="dom" />
/**
 * `npm run bench:web`: what the web app costs a person. Builds the production bundle when stale,
 * reports what index.html loads eagerly and what the editor loads lazily (gzip bytes, from
 * dist/web), then starts the real server, writes a 10,000-word document through the sync path
 * (a Y.Doc shaped as TipTap's 'default' XmlFragment) and measures, in headless Chromium, the time
 * from navigation to an editable document with all of its text present, cold (new browser
 * context: empty HTTP cache and IndexedDB) and warm (a reload in the same context). As the peer
 * in the same run: the same text as a plain HTML page (the content API's HTML rendering), so the
 * ratio says what the editor costs. One JSON object per line on stdout; progress on stderr.
 *
 * Environment (all optional):
 *   BENCH_WEB_RUNS (10)        navigations per measurement
 *   BENCH_WEB_WORDS (10000)    words in the document
 *   BENCH_WEB_IMAGES (50), BENCH_WEB_TABLES (20), BENCH_WEB_RICH_RUNS (5): the block-heavy
 *                              document (web-rich.ts), opened cold that many times
 *   CHROMIUM_PATH (/usr/bin/chromium)
 *   WEB_DIR (dist/web)         the built app to measure and serve
 *   WEB_BUILD (auto)           `never`: measure WEB_DIR as it is, without building it first
 *   BENCH_WEB_CPU_PROFILE      a directory: each cold open's main-thread CPU profile is written
 *                              there (cold-N.cpuprofile; `node bench/cpu-profile.ts` summarises it)
 *   BENCH_WEB_TRACE            a directory: each cold open's Chrome trace (cold-N.json, timeline
 *                              categories: tasks, layout, paint, frames; `node bench/web-trace.ts`
 *                              lists the main thread's tasks around the editable frame)
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';
import * as Y from 'yjs';
import { buildWebIfStale, DEFAULT_WEB_DIR } from '../src/web/web-build.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, type Session, signInWithSession } from '../test/support/browser.ts';
import { call } from '../test/support/server-process.ts';
import { SyncPeer } from '../test/support/sync-peer.ts';
import { startServer } from './support/server.ts';
import { measureRich, writeRichDocument } from './web-rich.ts';

const GOALS = { initialJsGzipBytes: 250 * 1024, editableMs: 1_000 };

const num = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive integer`);
  return n;
};
const RUNS = num('BENCH_WEB_RUNS', 10);
const WORDS = num('BENCH_WEB_WORDS', 10_000);
const WORDS_PER_PARAGRAPH = 100;
const RICH = {
  images: num('BENCH_WEB_IMAGES', 50),
  tables: num('BENCH_WEB_TABLES', 20),
  runs: num('BENCH_WEB_RICH_RUNS', 5),
};
const WEB_DIR = resolve(process.env.WEB_DIR || DEFAULT_WEB_DIR);
const CPU_PROFILE_DIR = process.env.BENCH_WEB_CPU_PROFILE ? resolve(process.env.BENCH_WEB_CPU_PROFILE) : undefined;
const TRACE_DIR = process.env.BENCH_WEB_TRACE ? resolve(process.env.BENCH_WEB_TRACE) : undefined;

const log = (msg: string) => process.stderr.write(`[bench:web] ${msg}\n`);
const emit = (obj: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(obj)}\n`);

// ---------------------------------------------------------------------------------------------
// Bundle

type Asset = { file: string; bytes: number; gzipBytes: number };

function asset(dir: string, file: string): Asset {
  const path = join(dir, file);
  const bytes = readFileSync(path);
  const gz = existsSync(`${path}.gz`) ? readFileSync(`${path}.gz`) : gzipSync(bytes, { level: 9 });
  return { file, bytes: bytes.length, gzipBytes: gz.length };
}

const sum = (assets: Asset[], key: 'bytes' | 'gzipBytes') => assets.reduce((n, a) => n + a[key], 0);

/** Eager = what index.html references (entry script, modulepreloads, stylesheets); the rest loads on demand. */
export function bundleReport(dir: string) {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="\/?(assets\/[^"]+)"/g)].map(
    (m) => m[1] as string,
  );
  const eager = new Set(refs);
  const files = readdirSync(join(dir, 'assets'))
    .filter((f) => /\.(js|css)$/.test(f))
    .map((f) => `assets/${f}`);
  const all = files.map((f) => asset(dir, f));
  const js = all.filter((a) => a.file.endsWith('.js'));
  const css = all.filter((a) => a.file.endsWith('.css'));
  const eagerJs = js.filter((a) => eager.has(a.file));
  const eagerCss = css.filter((a) => eager.has(a.file));
  const lazyJs = js.filter((a) => !eager.has(a.file));
  const lazyCss = css.filter((a) => !eager.has(a.file));
  return {
    metric: 'bundle',
    eagerJs: { gzipBytes: sum(eagerJs, 'gzipBytes'), bytes: sum(eagerJs, 'bytes'), files: eagerJs },
    eagerCss: { gzipBytes: sum(eagerCss, 'gzipBytes'), bytes: sum(eagerCss, 'bytes'), files: eagerCss },
    lazyJs: { gzipBytes: sum(lazyJs, 'gzipBytes'), bytes: sum(lazyJs, 'bytes'), files: lazyJs },
    lazyCss: { gzipBytes: sum(lazyCss, 'gzipBytes'), bytes: sum(lazyCss, 'bytes'), files: lazyCss },
    /** Every chunk of the build (every screen's); what opening a document runs is `editor_open_js`. */
    allJsGzipBytes: sum(js, 'gzipBytes'),
    goal: { initialJsGzipBytes: GOALS.initialJsGzipBytes },
    initialJsMeetsGoal: sum(eagerJs, 'gzipBytes') < GOALS.initialJsGzipBytes,
  };
}

// ---------------------------------------------------------------------------------------------
// The document

/** Deterministic prose: `words` words in paragraphs of WORDS_PER_PARAGRAPH. */
function paragraphs(words: number): string[] {
  const vocabulary =
    'the a of and to in collaborative document editor server sync update room cursor presence offline saved workspace share member search index snapshot latency browser network token compaction paragraph heading quote list bold italic link chunk bundle measure'.split(
      ' ',
    );
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % vocabulary.length;
  };
  const out: string[] = [];
  for (let left = words; left > 0; left -= WORDS_PER_PARAGRAPH) {
    const n = Math.min(WORDS_PER_PARAGRAPH, left);
    out.push(Array.from({ length: n }, () => vocabulary[next()]).join(' '));
  }
  return out;
}

/** Writes the paragraphs into the document through /sync, as TipTap would store them, and waits for SAVED. */
async function writeDocument(base: string, token: string, documentId: string, texts: string[]): Promise<void> {
  const peer = await SyncPeer.connect(base, documentId, token);
  await peer.untilSynced(30_000);
  const fragment = peer.doc.getXmlFragment('default');
  peer.doc.transact(() => {
    fragment.insert(
      0,
      texts.map((t) => {
        const p = new Y.XmlElement('paragraph');
        p.insert(0, [new Y.XmlText(t)]);
        return p;
      }),
    );
  });
  await peer.untilSaved(30_000);
  peer.close();
}

// ---------------------------------------------------------------------------------------------
// Measurements

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;

function summary(name: string, samples: number[], extra: Record<string, unknown> = {}) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    metric: name,
    runs: samples.length,
    p50Ms: Math.round(percentile(sorted, 50)),
    p95Ms: Math.round(percentile(sorted, 95)),
    minMs: Math.round(sorted[0] as number),
    maxMs: Math.round(sorted.at(-1) as number),
    samplesMs: samples.map((s) => Math.round(s)),
    ...extra,
  };
}

/**
 * Milliseconds from the navigation's start (performance.timeOrigin) to the first animation frame
 * in which the condition holds: the editor is editable and holds all `chars` characters.
 */
const EDITABLE_CONDITION = (chars: number) => {
  const el = document.querySelector('[data-testid="editor"][contenteditable="true"]');
  return el && (el.textContent ?? '').length >= chars ? performance.now() : false;
};
type Phases = Record<string, number>;
/**
 * Where the cold load's time went, from Resource and Navigation Timing and the app's own
 * `collab-docs:*` performance marks (ms since navigation start): each script chunk's arrival
 * (by name, hash stripped), then module evaluation, the on-device copy, the sync handshake, the
 * editor's construction and the moment it became editable.
 */
const PHASES = (): Record<string, number> => {
  const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  const out: Record<string, number> = {
    indexHtml: nav?.responseEnd ?? -1,
    domContentLoaded: nav?.domContentLoadedEventEnd ?? -1,
  };
  for (const r of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
    const m = /\/assets\/(.+)-[\w-]{8}\.(js|css)$/.exec(r.name);
    if (m) out[`${m[1]}.${m[2]}`] = r.responseEnd;
  }
  for (const m of performance.getEntriesByType('mark')) {
    if (m.name.startsWith('collab-docs:')) out[m.name.slice('collab-docs:'.length)] ??= m.startTime;
  }
  return out;
};

/** What a trace records: the main thread's tasks, scripts, style/layout/paint and frames, and user timing marks. */
const TRACE_CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'blink.user_timing',
  'v8.execute',
  'toplevel',
  'disabled-by-default-devtools.timeline.stack',
];

/** Same for the plain page; `chars` counts non-space characters (the HTML's whitespace differs). */
const PLAIN_CONDITION = (chars: number) =>
  document.body && (document.body.textContent ?? '').replace(/\s+/g, '').length >= chars ? performance.now() : false;

async function measureEditor(browser: Browser, base: string, session: Session, documentId: string, chars: number) {
  const cold: number[] = [];
  const warm: number[] = [];
  const coldPhases: Phases[] = [];
  /** The script files a cold open fetched (the last run's; every run fetches the same). */
  let scripts: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      // The profiling run's /livez page asks for a favicon the app never does (index.html has its own).
      if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) errors.push(m.text());
    });
    await signInWithSession(page, base, session);
    // Profiling: a same-origin page first, so the renderer the profiler attaches to is the one the
    // app runs in (a cross-site navigation would swap processes). Profiled times are not for the record.
    const cdp = CPU_PROFILE_DIR ? await context.newCDPSession(page) : undefined;
    if (cdp) {
      await page.goto(`${base}/livez`);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    /** With a trace: when each WebSocket frame reached the browser (not when the page got to it). */
    const frames: { ts: number; dir: 'in' | 'out'; bytes: number }[] = [];
    if (TRACE_DIR) {
      mkdirSync(TRACE_DIR, { recursive: true });
      const net = await context.newCDPSession(page);
      await net.send('Network.enable');
      const record = (dir: 'in' | 'out') => (e: { timestamp: number; response: { payloadData: string } }) =>
        frames.push({ ts: e.timestamp * 1e6, dir, bytes: e.response.payloadData.length });
      net.on('Network.webSocketFrameReceived', record('in'));
      net.on('Network.webSocketFrameSent', record('out'));
      await browser.startTracing(page, { path: join(TRACE_DIR, `cold-${i + 1}.json`), categories: TRACE_CATEGORIES });
    }
    await page.goto(`${base}/d/${documentId}`, { waitUntil: 'commit' });
    const c = await page.waitForFunction(EDITABLE_CONDITION, chars, { timeout: 60_000, polling: 'raf' });
    cold.push((await c.jsonValue()) as number);
    if (TRACE_DIR) {
      // A few more frames, so the trace shows what follows the editable one.
      await page.evaluate(() => new Promise((done) => setTimeout(done, 300)));
      await browser.stopTracing();
      writeFileSync(join(TRACE_DIR, `cold-${i + 1}.ws.json`), JSON.stringify(frames));
    }
    if (cdp && CPU_PROFILE_DIR) {
      const { profile } = await cdp.send('Profiler.stop');
      mkdirSync(CPU_PROFILE_DIR, { recursive: true });
      writeFileSync(join(CPU_PROFILE_DIR, `cold-${i + 1}.cpuprofile`), JSON.stringify(profile));
    }
    coldPhases.push(await page.evaluate(PHASES));
    scripts = await page.evaluate(() =>
      (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
        .map((r) => /\/(assets\/[^/]+\.js)$/.exec(r.name)?.[1])
        .filter((f): f is string => f !== undefined),
    );
    await page.reload({ waitUntil: 'commit' });
    const w = await page.waitForFunction(EDITABLE_CONDITION, chars, { timeout: 60_000, polling: 'raf' });
    warm.push((await w.jsonValue()) as number);
    await context.close();
    if (errors.length) throw new Error(`the editor page logged errors: ${errors.join('\n')}`);
    log(
      `editor run ${i + 1}/${RUNS}: cold ${Math.round(cold.at(-1) as number)} ms, warm ${Math.round(warm.at(-1) as number)} ms`,
    );
  }
  return { cold, warm, coldPhases, scripts };
}

async function measurePlain(browser: Browser, base: string, token: string, documentId: string, chars: number) {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${token}` } });
    const page = await context.newPage();
    await page.goto(`${base}/api/v1/documents/${documentId}/content?format=html`, { waitUntil: 'commit' });
    const h = await page.waitForFunction(PLAIN_CONDITION, chars, { timeout: 60_000, polling: 'raf' });
    samples.push((await h.jsonValue()) as number);
    await context.close();
  }
  return samples;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (process.env.WEB_BUILD === 'never') {
    log(`measuring ${WEB_DIR} as it is (WEB_BUILD=never)`);
  } else {
    const build = await buildWebIfStale(WEB_DIR, (_level, msg) => log(msg));
    log(build.built ? `built ${WEB_DIR} in ${Math.round(build.durationMs ?? 0)} ms` : `${WEB_DIR} is current`);
  }
  emit(bundleReport(WEB_DIR));

  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-bench-web-'));
  let serverOutput = '';
  const server = await startServer({
    env: {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      WEB_BUILD: 'never',
      WEB_DIR,
      SCRYPT_COST: '1024',
      // The rich document uploads its images as fast as it can.
      RATE_LIMIT_IMAGE_PER_MINUTE: '600000',
    },
    readyTimeoutMs: 60_000,
    onOutput: (t) => {
      serverOutput = (serverOutput + t).slice(-20_000);
    },
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  try {
    const signup = await call(server.url, 'POST', '/api/v1/auth/signup', {
      body: { email: 'bench-web@example.test', password: 'correct horse battery staple', displayName: 'Bench Reader' },
    });
    if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${JSON.stringify(signup.body)}`);
    const token = signup.body.accessToken as string;
    const ws = await call(server.url, 'POST', '/api/v1/workspaces', { token, body: { name: 'Bench' } });
    const doc = await call(server.url, 'POST', `/api/v1/workspaces/${ws.body.id}/documents`, {
      token,
      body: { title: `${WORDS} words` },
    });
    const documentId = doc.body.id as string;
    const texts = paragraphs(WORDS);
    const chars = texts.reduce((n, t) => n + t.length, 0);
    const started = performance.now();
    await writeDocument(server.url, token, documentId, texts);
    log(
      `wrote ${WORDS} words (${chars} characters, ${texts.length} paragraphs) in ${Math.round(performance.now() - started)} ms`,
    );
    const stored = await fetch(`${server.url}/api/v1/documents/${documentId}/content?format=text`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((r) => r.text());
    const storedWords = stored.split(/\s+/).filter(Boolean).length;
    if (storedWords !== WORDS) throw new Error(`the stored document has ${storedWords} words, expected ${WORDS}`);

    const session = signup.body as Session;
    // One unmeasured navigation so the server's room is loaded the way a second visitor finds it.
    await measureOnce(browser, server.url, session, documentId, chars);
    const { cold, warm, coldPhases, scripts } = await measureEditor(browser, server.url, session, documentId, chars);
    // What opening a document really runs (entry, editor and the chunks its first render asks for),
    // as opposed to every chunk in the build (allJsGzipBytes above: every screen's).
    const opened = scripts.map((f) => asset(WEB_DIR, f));
    emit({
      metric: 'editor_open_js',
      gzipBytes: sum(opened, 'gzipBytes'),
      bytes: sum(opened, 'bytes'),
      files: opened,
      goal: { gzipBytes: GOALS.initialJsGzipBytes },
      meetsGoal: sum(opened, 'gzipBytes') < GOALS.initialJsGzipBytes,
    });
    const plain = await measurePlain(browser, server.url, token, documentId, texts.join('').replace(/\s+/g, '').length);
    const phase = (k: string) => {
      const sorted = coldPhases.map((p) => p[k] ?? -1).sort((a, b) => a - b);
      return Math.round(percentile(sorted, 50));
    };
    const phaseNames = [...new Set(coldPhases.flatMap((p) => Object.keys(p)))];
    const phasesP50Ms = Object.fromEntries(phaseNames.map((k) => [k, phase(k)] as const).sort((a, b) => a[1] - b[1]));
    const coldSummary = summary('editable_cold', cold, {
      words: WORDS,
      goalMs: GOALS.editableMs,
      phasesP50Ms,
    });
    const warmSummary = summary('editable_warm', warm, { words: WORDS, goalMs: GOALS.editableMs });
    const plainSummary = summary('plain_html', plain, { words: WORDS });
    emit({ ...coldSummary, meetsGoal: coldSummary.p95Ms < GOALS.editableMs });
    emit({ ...warmSummary, meetsGoal: warmSummary.p95Ms < GOALS.editableMs });
    emit(plainSummary);
    emit({
      metric: 'editor_cost',
      coldOverPlainP50: Number((coldSummary.p50Ms / Math.max(1, plainSummary.p50Ms)).toFixed(2)),
      warmOverPlainP50: Number((warmSummary.p50Ms / Math.max(1, plainSummary.p50Ms)).toFixed(2)),
    });

    // The block-heavy document: images and tables.
    const rich = await call(server.url, 'POST', `/api/v1/workspaces/${ws.body.id}/documents`, {
      token,
      body: { title: `${RICH.images} images, ${RICH.tables} tables` },
    });
    const richId = rich.body.id as string;
    const written = await writeRichDocument(server.url, token, richId, RICH.images, RICH.tables);
    log(`wrote ${RICH.images} images (${written.imageBytes} bytes) and ${RICH.tables} tables`);
    await measureOnce(browser, server.url, session, richId, written.chars);
    const r = await measureRich(
      browser,
      server.url,
      session,
      richId,
      { ...written, images: RICH.images },
      RICH.runs,
      log,
    );
    const shape = { images: RICH.images, tables: RICH.tables, imageBytes: written.imageBytes };
    emit({ ...summary('rich_editable_cold', r.editable, shape), goalMs: GOALS.editableMs });
    emit(summary('rich_images_shown_cold', r.imagesShown, shape));
  } catch (err) {
    log(`server output (tail):\n${serverOutput}`);
    throw err;
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measureOnce(browser: Browser, base: string, session: Session, documentId: string, chars: number) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInWithSession(page, base, session);
  await page.goto(`${base}/d/${documentId}`);
  await page.waitForFunction(EDITABLE_CONDITION, chars, { timeout: 60_000, polling: 'raf' });
  await context.close();
}

await main();

/**
 * Builds the web app when its sources are newer than the last build, so `npm start` on a fresh
 * clone serves the product without a separate build step or dev server. The build writes a
 * stamp file last; a missing stamp (interrupted build) counts as stale. Vite's output goes into
 * the JSON log, never straight to the console.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger as ViteLogger } from 'vite';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const DEFAULT_WEB_DIR = join(PROJECT_ROOT, 'dist', 'web');
const STAMP = '.build-stamp';

/** Everything the browser bundle is made from (the sync client and protocol are shared with the server). */
const SOURCES = [
  'web',
  'src/client',
  'src/sync/protocol.ts',
  'src/sync/close-codes.ts',
  'vite.config.ts',
  'package-lock.json',
];

function newestMtimeMs(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  }
  return newest;
}

/** Why the build in `outDir` is stale, or undefined when it is current. */
export function staleReason(outDir: string, root = PROJECT_ROOT): string | undefined {
  const stamp = join(outDir, STAMP);
  if (!existsSync(join(outDir, 'index.html')) || !existsSync(stamp)) return 'no build';
  const builtAt = Number(readFileSync(stamp, 'utf8')) || 0;
  const newest = Math.max(...SOURCES.map((s) => newestMtimeMs(join(root, s))));
  return newest > builtAt ? 'sources changed since the last build' : undefined;
}

export type BuildResult = { built: boolean; reason?: string; durationMs?: number };
export type BuildLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;

/** Terminal colours Vite adds; log lines are JSON, not a terminal. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/**
 * Vite's console output routed into our log (JSON lines) instead of stdout: its progress lines
 * become debug, warnings and errors keep their level. Without `log` it prints nothing.
 */
function viteLogger(log: BuildLog | undefined): ViteLogger {
  const warned = new Set<string>();
  // Vite's reporter insists its callbacks return undefined (a `log` that returns what
  // stream.write returned, a boolean, fails the build).
  const send = (level: 'debug' | 'warn' | 'error') => (msg: string) => {
    log?.(level, msg.replace(ANSI, '').trim());
  };
  const logger: ViteLogger = {
    hasWarned: false,
    info: send('debug'),
    warn: (msg) => {
      logger.hasWarned = true;
      send('warn')(msg);
    },
    warnOnce: (msg) => {
      if (warned.has(msg)) return;
      warned.add(msg);
      logger.warn(msg);
    },
    error: send('error'),
    clearScreen: () => undefined,
    hasErrorLogged: () => false,
  };
  return logger;
}

/** Runs Vite's production build into `outDir` when stale. Vite is imported only when needed. */
export async function buildWebIfStale(outDir = DEFAULT_WEB_DIR, log?: BuildLog): Promise<BuildResult> {
  const reason = staleReason(outDir);
  if (!reason) return { built: false };
  log?.('info', `building the web app (${reason})`);
  const started = performance.now();
  const startedAtMs = Date.now();
  const { build } = await import('vite');
  await build({
    configFile: join(PROJECT_ROOT, 'vite.config.ts'),
    root: join(PROJECT_ROOT, 'web'),
    build: { outDir, emptyOutDir: true },
    logLevel: 'info',
    customLogger: viteLogger(log),
  });
  // Sources edited during the build make the next start rebuild.
  writeFileSync(join(outDir, STAMP), String(startedAtMs));
  return { built: true, reason, durationMs: Math.round(performance.now() - started) };
}

/**
 * The two peers as the workloads see them: one or more server processes on 127.0.0.1, the wire
 * format to speak, tokens per role, and how to read each process's memory.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { debuggerUrlIn } from '../support/profiler.ts';
import { startServer } from '../support/server.ts';
import type { Tokens } from './fixture.ts';
import { startHocuspocus } from './hocuspocus-process.ts';
import { connectHeapReader, type HeapReader } from './inspector.ts';
import { sleep } from './limit.ts';
import { LogTally, roomsLoaded, syncCounters } from './server-signals.ts';
import { hocuspocusWire, oursWire, type PeerName, type Wire } from './wire.ts';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
/** Longest wait for our rooms to unload after a workload (their grace period is 10 s by default). */
const QUIESCE_MAX_MS = 30_000;
const QUIESCE_POLL_MS = 500;
/** Hocuspocus unloads a document as its last connection leaves, storing it on the way out. */
const HOCUSPOCUS_UNLOAD_MS = 1_000;

export type Memory = { rssBytes: number; heapUsedBytes: number };
/** Both peers run with the inspector on, only to force a GC before memory is read. */
const NODE_ARGS = ['--inspect=127.0.0.1:0'];
const INSPECTOR_CHATTER =
  /^(Debugger (listening on|attached|ending on)|For help, see:|Waiting for the debugger).*\n?/gm;

export type Instance = {
  /** ws://127.0.0.1:port */
  base: string;
  http: string;
  /** What an orchestrator's liveness probe would ask (ours: /livez; Hocuspocus answers any GET). */
  liveness: string;
  pid: number;
  /** Server processes behind `base` (ours with SYNC_PROCESSES > 1: `pid` is their supervisor). */
  processes: number;
  memory(): Promise<Memory>;
};

export type Deployment = {
  peer: PeerName;
  wire: Wire;
  instances: Instance[];
  /** What this deployment does with an accepted update. */
  persistence: string;
  bus: string;
  /** Warnings and errors the server processes printed. */
  logs: LogTally;
  /** Our `sync_*` counters (empty for Hocuspocus, which exports none). */
  counters(): Promise<Map<string, number>>;
  /**
   * Waits until the rooms of the last workload are unloaded (so their compaction or final store
   * is billed to that workload, not the next); says how long it took and what was left.
   */
  quiesce(): Promise<{ waitedMs: number; roomsLoaded: number | null }>;
  stop(): Promise<void>;
};

/** Resident set of a process, from /proc (the figure `ps` and the kernel agree on). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const wsBase = (http: string) => http.replace(/^http/, 'ws');
/** Prefixes one child's output for stderr and feeds its complete lines to the log tally. */
function tag(name: string, log: (text: string) => void, logs: LogTally) {
  let partial = '';
  return (text: string) => {
    const rest = text.replace(INSPECTOR_CHATTER, '');
    if (!rest) return;
    const lines = (partial + rest).split('\n');
    partial = lines.pop() ?? '';
    if (lines.length) logs.add(lines.join('\n'));
    log(rest.replace(/^(?=.)/gm, `[${name}] `));
  };
}

/** Starts one child, catching its inspector URL from its output. */
async function withInspector<C extends { pid: number }>(
  start: (onOutput: (text: string) => void) => Promise<C>,
  onOutput: (text: string) => void,
): Promise<{ child: C; heap: HeapReader }> {
  let url: string | undefined;
  const child = await start((text) => {
    url ??= debuggerUrlIn(text);
    onOutput(text);
  });
  if (!url) throw new Error(`process ${child.pid} printed no inspector URL`);
  return { child, heap: await connectHeapReader(url) };
}

const memoryOf = (pid: number, heap: HeapReader) => async (): Promise<Memory> => {
  const heapUsedBytes = await heap.heapUsedAfterGc();
  return { rssBytes: rssBytes(pid), heapUsedBytes };
};

async function stopAll(
  children: { child: { stop(ms: number): Promise<number | string> }; heap: HeapReader }[],
  log: (m: string) => void,
) {
  for (const c of children) c.heap.close();
  const codes = await Promise.all(children.map((c) => c.child.stop(STOP_TIMEOUT_MS)));
  codes.forEach((code, i) => {
    if (code !== 0) log(`instance ${i} exited with ${code}`);
  });
}

/** Until the supervisor reports `processes` server processes listening (its /readyz answers once one does). */
async function untilProcessesListening(url: string, processes: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const text = await fetch(`${url}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    const m = /^supervisor_children\{[^}]*\} (\d+)/m.exec(text);
    if (m && Number(m[1]) === processes) return;
    if (Date.now() > deadline) throw new Error(`${processes} server processes not listening at ${url}`);
    await sleep(QUIESCE_POLL_MS);
  }
}

/**
 * Our server, `count` instances; with `redis` they share one Redis bus (and the database). With
 * `processes` > 1 each instance is a supervisor running that many processes on one port
 * (SYNC_PROCESSES; needs `redis`).
 */
export async function startOurs(opts: {
  count: number;
  processes?: number;
  env: Record<string, string>;
  /** Write a V8 CPU profile of each instance into this directory when it exits. */
  cpuProfileDir?: string;
  redis?: { url: string; prefix: string };
  log: (text: string) => void;
}): Promise<Deployment> {
  const children: { child: Awaited<ReturnType<typeof startServer>>; heap: HeapReader }[] = [];
  const logs = new LogTally();
  const processes = opts.processes ?? 1;
  if (processes > 1 && !opts.redis) throw new Error('SYNC_PROCESSES > 1 needs Redis');
  try {
    // One after the other: each applies migrations on start.
    for (let i = 0; i < opts.count; i++) {
      children.push(
        await withInspector(
          (onOutput) =>
            startServer({
              env: {
                ...opts.env,
                ...(opts.redis && { REDIS_URL: opts.redis.url, REDIS_PREFIX: opts.redis.prefix }),
                SYNC_PROCESSES: String(processes),
              },
              nodeArgs: [
                ...NODE_ARGS,
                ...(opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : []),
              ],
              readyTimeoutMs: READY_TIMEOUT_MS,
              onOutput,
            }),
          tag(opts.count > 1 ? `ours ${i}` : 'ours', opts.log, logs),
        ),
      );
      if (processes > 1) await untilProcessesListening((children[i] as (typeof children)[number]).child.url, processes);
    }
  } catch (err) {
    await stopAll(children, opts.log);
    throw err;
  }
  return {
    peer: 'ours',
    wire: oursWire,
    instances: children.map(({ child, heap }) => ({
      base: wsBase(child.url),
      http: child.url,
      liveness: `${child.url}/livez`,
      pid: child.pid,
      processes,
      memory: memoryOf(child.pid, heap),
    })),
    persistence: opts.env.DATABASE_URL ? 'every update appended to PostgreSQL (group commit)' : 'PGlite',
    bus: opts.redis ? (processes > 1 ? `redis (${processes} processes per instance)` : 'redis') : 'in-process',
    logs,
    counters: () => syncCounters(children.map((c) => c.child.url)),
    async quiesce() {
      const started = performance.now();
      const bases = children.map((c) => c.child.url);
      let rooms = await roomsLoaded(bases);
      while (rooms > 0 && performance.now() - started < QUIESCE_MAX_MS) {
        await sleep(QUIESCE_POLL_MS);
        rooms = await roomsLoaded(bases);
      }
      return { waitedMs: Math.round(performance.now() - started), roomsLoaded: rooms };
    },
    stop: () => stopAll(children, opts.log),
  };
}

/** Shared secrets the Hocuspocus peer accepts (it verifies no JWT). */
export function hocuspocusTokens(): Tokens {
  const editor = randomBytes(12).toString('hex');
  return { editor, member: editor, viewer: randomBytes(12).toString('hex') };
}

export async function startHocuspocusPeer(opts: {
  count: number;
  tokens: Tokens;
  databaseUrl?: string;
  redis?: { url: string; prefix: string };
  log: (text: string) => void;
}): Promise<Deployment> {
  const children: { child: Awaited<ReturnType<typeof startHocuspocus>>; heap: HeapReader }[] = [];
  const logs = new LogTally(/^hocuspocus peer listening/);
  const env: Record<string, string> = {
    PEER_EDITOR_TOKEN: opts.tokens.editor,
    PEER_VIEWER_TOKEN: opts.tokens.viewer,
    ...(opts.databaseUrl && { DATABASE_URL: opts.databaseUrl }),
    ...(opts.redis && { REDIS_URL: opts.redis.url, REDIS_PREFIX: opts.redis.prefix }),
  };
  try {
    for (let i = 0; i < opts.count; i++) {
      children.push(
        await withInspector(
          (onOutput) => startHocuspocus({ env, nodeArgs: NODE_ARGS, readyTimeoutMs: READY_TIMEOUT_MS, onOutput }),
          tag(opts.count > 1 ? `hocuspocus ${i}` : 'hocuspocus', opts.log, logs),
        ),
      );
    }
  } catch (err) {
    await stopAll(children, opts.log);
    throw err;
  }
  return {
    peer: 'hocuspocus',
    wire: hocuspocusWire,
    instances: children.map(({ child, heap }) => ({
      base: wsBase(child.url),
      http: child.url,
      liveness: `${child.url}/`,
      pid: child.pid,
      processes: 1,
      memory: memoryOf(child.pid, heap),
    })),
    persistence: opts.databaseUrl
      ? '@hocuspocus/extension-database into PostgreSQL: whole document state, debounced 2 s (max 10 s)'
      : 'in memory only',
    bus: opts.redis ? 'redis (@hocuspocus/extension-redis)' : 'in-process',
    logs,
    counters: async () => new Map(),
    async quiesce() {
      await sleep(HOCUSPOCUS_UNLOAD_MS);
      return { waitedMs: HOCUSPOCUS_UNLOAD_MS, roomsLoaded: null };
    },
    stop: () => stopAll(children, opts.log),
  };
}

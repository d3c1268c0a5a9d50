/** `bench:sync`'s settings, read from the environment (documented in bench/sync.ts). */
import { resolve } from 'node:path';
import { WORKLOADS, type Workload } from './report.ts';
import type { PeerName } from './wire.ts';

const num = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return n;
};
const numbers = (name: string, dflt: number[]): number[] => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  const out = raw.split(',').map((x) => Number(x.trim()));
  if (out.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`${name}=${raw}: expected positive integers`);
  return out;
};
const list = <T extends string>(name: string, all: readonly T[]): T[] => {
  const raw = process.env[name]
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!raw?.length) return [...all];
  const bad = raw.filter((r) => !all.includes(r as T));
  if (bad.length) throw new Error(`${name}: unknown ${bad.join(', ')} (expected ${all.join(', ')})`);
  return raw as T[];
};

/** Like num, but 0 is allowed (a knob that is off by default). */
const count = (name: string): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? 0 : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${raw}: expected a whole number`);
  return n;
};

/** A whole number of at least 0 with a default (0 turns the knob off). */
const whole = (name: string, dflt: number): number => (process.env[name] ? count(name) : dflt);

export const settings = {
  durationS: num('BENCH_SYNC_DURATION_S', 15),
  /**
   * Unrecorded typing (oneDocument's shape, its own document) against each peer before its first
   * workload: the load generator's and the server's JIT warm for both peers alike, not only for the
   * peer that runs second.
   */
  warmUpS: whole('BENCH_SYNC_WARMUP_S', 10),
  charsPerSecond: num('BENCH_SYNC_CHARS_PER_S', 5),
  oneDocument: {
    editors: num('BENCH_SYNC_EDITORS', 10),
    viewers: num('BENCH_SYNC_VIEWERS', 100),
    /** Open comment threads on its document before typing (ours only; issue 14). */
    commentThreads: count('BENCH_SYNC_COMMENT_THREADS'),
  },
  manyDocuments: { documents: num('BENCH_SYNC_SMALL_DOCS', 200), watchers: num('BENCH_SYNC_SMALL_WATCHERS', 2) },
  largeRoom: {
    sockets: num('BENCH_SYNC_ROOM_SOCKETS', 1000),
    editors: num('BENCH_SYNC_ROOM_EDITORS', 3),
    instrumented: num('BENCH_SYNC_ROOM_INSTRUMENTED', 50),
  },
  idleMemory: {
    sockets: num('BENCH_SYNC_IDLE_SOCKETS', 2000),
    documents: num('BENCH_SYNC_IDLE_DOCS', 100),
    holdS: num('BENCH_SYNC_IDLE_HOLD_S', 5),
  },
  twoInstances: { documents: num('BENCH_SYNC_CLUSTER_DOCS', 10), remote: num('BENCH_SYNC_CLUSTER_REMOTE', 3) },
  scaleCurve: {
    sockets: numbers('BENCH_SYNC_CURVE_SOCKETS', [1000, 3000, 6000, 10000]),
    typists: numbers('BENCH_SYNC_CURVE_TYPISTS', [3, 30]),
    instrumented: num('BENCH_SYNC_CURVE_INSTRUMENTED', 50),
    crowds: num('BENCH_SYNC_CURVE_CROWDS', 2),
    durationS: num('BENCH_SYNC_CURVE_DURATION_S', 10),
    processes: numbers('BENCH_SYNC_CURVE_PROCESSES', [1]),
  },
  /** Typists decode every frame they receive to count their own edits sent back (diagnosis; costs load-generator CPU). */
  countEchoes: count('BENCH_SYNC_COUNT_ECHOES') > 0,
  peers: list<PeerName>('BENCH_SYNC_PEERS', ['ours', 'hocuspocus']),
  only: list<Workload | 'scaleCurve'>('BENCH_SYNC_ONLY', [...WORKLOADS, 'scaleCurve']),
};
export const cpuProfileDir = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined;

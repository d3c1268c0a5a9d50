/**
 * Where the machine's CPU went during a phase: the server child, PostgreSQL, this load
 * generator, and everything else (other work on a shared machine shows up there, and says how
 * much to trust the run). Linux /proc only; elsewhere the split is null.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** USER_HZ; 100 on every mainstream Linux. */
const TICKS_PER_SECOND = 100;

type Snapshot = {
  at: number;
  machineTicks: number;
  softirqTicks: number;
  serverTicks: number;
  postgresTicks: Map<string, number>;
  benchMicros: number;
};
export type CpuSplit = {
  /** Length of the measured interval. */
  seconds: number;
  serverCores: number;
  postgresCores: number;
  benchCores: number;
  /** Kernel packet processing (loopback TCP between the load generator, server and PostgreSQL). */
  softirqCores: number;
  otherCores: number;
  machineCores: number;
};

function machineTicks(): { busy: number; softirq: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // user nice system idle iowait irq softirq steal ...
  const f = cpu.trim().split(/\s+/).slice(1).map(Number);
  const softirq = (f[5] ?? 0) + (f[6] ?? 0);
  return { busy: (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + softirq + (f[7] ?? 0), softirq };
}

/** utime + stime of a process, and its command name. */
function processStat(pid: number | string): { comm: string; ticks: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ticks: Number(f[11]) + Number(f[12]) };
}

/** utime + stime of a process and of its live child processes (a supervisor's server processes). */
function processTreeTicks(pid: number): number {
  let ticks = processStat(pid).ticks;
  for (const child of readdirSync('/proc')) {
    if (!/^\d+$/.test(child)) continue;
    try {
      const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // The process ended while we listed them.
    }
  }
  return ticks;
}

/** A client backend's title: `postgres: 15/main: user db 127.0.0.1(5432) idle`. */
const CLIENT_BACKEND = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/;

/**
 * CPU ticks per PostgreSQL process on this machine that works for the bench: backends connected
 * to `database` plus the shared background processes (WAL writer, checkpointer...). Backends of
 * other databases (someone else's tests on a shared machine) count as "other". A remote server
 * counts 0.
 */
function postgresTicks(database: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const s = processStat(pid);
      if (s.comm !== 'postgres') continue;
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const ours = !CLIENT_BACKEND.test(title) || (database !== undefined && title.includes(` ${database} `));
      if (ours) out.set(pid, s.ticks);
    } catch {
      // The process ended while we listed them.
    }
  }
  return out;
}

/** Ticks spent between two listings by processes alive at the end (backends that exited are lost). */
function ticksBetween(a: Map<string, number>, b: Map<string, number>): number {
  let ticks = 0;
  for (const [pid, t] of b) ticks += t - (a.get(pid) ?? 0);
  return ticks;
}

/**
 * `withChildren`: the server is a supervisor (SYNC_PROCESSES > 1) and its child processes are the
 * server too; otherwise only the process itself counts, as before.
 */
export function cpuMeter(serverPid: number, postgresDatabase?: string, opts: { withChildren?: boolean } = {}) {
  const supported = existsSync('/proc/stat') && existsSync(`/proc/${serverPid}/stat`);
  const snap = (): Snapshot | null => {
    if (!supported) return null;
    const u = process.cpuUsage();
    const m = machineTicks();
    return {
      at: performance.now(),
      machineTicks: m.busy,
      softirqTicks: m.softirq,
      serverTicks: opts.withChildren ? processTreeTicks(serverPid) : processStat(serverPid).ticks,
      postgresTicks: postgresTicks(postgresDatabase),
      benchMicros: u.user + u.system,
    };
  };
  return {
    /** Call at the start of a phase; the returned function gives the split since then. */
    start(): () => CpuSplit | null {
      const a = snap();
      return () => {
        const b = snap();
        if (!a || !b) return null;
        const seconds = (b.at - a.at) / 1000;
        const r = (n: number) => Math.round((n / seconds) * 100) / 100;
        const machine = (b.machineTicks - a.machineTicks) / TICKS_PER_SECOND;
        const server = (b.serverTicks - a.serverTicks) / TICKS_PER_SECOND;
        const postgres = ticksBetween(a.postgresTicks, b.postgresTicks) / TICKS_PER_SECOND;
        const bench = (b.benchMicros - a.benchMicros) / 1e6;
        const softirq = (b.softirqTicks - a.softirqTicks) / TICKS_PER_SECOND;
        return {
          seconds: Math.round(seconds * 100) / 100,
          serverCores: r(server),
          postgresCores: r(postgres),
          benchCores: r(bench),
          softirqCores: r(softirq),
          otherCores: r(Math.max(0, machine - server - postgres - bench - softirq)),
          machineCores: r(machine),
        };
      };
    },
  };
}

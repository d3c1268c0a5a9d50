/**
 * Runs the Debian `haproxy` binary in front of local test servers with a configuration derived
 * from deploy/haproxy/haproxy.cfg itself: the deployed file is copied verbatim except for a short,
 * explicit list of rewrites (addresses, ports, DNS discovery, the runtime socket path, maxconn),
 * each of which must match exactly once — so when the deploy file changes shape the test fails
 * instead of testing a configuration nobody ships.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './server-process.ts';

export const DEPLOY_HAPROXY_CFG = fileURLToPath(new URL('../../deploy/haproxy/haproxy.cfg', import.meta.url));
const START_TIMEOUT_MS = 10_000;
const POLL_MS = 50;
/** Enough for a test's sockets; the deploy value (200,000) needs a nofile limit CI machines lack. */
const TEST_MAXCONN = 4096;

/** The haproxy binary (Debian installs it in /usr/sbin, which is not on every user's PATH). */
export function haproxyBinary(): string | undefined {
  for (const candidate of ['haproxy', '/usr/sbin/haproxy']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  return undefined;
}

export type HaproxyTargets = {
  /** host:port of every sync instance, in order (named sync1, sync2, ...). */
  sync: string[];
  /** host:port of every API instance (api1, api2, ...). */
  api: string[];
  port: number;
  statsPort: number;
  socketPath: string;
};

/** Replaces the one line matching `pattern` (anchored on trimmed lines) in `section`; throws unless exactly one matched. */
type Rewrite = { section: RegExp; pattern: RegExp; replace: (line: string, indent: string) => string[] };

/**
 * The deploy configuration with only the rewrites a loopback test needs. Everything that decides
 * routing — `balance uri path-only`, `hash-type consistent`, `hash-balance-factor`, health
 * checks, retries and redispatch, timeouts — is kept as deployed.
 */
export function renderTestConfig(deployed: string, t: HaproxyTargets): string {
  const servers = (prefix: string, addresses: string[]) => (_line: string, indent: string) =>
    addresses.map((a, i) => `${indent}server ${prefix}${i + 1} ${a}`);
  const rewrites: Rewrite[] = [
    { section: /^global$/, pattern: /^maxconn \d+$/, replace: (_l, i) => [`${i}maxconn ${TEST_MAXCONN}`] },
    {
      section: /^global$/,
      pattern: /^stats socket \S+ /,
      replace: (_l, i) => [`${i}stats socket ${t.socketPath} mode 600 level admin`],
    },
    // Static servers instead of DNS discovery: drop init-addr/resolvers, keep the check timings.
    {
      section: /^defaults$/,
      pattern: /^default-server init-addr none resolvers cluster resolve-prefer ipv4 (check .*)$/,
      replace: (line, i) => [`${i}default-server ${/(check .*)$/.exec(line.trim())?.[1]}`],
    },
    { section: /^frontend fe_http$/, pattern: /^bind :80$/, replace: (_l, i) => [`${i}bind 127.0.0.1:${t.port}`] },
    {
      section: /^frontend fe_stats$/,
      pattern: /^bind :8404$/,
      replace: (_l, i) => [`${i}bind 127.0.0.1:${t.statsPort}`],
    },
    { section: /^backend be_api$/, pattern: /^server-template api \d+ /, replace: servers('api', t.api) },
    { section: /^backend be_sync$/, pattern: /^server-template sync \d+ /, replace: servers('sync', t.sync) },
  ];
  const hits = new Map<Rewrite, number>();
  const out: string[] = [];
  let section = '';
  let skipping = false;
  for (const line of deployed.split('\n')) {
    if (/^\S/.test(line) && !line.startsWith('#')) {
      section = line.trim();
      // DNS discovery is not used by the test; parse-resolv-conf would tie it to this machine's resolver.
      skipping = section.startsWith('resolvers ');
      if (skipping) {
        out.push(`# (${section} removed by test/support/haproxy.ts: static servers)`);
        continue;
      }
    }
    if (skipping) continue;
    const trimmed = line.trim();
    const rule = rewrites.find((r) => r.section.test(section) && r.pattern.test(trimmed));
    if (!rule) {
      out.push(line);
      continue;
    }
    hits.set(rule, (hits.get(rule) ?? 0) + 1);
    out.push(...rule.replace(line, /^\s*/.exec(line)?.[0] ?? ''));
  }
  for (const r of rewrites) {
    if (hits.get(r) !== 1)
      throw new Error(
        `deploy/haproxy/haproxy.cfg changed shape: ${r.pattern} in section ${r.section} matched ${hits.get(r) ?? 0} times (expected 1); update test/support/haproxy.ts`,
      );
  }
  return out.join('\n');
}

/** The directives of one section (trimmed, comments and blank lines dropped). */
export function sectionDirectives(config: string, header: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of config.split('\n')) {
    if (/^\S/.test(line) && !line.startsWith('#')) inside = line.trim() === header;
    else if (inside) {
      const d = line.trim();
      if (d && !d.startsWith('#')) out.push(d);
    }
  }
  return out;
}

export type ServerStat = { proxy: string; server: string; status: string; current: number; total: number };

export type Haproxy = {
  /** http://127.0.0.1:port of the public frontend. */
  url: string;
  output(): string;
  /** `show stat` through the runtime API: one row per server. */
  stats(): Promise<ServerStat[]>;
  /** A runtime API command (e.g. `set server be_sync/sync2 state drain`); its answer. */
  command(cmd: string): Promise<string>;
  stop(): Promise<void>;
};

export async function startHaproxy(t: { sync: string[]; api: string[] }): Promise<Haproxy> {
  const binary = haproxyBinary();
  if (!binary) throw new Error('haproxy is not installed (Debian: apt-get install haproxy; .ci/run installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'collab-docs-haproxy-'));
  const port = await freePort();
  const statsPort = await freePort();
  const socketPath = join(dir, 'admin.sock');
  const config = renderTestConfig(readFileSync(DEPLOY_HAPROXY_CFG, 'utf8'), { ...t, port, statsPort, socketPath });
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  try {
    execFileSync(binary, ['-c', '-q', '-f', file], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`haproxy rejected the derived configuration:\n${e.stdout ?? ''}${e.stderr ?? ''}\n${config}`);
  }
  let out = '';
  // -db: stay in the foreground, logs (`log stdout`) to our pipe.
  const child: ChildProcess = spawn(binary, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const command = (cmd: string) => runtimeCommand(socketPath, cmd);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited at start:\n${out}`);
    try {
      if ((await fetch(`http://127.0.0.1:${statsPort}/healthz`)).status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not start within ${START_TIMEOUT_MS} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    command,
    stats: async () => parseStat(await command('show stat')),
    stop,
  };
}

function runtimeCommand(socketPath: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let answer = '';
    s.on('connect', () => s.end(`${cmd}\n`));
    s.on('data', (d) => {
      answer += d.toString();
    });
    s.on('end', () => resolve(answer));
    s.on('error', reject);
  });
}

/** `show stat` CSV → server rows (frontend/backend summary rows dropped). */
function parseStat(csv: string): ServerStat[] {
  const lines = csv.split('\n').filter((l) => l.length > 0);
  const header = (lines[0] ?? '').replace(/^# /, '').split(',');
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`show stat: no ${name} column`);
    return i;
  };
  const [px, sv, status, scur, stot] = [col('pxname'), col('svname'), col('status'), col('scur'), col('stot')];
  return lines
    .slice(1)
    .map((l) => l.split(','))
    .filter((f) => f[sv] !== 'FRONTEND' && f[sv] !== 'BACKEND')
    .map((f) => ({
      proxy: f[px] ?? '',
      server: f[sv] ?? '',
      status: f[status] ?? '',
      current: Number(f[scur] ?? 0),
      total: Number(f[stot] ?? 0),
    }));
}

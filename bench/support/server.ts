/** Runs `collab-docs serve` as a child process on 127.0.0.1 for benchmarks, and stops it for sure. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GENEROUS_SYNC_LIMITS } from '../../test/support/generous-sync-limits.ts';
import { freePort } from '../../test/support/server-process.ts';

const BIN = fileURLToPath(new URL('../../bin/collab-docs.js', import.meta.url));
const READY_POLL_MS = 100;
/** Variables the bench decides itself; the rest of the environment (pool sizes, TTLs...) passes through. */
const OWNED_ENV = ['DATABASE_URL', 'REDIS_URL', 'REDIS_PREFIX', 'PORT', 'HOST', 'DATA_DIR', 'LOG_LEVEL', 'PUBLIC_URL'];

/**
 * Capacity benchmarks measure the server, not the tenant limits: one bench client is one workspace
 * and one address. bench/isolation.ts passes the real limits back in through `env`.
 */
export const UNLIMITED: Record<string, string> = {
  RATE_LIMIT_FREE_PER_SECOND: '100000',
  RATE_LIMIT_BUSINESS_PER_SECOND: '100000',
  RATE_LIMIT_ENTERPRISE_PER_SECOND: '100000',
  RATE_LIMIT_SEARCH_PER_MINUTE: '60000000',
  RATE_LIMIT_EXPORT_PER_MINUTE: '60000000',
  RATE_LIMIT_INVITE_PER_MINUTE: '60000000',
  RATE_LIMIT_LOGIN_PER_MINUTE: '60000000',
  ...GENEROUS_SYNC_LIMITS,
};

export type ServerChild = {
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL after `killAfterMs`; resolves with the exit code or signal. */
  stop(killAfterMs?: number): Promise<number | string>;
};

const running = new Set<ChildProcess>();
// Last resort if the bench dies without running its cleanup: never leave a server behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startServer(opts: {
  env: Record<string, string>;
  /** Extra Node flags for the server, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  readyTimeoutMs: number;
  /** Receives the server's own output (it must not reach our stdout, which carries the JSON result). */
  onOutput: (text: string) => void;
}): Promise<ServerChild> {
  const port = await freePort();
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of OWNED_ENV) delete env[name];
  const url = `http://127.0.0.1:${port}`;
  Object.assign(env, { HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, ...UNLIMITED, ...opts.env });
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, 'serve'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout?.on('data', (d: Buffer) => opts.onOutput(d.toString()));
  child.stderr?.on('data', (d: Buffer) => opts.onOutput(d.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  let exitedEarly: number | string | undefined;
  void exited.then((code) => {
    exitedEarly = code;
  });

  const stop = async (killAfterMs = 10_000): Promise<number | string> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  const deadline = Date.now() + opts.readyTimeoutMs;
  for (;;) {
    if (exitedEarly !== undefined) throw new Error(`server exited (${exitedEarly}) before it was ready`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop(1_000);
      throw new Error(`server not ready after ${opts.readyTimeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  return { url, pid: child.pid as number, stop };
}

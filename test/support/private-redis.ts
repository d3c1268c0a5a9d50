/**
 * A private redis-server on a free port that a test may kill and restart at will (the shared
 * Redis on 6379 is never touched). No persistence: a restart comes back empty, like a failover.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from './server-process.ts';

const run = promisify(execFile);
const START_TIMEOUT_MS = 10_000;
const START_POLL_MS = 25;

export function redisServerAvailable(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    execFileSync('redis-cli', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export type PrivateRedis = {
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
  /** SIGKILL: connections drop at once, nothing is flushed. */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  /** Runs one redis-cli command against it; stdout lines, empty ones dropped. */
  cli(...args: string[]): Promise<string[]>;
};

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const cli = async (...args: string[]): Promise<string[]> => {
    // Not a TTY, so redis-cli answers raw: one value a line, no quotes or numbering.
    const { stdout } = await run('redis-cli', ['-p', String(port), ...args]);
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
  };
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async kill() {
      if (!child || !redis.running) return;
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    async start() {
      if (redis.running) return;
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        try {
          await run('redis-cli', ['-p', String(port), 'ping']);
          return;
        } catch {
          if (Date.now() > deadline) throw new Error(`private redis-server on ${port} did not start`);
          await new Promise((r) => setTimeout(r, START_POLL_MS));
        }
      }
    },
    cli,
  };
  await redis.start();
  return redis;
}

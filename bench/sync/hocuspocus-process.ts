/** Runs the Hocuspocus peer (hocuspocus-peer.ts) as a child process on 127.0.0.1, and stops it for sure. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/server-process.ts';

const SCRIPT = fileURLToPath(new URL('./hocuspocus-peer.ts', import.meta.url));
const READY_POLL_MS = 100;

export type PeerChild = {
  url: string;
  pid: number;
  stop(killAfterMs?: number): Promise<number | string>;
};

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startHocuspocus(opts: {
  env: Record<string, string>;
  nodeArgs?: string[];
  readyTimeoutMs: number;
  onOutput: (text: string) => void;
}): Promise<PeerChild> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), SCRIPT], {
    env: { ...process.env, ...opts.env, PEER_PORT: String(port) },
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
  const stop = async (killAfterMs = 10_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + opts.readyTimeoutMs;
  for (;;) {
    if (exitedEarly !== undefined) throw new Error(`Hocuspocus exited (${exitedEarly}) before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop(1_000);
      throw new Error(`Hocuspocus not ready after ${opts.readyTimeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  return { url, pid: child.pid as number, stop };
}

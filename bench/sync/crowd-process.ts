/**
 * Starts crowds of passive sockets (crowd.ts) as child processes and drives them: open a share of
 * the sockets each, follow their progress, read their frame counts, close them. Used by the
 * typing workloads when a room holds thousands of raw viewers.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CrowdConfig, CrowdReply, CrowdRequest } from './crowd.ts';

const SCRIPT = fileURLToPath(new URL('./crowd.ts', import.meta.url));
const CLOSE_TIMEOUT_MS = 10_000;

type Tally = Extract<CrowdReply, { type: 'closed' }>['tally'];
export type FrameCounts = { frames: number; bytes: number; presenceFrames: number; presenceStates: number };

export class Crowds {
  private readonly children: ChildProcess[];
  private readonly opened: number[];
  private readonly waiters = new Set<() => void>();
  private failure: Error | undefined;

  private constructor(children: ChildProcess[]) {
    this.children = children;
    this.opened = children.map(() => 0);
    children.forEach((child, i) => {
      child.on('message', (m: CrowdReply) => {
        if (m.type === 'opened') this.opened[i] = m.total;
        else if (m.type === 'failed') this.failure = new Error(`crowd ${i}: ${m.message}`);
        for (const w of [...this.waiters]) w();
      });
      child.once('exit', (code) => {
        if (code !== 0 && code !== null) this.failure ??= new Error(`crowd ${i} exited with ${code}`);
        for (const w of [...this.waiters]) w();
      });
    });
  }

  /** `processes` children, each connecting to `config` (same document, peer and token). */
  static start(processes: number, config: CrowdConfig): Crowds {
    const children = Array.from({ length: processes }, () =>
      fork(SCRIPT, [], {
        env: { ...process.env, BENCH_CROWD: JSON.stringify(config) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    return new Crowds(children);
  }

  /** Sockets synced so far, over all children. */
  get total(): number {
    return this.opened.reduce((a, b) => a + b, 0);
  }

  /** Asks the children to open `count` more sockets between them (round-robin shares). */
  open(count: number): void {
    const n = this.children.length;
    this.children.forEach((child, i) => {
      const share = Math.floor(count / n) + (i < count % n ? 1 : 0);
      if (share > 0) child.send({ type: 'open', count: share } satisfies CrowdRequest);
    });
  }

  /** Resolves once `total` sockets are synced; rejects when a child fails. */
  until(total: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`crowds: ${this.total} of ${total} sockets after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const check = () => {
        if (this.failure) done(this.failure);
        else if (this.total >= total) done();
      };
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (err) reject(err);
        else resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  private ask<T extends CrowdReply['type']>(child: ChildProcess, request: CrowdRequest, reply: T) {
    return new Promise<Extract<CrowdReply, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`crowd did not answer ${request.type}`)), CLOSE_TIMEOUT_MS);
      const on = (m: CrowdReply) => {
        if (m.type !== reply) return;
        clearTimeout(timer);
        child.off('message', on);
        resolve(m as Extract<CrowdReply, { type: T }>);
      };
      child.on('message', on);
      child.send(request);
    });
  }

  /** Frames, bytes and presence received so far by every crowd socket. */
  async frames(): Promise<FrameCounts> {
    const counts = await Promise.all(this.children.map((c) => this.ask(c, { type: 'frames' }, 'frames')));
    const sum = (k: keyof FrameCounts) => counts.reduce((n, c) => n + c[k], 0);
    return {
      frames: sum('frames'),
      bytes: sum('bytes'),
      presenceFrames: sum('presenceFrames'),
      presenceStates: sum('presenceStates'),
    };
  }

  /** Closes every socket; returns the children's socket tallies merged. */
  async close(): Promise<Tally> {
    const tallies = await Promise.all(
      this.children.map((c) =>
        c.connected ? this.ask(c, { type: 'close' }, 'closed').then((r) => r.tally) : Promise.resolve(undefined),
      ),
    );
    const out: Tally = { unexpectedCloses: {}, errors: 0, denied: 0, retriedConnects: 0, examples: [] };
    for (const t of tallies) {
      if (!t) continue;
      for (const [code, n] of Object.entries(t.unexpectedCloses))
        out.unexpectedCloses[code] = (out.unexpectedCloses[code] ?? 0) + n;
      out.errors += t.errors;
      out.denied += t.denied;
      out.retriedConnects += t.retriedConnects;
      out.examples.push(...t.examples.slice(0, 5 - out.examples.length));
    }
    return out;
  }

  /** Last resort: no child outlives the bench. */
  kill(): void {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

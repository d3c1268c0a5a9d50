/**
 * A crowd of passive sockets in a child process of the load generator (started by crowd-process.ts,
 * never by hand). Thousands of raw viewers receiving every broadcast would otherwise share one
 * event loop with the instrumented clients and bill their own frame handling as propagation
 * latency; in a child of their own they only compete for the CPU, like real viewers on other
 * machines would not. Talks to its parent over IPC:
 *   parent → { type: 'open', count }   open `count` more sockets (in order, bounded concurrency)
 *   child  → { type: 'opened', total } after each socket synced (throttled to one per 10 ms)
 *   parent → { type: 'frames' }        child → { type: 'frames', frames, bytes, presenceFrames, presenceStates }
 *   parent → { type: 'close' }         child → { type: 'closed', tally }, then exits
 */
import { connect, RawClient, SocketTally, type Target } from './client.ts';
import { mapLimit } from './limit.ts';
import { hocuspocusWire, oursWire, type PeerName } from './wire.ts';

export type CrowdConfig = { peer: PeerName; base: string; documentId: string; token: string; concurrency: number };
export type CrowdRequest = { type: 'open'; count: number } | { type: 'frames' } | { type: 'close' };
export type CrowdReply =
  | { type: 'opened'; total: number }
  | { type: 'failed'; message: string }
  | { type: 'frames'; frames: number; bytes: number; presenceFrames: number; presenceStates: number }
  | { type: 'closed'; tally: ReturnType<SocketTally['toJSON']> };

const PROGRESS_EVERY_MS = 10;
const EXIT_AFTER_CLOSE_MS = 1_000;

const config = JSON.parse(process.env.BENCH_CROWD ?? 'null') as CrowdConfig | null;
if (!config || !process.send) throw new Error('bench/sync/crowd.ts runs only as a child of crowd-process.ts');
const send = (m: CrowdReply) => process.send?.(m);
const tally = new SocketTally();
const target: Target = { wire: config.peer === 'ours' ? oursWire : hocuspocusWire, base: config.base, tally };
const clients: RawClient[] = [];
let lastProgress = 0;

async function open(count: number): Promise<void> {
  await mapLimit(Array.from({ length: count }), config!.concurrency, async () => {
    clients.push(await connect(tally, () => new RawClient(target, config!.documentId, config!.token)));
    const now = performance.now();
    if (now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      send({ type: 'opened', total: clients.length });
    }
  });
  send({ type: 'opened', total: clients.length });
}

process.on('message', (m: CrowdRequest) => {
  if (m.type === 'open')
    open(m.count).catch((err: unknown) =>
      send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
    );
  else if (m.type === 'frames')
    send({
      type: 'frames',
      frames: clients.reduce((n, c) => n + c.frames, 0),
      bytes: clients.reduce((n, c) => n + c.bytes, 0),
      presenceFrames: clients.reduce((n, c) => n + c.presenceFrames, 0),
      presenceStates: clients.reduce((n, c) => n + c.presenceStates, 0),
    });
  else if (m.type === 'close') {
    for (const c of clients) c.close();
    send({ type: 'closed', tally: tally.toJSON() });
    // Close frames out; the server's answers are not waited for (a crowd leaving at once is the point).
    setTimeout(() => process.exit(0), EXIT_AFTER_CLOSE_MS);
  }
});

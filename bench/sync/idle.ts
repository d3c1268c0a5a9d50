/**
 * Idle memory: what a synced, silent socket costs the server (RSS and V8 heap, as deltas over
 * many sockets), what an idle crowd costs in CPU, and what is still held after they all left.
 */
import { cpuMeter } from '../support/cpu.ts';
import { connect, RawClient, SocketTally, type Target } from './client.ts';
import type { Deployment, Memory } from './deployments.ts';
import type { Tokens } from './fixture.ts';
import { mapLimit, sleep } from './limit.ts';
import { distribution } from './propagation.ts';
import { counterDelta } from './server-signals.ts';

const CONNECT_CONCURRENCY = 64;
/** Long enough for a room's load and the connect burst's garbage to settle before sampling. */
const SETTLE_MS = 3_000;
/** Memory (after a forced GC) is sampled this many times and the median kept. */
const SAMPLES = 3;
const SAMPLE_GAP_MS = 300;

/** Memory summed over the deployment's instances, median of a few samples. */
async function sampleMemory(dep: Deployment): Promise<Memory> {
  const taken: Memory[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const m = await Promise.all(dep.instances.map((inst) => inst.memory()));
    taken.push({
      rssBytes: m.reduce((n, x) => n + x.rssBytes, 0),
      heapUsedBytes: m.reduce((n, x) => n + x.heapUsedBytes, 0),
    });
    await sleep(SAMPLE_GAP_MS);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return {
    rssBytes: median(taken.map((m) => m.rssBytes)),
    heapUsedBytes: median(taken.map((m) => m.heapUsedBytes)),
  };
}

export async function runIdle(
  dep: Deployment,
  tokens: Tokens,
  opts: { sockets: number; documents: string[]; holdS: number; database?: string },
) {
  const tally = new SocketTally();
  const target: Target = { wire: dep.wire, base: (dep.instances[0] as { base: string }).base, tally };
  await sleep(SETTLE_MS);
  const before = await sampleMemory(dep);
  const logsBefore = dep.logs.snapshot();
  const countersBefore = await dep.counters();

  const started = performance.now();
  const connectMs: number[] = [];
  const clients = await mapLimit(Array.from({ length: opts.sockets }), CONNECT_CONCURRENCY, async (_, i) => {
    const t0 = performance.now();
    const documentId = opts.documents[i % opts.documents.length] as string;
    const c = await connect(tally, () => new RawClient(target, documentId, tokens.member));
    connectMs.push(performance.now() - t0);
    return c;
  });
  const connectSeconds = (performance.now() - started) / 1000;

  await sleep(SETTLE_MS);
  const stopCpu = (dep.instances[0] && cpuMeter(dep.instances[0].pid, opts.database).start()) || undefined;
  await sleep(opts.holdS * 1000);
  const cpu = stopCpu?.();
  const connected = await sampleMemory(dep);
  const stillOpen = clients.filter((c) => c.isOpen).length;

  for (const c of clients) c.close();
  const unload = await dep.quiesce();
  await sleep(SETTLE_MS);
  const after = await sampleMemory(dep);
  const serverSaid = {
    logLines: dep.logs.since(logsBefore),
    counters: counterDelta(countersBefore, await dep.counters()),
    unload,
  };

  const per = (a: number, b: number) => Math.round((a - b) / opts.sockets);
  return {
    sockets: opts.sockets,
    documents: opts.documents.length,
    stillOpenAfterHold: stillOpen,
    connect: {
      seconds: Math.round(connectSeconds * 100) / 100,
      perSecond: Math.round(opts.sockets / connectSeconds),
      perSocketMs: distribution(connectMs),
    },
    server: {
      rssPerSocketBytes: per(connected.rssBytes, before.rssBytes),
      heapPerSocketBytes: per(connected.heapUsedBytes, before.heapUsedBytes),
      rssMbBefore: Math.round(before.rssBytes / 1e5) / 10,
      rssMbConnected: Math.round(connected.rssBytes / 1e5) / 10,
      /** Still held (per socket that came and went) a few seconds after every socket closed. */
      retainedAfterClose: {
        rssPerSocketBytes: per(after.rssBytes, before.rssBytes),
        heapPerSocketBytes: per(after.heapUsedBytes, before.heapUsedBytes),
      },
      idleCpuCores: cpu?.serverCores ?? null,
    },
    socketEvents: tally.toJSON(),
    serverSaid,
  };
}

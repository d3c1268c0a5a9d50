/**
 * Runs one typing workload against a deployment: opens the planned sockets (in plan order),
 * lets the typists type at a human rate for a while, and reports propagation per receiver group,
 * delivery, server CPU and memory per socket, and how hard the load generator itself worked.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpuMeter } from '../support/cpu.ts';
import { type Random, seededRandom } from '../support/random.ts';
import { connect, DocClient, type EditListener, RawClient, SocketTally, type Target } from './client.ts';
import { Crowds, type FrameCounts } from './crowd-process.ts';
import type { Deployment } from './deployments.ts';
import type { Tokens } from './fixture.ts';
import { mapLimit, sleep } from './limit.ts';
import { LivenessSampler } from './liveness.ts';
import { distribution, Receipts, SendLog } from './propagation.ts';
import { counterDelta } from './server-signals.ts';

const CONNECT_CONCURRENCY = 32;
/** Longest wait for the crowds to open one stretch of raw sockets. */
const CROWD_SEGMENT_TIMEOUT_MS = 180_000;
const SETTLE_MS = 1_500;
const DRAIN_MS = 3_000;
const DRAIN_POLL_MS = 100;
/** The event-loop histogram counts the sampling interval itself; only the excess is delay. */
const LOOP_RESOLUTION_MS = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz     ';

export type SocketPlan = {
  documentId: string;
  /** Index into the deployment's instances. */
  instance: number;
  token: keyof Tokens;
  /** typist: types and receives; watcher: a Y.Doc that receives; raw: reads frames, not instrumented. */
  kind: 'typist' | 'watcher' | 'raw';
  /** Receiver group whose propagation this socket reports (typists and watchers). */
  group?: string;
};

export type TypingPlan = {
  sockets: SocketPlan[];
  charsPerSecond: number;
  durationS: number;
  /** Typists also send their cursor (awareness) after every keystroke, as an editor does. */
  presence?: boolean;
};

type Opened = { plan: SocketPlan; client: DocClient | RawClient; editor?: string };

const excessMs = (ns: number) => Math.max(0, Math.round((ns / 1e6 - LOOP_RESOLUTION_MS) * 100) / 100);
const perSocket = (delta: number, sockets: number) => (sockets === 0 ? null : Math.round(delta / sockets));

export async function runTyping(
  dep: Deployment,
  tokens: Tokens,
  plan: TypingPlan,
  opts: {
    database?: string;
    seed: number;
    /** Child processes for the raw sockets (0: they live in this process). */
    crowds?: number;
    /** Sample the first instance's liveness endpoint from before the connects to the end of the drain. */
    liveness?: boolean;
    /** Typists decode every frame to count their own edits sent back (BENCH_SYNC_COUNT_ECHOES; costs CPU). */
    countEchoes?: boolean;
  },
) {
  const rnd = seededRandom(opts.seed);
  const tally = new SocketTally();
  const targets: Target[] = dep.instances.map((i) => ({ wire: dep.wire, base: i.base, tally }));
  const log = new SendLog();
  const groups = new Map<string, Receipts>();
  const receipts = (g: string) => {
    let r = groups.get(g);
    if (!r) {
      r = new Receipts(log);
      groups.set(g, r);
    }
    return r;
  };

  /** Propagation by the receiver's kind (typists see each other's edits, watchers everyone's). */
  const byKind = { typist: new Receipts(log), watcher: new Receipts(log) };

  // Durability acknowledgements of edits typed in the measured window (ours only: SAVED).
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  const savedMs: number[] = [];
  const saved = (sentAt: number, savedAt: number) => {
    if (sentAt >= windowStart && sentAt < windowEnd) savedMs.push(savedAt - sentAt);
  };

  const memBefore = await Promise.all(dep.instances.map((i) => i.memory()));
  const logsBefore = dep.logs.snapshot();
  const countersBefore = await dep.counters();
  const connectStarted = performance.now();
  const connectMs: number[] = [];
  let typists = 0;
  const created: (DocClient | RawClient)[] = [];
  const openOne = async (p: SocketPlan, i: number): Promise<Opened> => {
    const target = targets[p.instance] as Target;
    const token = tokens[p.token];
    const t0 = performance.now();
    const editor = p.kind === 'typist' ? `e${typists++}` : undefined;
    const group = p.group ? receipts(p.group).listener(i) : undefined;
    // The same receipts again by receiver kind: editors and viewers may be served on different lanes.
    const kind = p.group ? byKind[p.kind === 'typist' ? 'typist' : 'watcher'].listener(i) : undefined;
    const onEdit: EditListener | undefined =
      group && kind
        ? (editor, seq, at) => {
            group(editor, seq, at);
            kind(editor, seq, at);
          }
        : undefined;
    const onSaved = editor ? saved : undefined;
    const client = await connect<DocClient | RawClient>(tally, () =>
      p.kind === 'raw'
        ? new RawClient(target, p.documentId, token)
        : new DocClient(target, p.documentId, token, {
            typist: p.kind === 'typist',
            presence: plan.presence,
            onEdit,
            onSaved,
            countEchoes: opts.countEchoes,
          }),
    );
    created.push(client);
    connectMs.push(performance.now() - t0);
    return { plan: p, client, editor };
  };
  const crowds = startCrowds(dep, tokens, plan.sockets, opts.crowds ?? 0);
  const liveness = opts.liveness
    ? new LivenessSampler((dep.instances[0] as { liveness: string }).liveness).start()
    : undefined;
  const opened = await (crowds
    ? openWithCrowds(plan.sockets, crowds, openOne)
    : mapLimit(plan.sockets, CONNECT_CONCURRENCY, openOne)
  ).catch(async (err: unknown) => {
    for (const c of created) c.close();
    crowds?.kill();
    await liveness?.stop();
    throw new Error(`connecting ${plan.sockets.length} sockets: ${err instanceof Error ? err.message : String(err)}`);
  });
  const connectSeconds = (performance.now() - connectStarted) / 1000;

  // Who should see whose edits: every instrumented socket of the document but the typist itself.
  const byDocument = new Map<string, Opened[]>();
  for (const o of opened) {
    const list = byDocument.get(o.plan.documentId);
    if (list) list.push(o);
    else byDocument.set(o.plan.documentId, [o]);
  }
  for (const docSockets of byDocument.values())
    for (const t of docSockets)
      if (t.editor) for (const r of docSockets) if (r !== t && r.plan.group) receipts(r.plan.group).expect(t.editor, 1);

  await sleep(SETTLE_MS);
  const memConnected = await Promise.all(dep.instances.map((i) => i.memory()));
  const raws = opened.flatMap((o) => (o.client instanceof RawClient ? [o.client] : []));
  const rawFrames = async (): Promise<FrameCounts> => {
    const own = (k: keyof FrameCounts) => raws.reduce((n, c) => n + c[k], 0);
    const crowd = crowds ? await crowds.frames() : { frames: 0, bytes: 0, presenceFrames: 0, presenceStates: 0 };
    return {
      frames: own('frames') + crowd.frames,
      bytes: own('bytes') + crowd.bytes,
      presenceFrames: own('presenceFrames') + crowd.presenceFrames,
      presenceStates: own('presenceStates') + crowd.presenceStates,
    };
  };
  const framesBefore = await rawFrames();
  const meters = dep.instances.map((i) => cpuMeter(i.pid, opts.database, { withChildren: i.processes > 1 }).start());
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  for (const r of [...groups.values(), byKind.typist, byKind.watcher]) r.start();
  const workBefore = clientWork(opened);
  windowStart = performance.now();

  const end = performance.now() + plan.durationS * 1000;
  const meanGapMs = 1000 / plan.charsPerSecond;
  const gap = (r: Random) => meanGapMs * (0.5 + r.next()); // ±50 % jitter around the mean rate
  /** The pending keystroke of each typist. */
  const timers = new Map<string, NodeJS.Timeout>();
  let maxBacklog = 0;
  for (const o of opened) {
    const editor = o.editor;
    if (!editor || !(o.client instanceof DocClient)) continue;
    const client = o.client;
    const own = seededRandom(rnd.int(2 ** 31));
    const tick = () => {
      if (performance.now() >= end) return;
      const seq = log.next(editor);
      const char = ALPHABET[own.int(ALPHABET.length)] as string;
      client.type(editor, seq, char, own.int(client.text.length + 1), log.sentAt(editor, seq) as number);
      maxBacklog = Math.max(maxBacklog, client.backlog);
      timers.set(editor, setTimeout(tick, gap(own)));
    };
    timers.set(editor, setTimeout(tick, own.next() * meanGapMs));
  }
  await sleep(plan.durationS * 1000);
  for (const t of timers.values()) clearTimeout(t);
  for (const r of [...groups.values(), byKind.typist, byKind.watcher]) r.stop();
  windowEnd = performance.now();
  const cpu = meters.map((stop) => stop());
  loop.disable();
  const workDuring = workPerSecond(workBefore, clientWork(opened), (windowEnd - windowStart) / 1000);
  const framesAfter = await rawFrames();
  const framesDuring = framesAfter.frames - framesBefore.frames;
  const rawSockets = plan.sockets.filter((p) => p.kind === 'raw').length;
  const perViewerPerSecond = (n: number) =>
    rawSockets ? Math.round((n / rawSockets / ((windowEnd - windowStart) / 1000)) * 10) / 10 : null;
  /** What one raw viewer received per second while typing: presence is sampled in big rooms (ours). */
  const viewerPresence = {
    framesPerSecond: perViewerPerSecond(framesAfter.presenceFrames - framesBefore.presenceFrames),
    cursorStatesPerSecond: perViewerPerSecond(framesAfter.presenceStates - framesBefore.presenceStates),
    allFramesPerSecond: perViewerPerSecond(framesDuring),
  };

  const edits = opened.reduce((n, o) => n + (o.editor ? log.sentBetween(o.editor, windowStart, windowEnd) : 0), 0);
  const pending = () =>
    [...groups.values()].some((r) => r.delivery().missing > 0) ||
    (dep.wire.savedType !== undefined && savedMs.length < edits);
  const drainUntil = performance.now() + DRAIN_MS;
  while (performance.now() < drainUntil && pending()) await sleep(DRAIN_POLL_MS);

  const livez = (await liveness?.stop()) ?? null;
  for (const o of opened) o.client.close();
  if (crowds) tally.merge(await crowds.close());
  const unload = await dep.quiesce();
  const serverSaid = {
    logLines: dep.logs.since(logsBefore),
    counters: counterDelta(countersBefore, await dep.counters()),
    unload,
  };

  const deliveries = [...groups.values()].reduce((n, r) => n + r.delivery().expected, 0);
  const seconds = cpu[0]?.seconds ?? plan.durationS;
  const serverCpuSeconds = cpu.reduce((n, c) => n + (c?.serverCores ?? 0) * (c?.seconds ?? 0), 0);
  const socketsOn = (i: number) => plan.sockets.filter((s) => s.instance === i).length;
  const rssDelta = memConnected.reduce((n, m, i) => n + m.rssBytes - (memBefore[i]?.rssBytes ?? 0), 0);
  const heapDelta = memConnected.reduce((n, m, i) => n + m.heapUsedBytes - (memBefore[i]?.heapUsedBytes ?? 0), 0);

  return {
    sockets: plan.sockets.length,
    instrumented: opened.filter((o) => o.client instanceof DocClient).length,
    crowdProcesses: crowds ? (opts.crowds ?? 0) : 0,
    typists,
    charsPerSecondPerTypist: plan.charsPerSecond,
    connect: { seconds: Math.round(connectSeconds * 100) / 100, perSocketMs: distribution(connectMs) },
    propagation: Object.fromEntries([...groups].map(([g, r]) => [g, distribution(r.latencies)])),
    /** The same latencies split by who received them: typists (other typists' edits) and watchers. */
    propagationByReceiver: {
      typists: distribution(byKind.typist.latencies),
      watchers: distribution(byKind.watcher.latencies),
    },
    delivery: Object.fromEntries([...groups].map(([g, r]) => [g, r.delivery()])),
    /** Edit sent → SAVED received by its typist: durable in PostgreSQL. Null for a peer without such an ack. */
    savedAck: dep.wire.savedType === undefined ? null : { ...distribution(savedMs), acknowledgedOf: edits },
    edits,
    rawFramesReceived: raws.length || crowds ? framesDuring : undefined,
    viewerPresence: rawSockets ? viewerPresence : undefined,
    /** The liveness endpoint's latency from before the connects to the end of the drain (when sampled). */
    liveness: livez,
    server: {
      cpuCores: Math.round((serverCpuSeconds / seconds) * 100) / 100,
      cpuCoresPerInstance: cpu.map((c) => c?.serverCores ?? null),
      postgresCores: cpu[0]?.postgresCores ?? null,
      cpuMsPerEdit: edits ? Math.round((serverCpuSeconds / edits) * 1e6) / 1e3 : null,
      cpuUsPerDelivery: deliveries ? Math.round((serverCpuSeconds / deliveries) * 1e7) / 10 : null,
      rssPerSocketBytes: perSocket(rssDelta, plan.sockets.length),
      heapPerSocketBytes: perSocket(heapDelta, plan.sockets.length),
      rssMbPerInstance: memConnected.map((m, i) => ({
        instance: i,
        sockets: socketsOn(i),
        rssMb: Math.round(m.rssBytes / 1e5) / 10,
      })),
    },
    loadGenerator: {
      cores: cpu[0]?.benchCores ?? null,
      otherCores: cpu[0]?.otherCores ?? null,
      eventLoopDelayP99Ms: excessMs(loop.percentile(99)),
      eventLoopDelayMaxMs: excessMs(loop.max),
      maxSendBacklogBytes: maxBacklog,
      /** Per Y.Doc client per second while typing, typists and watchers apart (see DocClient.work). */
      clientWork: workDuring,
    },
    socketEvents: tally.toJSON(),
    serverSaid,
  };
}

type Work = DocClient['work'];
type WorkByKind = Record<'typist' | 'watcher', { clients: number; clientIds: number } & Work>;

/** The Y.Doc clients' work so far, summed per kind, and how many client ids their documents hold. */
function clientWork(opened: readonly Opened[]): WorkByKind {
  const zero = () => ({ clients: 0, clientIds: 0, transactions: 0, syncFrames: 0, syncBytes: 0, echoes: 0 });
  const out: WorkByKind = { typist: zero(), watcher: zero() };
  for (const o of opened) {
    if (!(o.client instanceof DocClient) || o.plan.kind === 'raw') continue;
    const sum = out[o.plan.kind];
    sum.clients++;
    sum.clientIds += o.client.doc.store.clients.size;
    for (const k of ['transactions', 'syncFrames', 'syncBytes', 'echoes'] as const) sum[k] += o.client.work[k];
  }
  return out;
}

/** Work per client per second between two samples; client ids per document at the end. */
function workPerSecond(before: WorkByKind, after: WorkByKind, seconds: number) {
  const per = (kind: keyof WorkByKind) => {
    const a = after[kind];
    const b = before[kind];
    const rate = (k: keyof Work) =>
      a.clients ? Math.round(((a[k] - b[k]) / a.clients / Math.max(seconds, 1e-3)) * 10) / 10 : null;
    return {
      clients: a.clients,
      clientIdsPerDocument: a.clients ? Math.round((a.clientIds / a.clients) * 10) / 10 : null,
      transactionsPerSecond: rate('transactions'),
      syncFramesPerSecond: rate('syncFrames'),
      syncBytesPerSecond: rate('syncBytes'),
      echoesPerSecond: rate('echoes'),
    };
  };
  return { typist: per('typist'), watcher: per('watcher') };
}

/** Children for the raw sockets, when asked for and when they all go to one document the same way. */
function startCrowds(dep: Deployment, tokens: Tokens, sockets: SocketPlan[], processes: number): Crowds | undefined {
  const raw = sockets.filter((s) => s.kind === 'raw');
  const first = raw[0];
  if (processes <= 0 || !first) return undefined;
  if (raw.some((s) => s.documentId !== first.documentId || s.instance !== first.instance || s.token !== first.token))
    throw new Error('crowds serve one document, instance and token');
  return Crowds.start(processes, {
    peer: dep.wire.peer,
    base: (dep.instances[first.instance] as { base: string }).base,
    documentId: first.documentId,
    token: tokens[first.token],
    concurrency: Math.max(1, Math.ceil(CONNECT_CONCURRENCY / processes)),
  });
}

/**
 * Connects in plan order: each stretch of raw sockets is opened by the crowds (and awaited)
 * before the next instrumented socket, so those still sit evenly through the room's socket order.
 */
async function openWithCrowds(
  sockets: SocketPlan[],
  crowds: Crowds,
  openOne: (p: SocketPlan, i: number) => Promise<Opened>,
): Promise<Opened[]> {
  const opened: Opened[] = [];
  let rawSeen = 0;
  let requested = 0;
  const flush = async () => {
    if (rawSeen === requested) return;
    crowds.open(rawSeen - requested);
    requested = rawSeen;
    await crowds.until(requested, CROWD_SEGMENT_TIMEOUT_MS);
  };
  for (const [i, p] of sockets.entries()) {
    if (p.kind === 'raw') {
      rawSeen++;
      continue;
    }
    await flush();
    opened.push(await openOne(p, i));
  }
  await flush();
  return opened;
}

/**
 * The scale curve of one hot document (issue 15, ARCHITECTURE §3 "Hot documents"): for every
 * point sockets x typists, a fresh instance of each peer, typists typing with presence (a cursor
 * update after every keystroke), the rest raw viewers in crowd child processes, instrumented
 * watchers spread through the room, and the liveness endpoint sampled from the first connect to
 * the end of the drain. Peers alternate per point so a noisy stretch of the machine hits both;
 * ours runs once per SYNC_PROCESSES value asked for (one pod's processes on one port, spec S10.2).
 */
import { readFileSync } from 'node:fs';
import type { Deployment } from './deployments.ts';
import type { Tokens } from './fixture.ts';
import { sleep } from './limit.ts';
import { largeRoomPlan } from './plans.ts';
import type { Distribution } from './propagation.ts';
import { runTyping } from './typing.ts';
import type { PeerName } from './wire.ts';

/** Issue 15's goals on this 2-core machine, load generator included. */
export const CURVE_GOALS = {
  p95At3000x30Ms: 100,
  p95At10000x30Ms: 200,
  livezP99At10000x30Ms: 100,
  /** ours / Hocuspocus p95 at every point from 3,000 sockets up. */
  maxRatioFrom3000: 0.7,
} as const;
const BETWEEN_POINTS_MS = 2_000;
/** File descriptors the server and the load generator need besides the sockets. */
const FD_HEADROOM = 1_024;

export type CurveSettings = {
  sockets: number[];
  typists: number[];
  instrumented: number;
  crowds: number;
  durationS: number;
  charsPerSecond: number;
  /**
   * Our server with each of these SYNC_PROCESSES per point (BENCH_SYNC_CURVE_PROCESSES, default 1;
   * above 1 needs Redis). `ours` and the goals are the first; `oursByProcesses` holds them all.
   */
  processes: number[];
  /** Typists count their own edits sent back (BENCH_SYNC_COUNT_ECHOES). */
  countEchoes?: boolean;
};

type Typing = Awaited<ReturnType<typeof runTyping>>;
type PointSummary = {
  propagation: Distribution | null;
  /** Propagation to typists (the editors' lane) and to watchers (the viewers' lane in a big room). */
  propagationByReceiver: Typing['propagationByReceiver'];
  delivery: { expected: number; missing: number } | undefined;
  edits: number;
  acknowledged: number | null;
  liveness: Typing['liveness'];
  /** Per raw viewer per second while typing: presence frames, cursor states, all frames. */
  viewerPresence: Typing['viewerPresence'];
  serverCores: number;
  loadGeneratorCores: number | null;
  /** The Y.Doc clients' work per client per second (typists, watchers). */
  clientWork: Typing['loadGenerator']['clientWork'];
  connectSeconds: number;
  unexpectedCloses: Record<string, number>;
  errors: number;
};

/** Soft limit on open files of this process (children inherit it). */
export function openFilesLimit(): number | null {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  if (!m) return null;
  return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

function summarise(r: Typing): PointSummary {
  return {
    propagation: r.propagation.all ?? null,
    propagationByReceiver: r.propagationByReceiver,
    delivery: r.delivery.all,
    edits: r.edits,
    acknowledged: r.savedAck ? (r.savedAck.count ?? 0) : null,
    liveness: r.liveness,
    viewerPresence: r.viewerPresence,
    serverCores: r.server.cpuCores,
    loadGeneratorCores: r.loadGenerator.cores ?? null,
    clientWork: r.loadGenerator.clientWork,
    connectSeconds: r.connect.seconds,
    unexpectedCloses: r.socketEvents.unexpectedCloses,
    errors: r.socketEvents.errors,
  };
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100;

export async function runScaleCurve(opts: {
  settings: CurveSettings;
  peers: PeerName[];
  documents: string[];
  tokens: Partial<Record<PeerName, Tokens>>;
  deploy: (peer: PeerName, point: string, processes: number) => Promise<Deployment>;
  retire: (d: Deployment) => Promise<void>;
  database?: string;
  log: (msg: string) => void;
}) {
  const { settings, log } = opts;
  const limit = openFilesLimit();
  const largest = Math.max(...settings.sockets);
  if (limit !== null && limit < largest + FD_HEADROOM)
    throw new Error(
      `open files limit ${limit} < ${largest + FD_HEADROOM}: raise it (ulimit -n) before the scale curve`,
    );
  type Ratios = { p95: number | null; p99: number | null };
  const points: Array<{
    sockets: number;
    typists: number;
    ours?: PointSummary;
    hocuspocus?: PointSummary;
    ratios: Ratios | null;
    /** Ours per SYNC_PROCESSES, and its ratios to Hocuspocus, when the curve runs more than one. */
    oursByProcesses?: Record<string, PointSummary>;
    ratiosByProcesses?: Record<string, Ratios | null>;
  }> = [];
  const runs = opts.peers.flatMap(
    (peer): Array<{ peer: PeerName; processes: number }> =>
      peer === 'ours' ? settings.processes.map((processes) => ({ peer, processes })) : [{ peer, processes: 1 }],
  );
  const many = settings.processes.length > 1;
  const full: Record<string, Partial<Record<PeerName, Typing>>> = {};
  let doc = 0;
  for (const typists of settings.typists) {
    for (const sockets of settings.sockets) {
      const name = `${sockets}x${typists}`;
      // One document per point and per SYNC_PROCESSES value: a run must not re-type (same seed,
      // same client ids) into a document an earlier run of ours already holds.
      const pointDocs = opts.documents.slice(doc, doc + settings.processes.length);
      doc += settings.processes.length;
      const point: (typeof points)[number] = { sockets, typists, ratios: null };
      // Which peer goes first alternates per point: the first one at a point meets the freshest
      // load generator state and the machine's noise first (oneDocument showed what order costs).
      const order = points.length % 2 === 0 ? runs : [...runs].reverse();
      for (const { peer, processes } of order) {
        const tokens = opts.tokens[peer] as Tokens;
        const documentId = pointDocs[peer === 'ours' ? settings.processes.indexOf(processes) : 0] as string;
        const d = await opts.deploy(peer, name, processes);
        const label = peer === 'ours' && many ? `ours (${processes} processes)` : peer;
        try {
          log(`${label} scaleCurve ${name}: ${settings.durationS} s of typing with presence…`);
          const r = await runTyping(
            d,
            tokens,
            {
              sockets: largeRoomPlan(documentId, sockets, typists, settings.instrumented),
              charsPerSecond: settings.charsPerSecond,
              durationS: settings.durationS,
              presence: true,
            },
            {
              database: opts.database,
              seed: 100 + doc,
              crowds: settings.crowds,
              liveness: true,
              countEchoes: settings.countEchoes,
            },
          );
          const s = summarise(r);
          if (peer === 'ours' && many) point.oursByProcesses = { ...point.oursByProcesses, [processes]: s };
          if (peer !== 'ours' || processes === settings.processes[0]) {
            point[peer] = s;
            full[name] = { ...full[name], [peer]: r };
          }
          log(
            `${label} scaleCurve ${name}: p95 ${s.propagation?.p95 ?? '-'} ms p99 ${s.propagation?.p99 ?? '-'} ms, (typists ${s.propagationByReceiver.typists?.p95 ?? '-'}, watchers ${s.propagationByReceiver.watchers?.p95 ?? '-'}), LG ${s.loadGeneratorCores} cores, missing ${s.delivery?.missing ?? '-'}, acknowledged ${s.acknowledged ?? '-'}/${s.edits}, liveness p99 ${s.liveness?.p99 ?? '-'} ms`,
          );
        } finally {
          await opts.retire(d);
        }
        await sleep(BETWEEN_POINTS_MS);
      }
      const ratiosOf = (ours: PointSummary | undefined): Ratios | null =>
        ours && point.hocuspocus
          ? {
              p95: ratio(ours.propagation?.p95, point.hocuspocus.propagation?.p95),
              p99: ratio(ours.propagation?.p99, point.hocuspocus.propagation?.p99),
            }
          : null;
      point.ratios = ratiosOf(point.ours);
      if (point.oursByProcesses)
        point.ratiosByProcesses = Object.fromEntries(
          Object.entries(point.oursByProcesses).map(([n, s]) => [n, ratiosOf(s)]),
        );
      points.push(point);
    }
  }
  const goalsByProcesses = many
    ? Object.fromEntries(
        settings.processes.map((n) => [
          n,
          goals(
            points.map((p) => ({
              ...p,
              ours: p.oursByProcesses?.[n],
              ratios: p.ratiosByProcesses?.[n] ?? null,
            })),
          ),
        ]),
      )
    : undefined;
  return { settings, points, goals: goals(points), goalsByProcesses, full };
}

function goals(
  points: Array<{ sockets: number; typists: number; ours?: PointSummary; ratios: { p95: number | null } | null }>,
) {
  const at = (sockets: number, typists: number) => points.find((p) => p.sockets === sockets && p.typists === typists);
  const p3000 = at(3000, 30)?.ours;
  const p10000 = at(10000, 30)?.ours;
  const fromThree = points.filter((p) => p.sockets >= 3000 && p.ratios?.p95 != null);
  return {
    thresholds: CURVE_GOALS,
    p95Under100msAt3000x30: p3000?.propagation ? p3000.propagation.p95 < CURVE_GOALS.p95At3000x30Ms : null,
    at10000x30: p10000
      ? {
          p95Under200ms: p10000.propagation ? p10000.propagation.p95 < CURVE_GOALS.p95At10000x30Ms : false,
          nothingMissing: p10000.delivery?.missing === 0,
          everyEditAcknowledged: p10000.acknowledged === p10000.edits,
          livezP99Under100ms: p10000.liveness ? p10000.liveness.p99 < CURVE_GOALS.livezP99At10000x30Ms : null,
        }
      : null,
    ratioAtMost07From3000: fromThree.length
      ? fromThree.every((p) => (p.ratios?.p95 as number) <= CURVE_GOALS.maxRatioFrom3000)
      : null,
  };
}

/** Puts the two peers side by side: per-workload results, ratios ours/Hocuspocus, goal checks. */
import type { Distribution } from './propagation.ts';
import type { PeerName } from './wire.ts';

export const WORKLOADS = ['oneDocument', 'manyDocuments', 'largeRoom', 'idleMemory', 'twoInstances'] as const;
export type Workload = (typeof WORKLOADS)[number];
/** Each workload's result per peer, as the runners returned it. */
export type Results = Partial<Record<Workload, Partial<Record<PeerName, unknown>>>>;

/** ARCHITECTURE §8: propagation on one instance, across instances, a crowded room, idle memory. */
export const GOALS = {
  sameInstanceP95Ms: 50,
  largeRoomP95Ms: 100,
  crossInstanceP95Ms: 100,
  idleBytesPerSocket: 20 * 1024,
} as const;

/** Above this many cores of unrelated work, a phase's latencies are not comparable. */
const BUSY_OTHER_CORES = 0.25;

/** The receiver group each typing workload is judged on. */
const MAIN_GROUP: Partial<Record<Workload, string>> = {
  oneDocument: 'all',
  manyDocuments: 'all',
  largeRoom: 'all',
  twoInstances: 'crossInstance',
};

type TypingLike = {
  propagation: Record<string, Distribution | null>;
  delivery: Record<string, { expected: number; missing: number }>;
  server: { cpuMsPerEdit: number | null; cpuCores: number; rssPerSocketBytes: number | null };
  socketEvents: { unexpectedCloses: Record<string, number>; errors: number; denied: number };
};
type IdleLike = {
  server: { rssPerSocketBytes: number | null; heapPerSocketBytes: number | null; idleCpuCores: number | null };
  socketEvents: { unexpectedCloses: Record<string, number>; errors: number; denied: number };
};

const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null || b === 0 ? null : Math.round((a / b) * 100) / 100;

const p95 = (r: unknown, w: Workload) => (r as TypingLike | undefined)?.propagation[MAIN_GROUP[w] ?? 'all']?.p95;
const under = (v: number | null | undefined, limit: number) => (v == null ? null : v < limit);

function ratios(w: Workload, ours: unknown, hp: unknown) {
  if (!ours || !hp) return null;
  if (w === 'idleMemory') {
    const [o, h] = [ours as IdleLike, hp as IdleLike];
    return {
      rssPerSocket: ratio(o.server.rssPerSocketBytes, h.server.rssPerSocketBytes),
      heapPerSocket: ratio(o.server.heapPerSocketBytes, h.server.heapPerSocketBytes),
      idleCpu: ratio(o.server.idleCpuCores, h.server.idleCpuCores),
    };
  }
  const [o, h] = [ours as TypingLike, hp as TypingLike];
  const g = MAIN_GROUP[w] ?? 'all';
  const [op, hpp] = [o.propagation[g], h.propagation[g]];
  return {
    propagationP50: ratio(op?.p50, hpp?.p50),
    propagationP95: ratio(op?.p95, hpp?.p95),
    propagationP99: ratio(op?.p99, hpp?.p99),
    serverCpuCores: ratio(o.server.cpuCores, h.server.cpuCores),
    serverCpuPerEdit: ratio(o.server.cpuMsPerEdit, h.server.cpuMsPerEdit),
    rssPerSocket: ratio(o.server.rssPerSocketBytes, h.server.rssPerSocketBytes),
  };
}

const ran = (peer: PeerName, results: Results) => WORKLOADS.some((w) => results[w]?.[peer] !== undefined);

function goalsFor(peer: PeerName, results: Results) {
  const r = (w: Workload) => results[w]?.[peer];
  const typing = WORKLOADS.filter((w) => w !== 'idleMemory').flatMap((w) => {
    const x = r(w) as TypingLike | undefined;
    return x ? [x] : [];
  });
  const idle = r('idleMemory') as IdleLike | undefined;
  return {
    oneDocumentP95Under50ms: under(p95(r('oneDocument'), 'oneDocument'), GOALS.sameInstanceP95Ms),
    manyDocumentsP95Under50ms: under(p95(r('manyDocuments'), 'manyDocuments'), GOALS.sameInstanceP95Ms),
    largeRoomP95Under100ms: under(p95(r('largeRoom'), 'largeRoom'), GOALS.largeRoomP95Ms),
    idleRssUnder20KBPerSocket: under(idle?.server.rssPerSocketBytes, GOALS.idleBytesPerSocket),
    crossInstanceP95Under100ms: under(p95(r('twoInstances'), 'twoInstances'), GOALS.crossInstanceP95Ms),
    /** Every edit reached every receiver that should see it (checked after a drain). */
    noEditLost: typing.length ? typing.every((t) => Object.values(t.delivery).every((d) => d.missing === 0)) : null,
    /** No socket was closed or errored by the server during the workloads. */
    noUnexpectedCloses: [...typing, ...(idle ? [idle] : [])].every(
      (t) => Object.keys(t.socketEvents.unexpectedCloses).length === 0 && t.socketEvents.errors === 0,
    ),
  };
}

/** How much unrelated work shared the machine while typing workloads ran (0 on a quiet machine). */
function noise(results: Results) {
  const phases = WORKLOADS.flatMap((w) =>
    (['ours', 'hocuspocus'] as const).flatMap((p) => {
      const other = (results[w]?.[p] as { loadGenerator?: { otherCores: number | null } } | undefined)?.loadGenerator
        ?.otherCores;
      return other == null ? [] : [{ phase: `${p} ${w}`, otherCores: other }];
    }),
  );
  return {
    maxOtherCores: phases.reduce((m, p) => Math.max(m, p.otherCores), 0),
    busyPhases: phases.filter((p) => p.otherCores > BUSY_OTHER_CORES).map((p) => p.phase),
  };
}

export function compare(results: Results) {
  const workloads = Object.fromEntries(
    WORKLOADS.filter((w) => results[w]).map((w) => {
      const { ours = null, hocuspocus = null } = results[w] ?? {};
      return [w, { ours, hocuspocus, ratios: ratios(w, ours, hocuspocus) }];
    }),
  );
  return {
    workloads,
    noise: noise(results),
    goals: {
      thresholds: GOALS,
      ours: ran('ours', results) ? goalsFor('ours', results) : null,
      hocuspocus: ran('hocuspocus', results) ? goalsFor('hocuspocus', results) : null,
    },
  };
}

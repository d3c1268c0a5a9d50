/**
 * Issue 14's benchmark: comments must add no measurable cost to typing. With
 * `BENCH_SYNC_COMMENT_THREADS=N` our peer runs the oneDocument workload twice in the same run, on
 * the same server: first on a document without threads (the workload's regular result), then,
 * with the same plan and seed, on a twin document carrying N open threads. This puts the two
 * p95s and their ratio side by side (the noise of each phase is in its `server` and load figures).
 */
import type { Distribution } from './propagation.ts';

type TypingLike = {
  propagation: Record<string, Distribution | null>;
  server: { cpuMsPerEdit: number | null; cpuCores: number };
  machine?: { otherCores?: number };
};

const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null || b === 0 ? null : Math.round((a / b) * 100) / 100;

export function commentPair(threads: number, without: unknown, withThreads: unknown) {
  const [a, b] = [without as TypingLike | undefined, withThreads as TypingLike | undefined];
  const all = (r: TypingLike | undefined) => r?.propagation.all ?? null;
  return {
    threads,
    order: 'without threads first, then with (same server, plan and seed; twin documents)',
    withoutThreads: { propagation: all(a), cpuMsPerEdit: a?.server.cpuMsPerEdit ?? null },
    withThreads: { propagation: all(b), cpuMsPerEdit: b?.server.cpuMsPerEdit ?? null },
    p95Ratio: ratio(all(b)?.p95, all(a)?.p95),
    p50Ratio: ratio(all(b)?.p50, all(a)?.p50),
    cpuPerEditRatio: ratio(b?.server.cpuMsPerEdit, a?.server.cpuMsPerEdit),
    withThreadsRun: withThreads ?? null,
  };
}

/** Latency samples per operation and time bucket, percentiles, and least-squares slopes for the soak verdict. */

export type Sample = { t: number; op: string; ms: number; ok: boolean };

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export type OpSummary = { count: number; errors: number; p50: number; p95: number; p99: number; max: number };

export function summarize(samples: Sample[]): Record<string, OpSummary> {
  const byOp = new Map<string, Sample[]>();
  for (const s of samples) {
    let list = byOp.get(s.op);
    if (!list) {
      list = [];
      byOp.set(s.op, list);
    }
    list.push(s);
  }
  const out: Record<string, OpSummary> = {};
  for (const [op, list] of [...byOp].sort(([a], [b]) => a.localeCompare(b))) {
    const ok = list.filter((s) => s.ok).map((s) => s.ms);
    ok.sort((a, b) => a - b);
    const r = (v: number) => Math.round(v * 10) / 10;
    out[op] = {
      count: list.length,
      errors: list.length - ok.length,
      p50: r(percentile(ok, 50)),
      p95: r(percentile(ok, 95)),
      p99: r(percentile(ok, 99)),
      max: r(ok.at(-1) ?? 0),
    };
  }
  return out;
}

/** p50/p95 per op per bucket of `bucketMs`, for the latency-over-time charts. */
export function timeline(
  samples: Sample[],
  start: number,
  bucketMs: number,
): Array<{ t: number; ops: Record<string, { p50: number; p95: number; n: number; errors: number }> }> {
  const buckets = new Map<number, Sample[]>();
  for (const s of samples) {
    const b = Math.floor((s.t - start) / bucketMs);
    let list = buckets.get(b);
    if (!list) {
      list = [];
      buckets.set(b, list);
    }
    list.push(s);
  }
  return [...buckets.keys()]
    .sort((a, b) => a - b)
    .map((b) => {
      const ops: Record<string, { p50: number; p95: number; n: number; errors: number }> = {};
      for (const [op, sum] of Object.entries(summarize(buckets.get(b) ?? []))) {
        ops[op] = { p50: sum.p50, p95: sum.p95, n: sum.count, errors: sum.errors };
      }
      return { t: (b * bucketMs) / 1000, ops };
    });
}

/** Least-squares slope (per second of x) and R², for leak detection over a soak. */
export function slope(points: Array<[number, number]>): { perSecond: number; r2: number } {
  const n = points.length;
  if (n < 3) return { perSecond: 0, r2: 0 };
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return { perSecond: 0, r2: 0 };
  const b = sxy / sxx;
  return { perSecond: b, r2: syy === 0 ? 0 : (sxy * sxy) / (sxx * syy) };
}

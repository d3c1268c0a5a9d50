/**
 * Drives a workload with autocannon, either flat out (saturation) or at a fixed overall rate,
 * and records every response's latency itself: autocannon's histogram has 1 ms resolution, no
 * p95, and under a rate it "corrects" for coordinated omission with a fixed 1 ms interval,
 * which inflates percentiles.
 */
import autocannon from 'autocannon';

export type RequestSpec = {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  token?: string;
  body?: unknown;
};
export type Workload = { name: string; next: () => RequestSpec };

export type LatencySummary = { p50: number; p95: number; p99: number; max: number; mean: number };
export type LoadResult = {
  durationS: number;
  connections: number;
  responses: number;
  /** Responses per second over the run. */
  rps: number;
  latencyMs: LatencySummary;
  statusCounts: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
};

class Recorder {
  latencies: number[] = [];
  /** performance.now() at each response, to measure the delivered rate in the steady state. */
  times: number[] = [];
  statuses = new Map<number, number>();
  record(status: number, ms: number): void {
    this.latencies.push(ms);
    this.times.push(performance.now());
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }
  countBetween(from: number, to: number): number {
    return this.times.reduce((n, t) => (t >= from && t < to ? n + 1 : n), 0);
  }
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function summarize(latencies: number[]): LatencySummary {
  if (latencies.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(latencies).sort();
  // Nearest-rank percentile.
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { p50: round(at(50)), p95: round(at(95)), p99: round(at(99)), max: round(at(100)), mean: round(mean) };
}

function toRequest(spec: RequestSpec): autocannon.Request {
  const headers: Record<string, string> = {};
  if (spec.token) headers.authorization = `Bearer ${spec.token}`;
  if (spec.body !== undefined) headers['content-type'] = 'application/json';
  return {
    method: spec.method,
    path: spec.path,
    headers,
    body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
  };
}

type RunOptions = { connections: number; durationS: number; overallRate?: number };

function runOnce(url: string, workload: Workload, recorder: Recorder, opts: RunOptions): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: opts.connections,
        duration: opts.durationS,
        overallRate: opts.overallRate,
        ignoreCoordinatedOmission: opts.overallRate !== undefined,
        requests: [{ setupRequest: (req) => Object.assign(req, toRequest(workload.next())) }],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    instance.on('response', (_client, status, _bytes, ms) => recorder.record(status, ms));
  });
}

function collect(recorder: Recorder, results: autocannon.Result[], durationS: number, connections: number) {
  const responses = recorder.latencies.length;
  const statusCounts = Object.fromEntries([...recorder.statuses].sort(([a], [b]) => a - b));
  const non2xx = [...recorder.statuses].reduce((n, [s, c]) => (s >= 200 && s < 300 ? n : n + c), 0);
  return {
    durationS,
    connections,
    responses,
    rps: round(responses / durationS, 1),
    latencyMs: summarize(recorder.latencies),
    statusCounts,
    non2xx,
    errors: results.reduce((n, r) => n + r.errors, 0),
    timeouts: results.reduce((n, r) => n + r.timeouts, 0),
  } satisfies LoadResult;
}

/** As many requests as `connections` keep-alive connections can get answered, for `durationS`. */
export async function saturate(
  url: string,
  workload: Workload,
  opts: { connections: number; durationS: number },
): Promise<LoadResult> {
  const recorder = new Recorder();
  const started = performance.now();
  const result = await runOnce(url, workload, recorder, opts);
  return collect(recorder, [result], (performance.now() - started) / 1000, opts.connections);
}

/**
 * `rate` requests per second through autocannon's `overallRate`. Autocannon releases each
 * connection's per-second quota back to back at the top of every second, so one instance sends
 * the whole second's load as a burst. `stagger` instances started 1/stagger s apart spread it
 * into that many smaller bursts (stagger 1 = autocannon's own behaviour).
 */
export async function fixedRate(
  url: string,
  workload: Workload,
  opts: { rate: number; connections: number; durationS: number; stagger: number },
): Promise<LoadResult & { targetRps: number; stagger: number }> {
  const recorder = new Recorder();
  const k = Math.max(1, Math.min(opts.stagger, opts.rate));
  const share = (total: number, i: number) => Math.floor(total / k) + (i < total % k ? 1 : 0);
  const started = performance.now();
  const runs = Array.from({ length: k }, async (_, i) => {
    await new Promise((r) => setTimeout(r, (i * 1000) / k));
    return runOnce(url, workload, recorder, {
      connections: Math.max(1, share(opts.connections, i)),
      durationS: opts.durationS,
      overallRate: share(opts.rate, i),
    });
  });
  const results = await Promise.all(runs);
  // All instances run between 1 s (the last one has started) and durationS; measure the rate
  // there, since autocannon may send one more second's quota just before it stops.
  const steadyS = opts.durationS - 1;
  const collected = collect(recorder, results, opts.durationS, opts.connections);
  const rps =
    steadyS >= 1
      ? round(recorder.countBetween(started + 1000, started + opts.durationS * 1000) / steadyS, 1)
      : collected.rps;
  return { ...collected, rps, targetRps: opts.rate, stagger: k };
}

/**
 * Scrapes the server's /metrics during a soak: memory, heap, file descriptors, libuv handles,
 * database pool use, event-loop utilization and delay p99 per interval (from the cumulative
 * counter and histogram), and turns the series into slopes and a leak verdict.
 */
import { slope } from './stats.ts';

export type ServerSnapshot = {
  t: number;
  rssBytes: number;
  heapUsedBytes: number;
  openFds: number;
  activeHandles: number;
  poolInUse: number;
  loopUtilization: number;
  loopDelayP99Ms: number;
};

type Raw = { values: Map<string, number>; buckets: Array<[number, number]>; active: number };

const sumOf = (text: string, name: string): number => {
  let total = 0;
  const re = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'gm');
  for (const m of text.matchAll(re)) total += Number(m[1]);
  return total;
};

function parse(text: string): Raw {
  const values = new Map<string, number>();
  for (const name of [
    'process_resident_memory_bytes',
    'nodejs_heap_size_used_bytes',
    'process_open_fds',
    'nodejs_active_handles_total',
    'db_pool_connections_in_use',
  ]) {
    values.set(name, sumOf(text, name));
  }
  const buckets: Array<[number, number]> = [];
  for (const m of text.matchAll(/^event_loop_delay_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} ([0-9.eE+-]+)$/gm)) {
    buckets.push([m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), Number(m[2])]);
  }
  buckets.sort((a, b) => a[0] - b[0]);
  return { values, buckets, active: sumOf(text, 'event_loop_active_seconds_total') };
}

/** p99 from the difference of two cumulative histograms (upper bucket bound, as Prometheus does without interpolation). */
function deltaP99(a: Array<[number, number]>, b: Array<[number, number]>): number {
  const total = (b.at(-1)?.[1] ?? 0) - (a.at(-1)?.[1] ?? 0);
  if (total <= 0) return 0;
  for (let i = 0; i < b.length; i++) {
    const d = (b[i]?.[1] ?? 0) - (a[i]?.[1] ?? 0);
    if (d >= 0.99 * total) return Number.isFinite(b[i]?.[0]) ? (b[i]?.[0] as number) : (b[i - 1]?.[0] ?? 0);
  }
  return 0;
}

export class ServerScraper {
  readonly snapshots: ServerSnapshot[] = [];
  private last: { t: number; raw: Raw } | undefined;
  private readonly url: string;

  constructor(baseUrl: string) {
    this.url = new URL('/metrics', baseUrl).toString();
  }

  async scrape(): Promise<void> {
    const res = await fetch(this.url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
    const raw = parse(await res.text());
    const t = Date.now();
    if (this.last) {
      const dt = (t - this.last.t) / 1000;
      this.snapshots.push({
        t,
        rssBytes: raw.values.get('process_resident_memory_bytes') ?? 0,
        heapUsedBytes: raw.values.get('nodejs_heap_size_used_bytes') ?? 0,
        openFds: raw.values.get('process_open_fds') ?? 0,
        activeHandles: raw.values.get('nodejs_active_handles_total') ?? 0,
        poolInUse: raw.values.get('db_pool_connections_in_use') ?? 0,
        loopUtilization: dt > 0 ? (raw.active - this.last.raw.active) / dt : 0,
        loopDelayP99Ms: deltaP99(this.last.raw.buckets, raw.buckets) * 1000,
      });
    }
    this.last = { t, raw };
  }
}

export type LeakVerdict = {
  verdict: 'no leak detected' | 'leak suspected' | 'too short to tell';
  /** Per hour, after the warm-up (the first quarter of the run is left out: caches and JIT fill). */
  slopes: Record<string, { perHour: number; r2: number }>;
  reasons: string[];
};

/** Growth that counts as a leak when it is also steady (R² ≥ 0.6): per hour of soak. */
const LEAK_LIMITS: Record<string, number> = {
  heapUsedBytes: 20 * 1024 * 1024,
  rssBytes: 50 * 1024 * 1024,
  openFds: 20,
  activeHandles: 20,
  poolInUse: 2,
};

export function leakVerdict(snapshots: ServerSnapshot[]): LeakVerdict {
  const steady = snapshots.slice(Math.floor(snapshots.length / 4));
  const slopes: LeakVerdict['slopes'] = {};
  const reasons: string[] = [];
  if (steady.length < 5) return { verdict: 'too short to tell', slopes, reasons };
  const t0 = steady[0]?.t ?? 0;
  for (const key of [
    'heapUsedBytes',
    'rssBytes',
    'openFds',
    'activeHandles',
    'poolInUse',
    'loopUtilization',
    'loopDelayP99Ms',
  ] as const) {
    const s = slope(steady.map((p) => [(p.t - t0) / 1000, p[key]]));
    slopes[key] = { perHour: s.perSecond * 3600, r2: Math.round(s.r2 * 100) / 100 };
    const limit = LEAK_LIMITS[key];
    if (limit !== undefined && s.perSecond * 3600 > limit && s.r2 >= 0.6) {
      reasons.push(`${key} grows ${Math.round(s.perSecond * 3600)}/h (R² ${s.r2.toFixed(2)}; limit ${limit}/h)`);
    }
  }
  return { verdict: reasons.length > 0 ? 'leak suspected' : 'no leak detected', slopes, reasons };
}

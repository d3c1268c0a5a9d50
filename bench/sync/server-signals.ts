/**
 * What a server said about itself during a workload: the warnings and errors it logged (counted
 * by message, for both peers) and, for ours, the change in its `sync_*` counters.
 */
import { parsePrometheus } from '../support/prometheus.ts';

const LOUD_LEVELS = new Set(['warn', 'error', 'fatal']);
const KEY_CHARS = 160;

/** Counts a server's warning and error lines by message (pino JSON or plain text). */
export class LogTally {
  private readonly counts = new Map<string, number>();
  private readonly quiet: RegExp | undefined;

  /** `quiet` matches plain-text lines that are not problems (start-up banners). */
  constructor(quiet?: RegExp) {
    this.quiet = quiet;
  }

  add(text: string) {
    for (const line of text.split('\n')) {
      const key = this.keyOf(line.trim());
      if (key) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
  }

  private keyOf(line: string): string | undefined {
    if (line === '' || this.quiet?.test(line)) return undefined;
    if (!line.startsWith('{')) return line.slice(0, KEY_CHARS);
    try {
      const j = JSON.parse(line) as {
        level?: string;
        msg?: string;
        err?: { message?: string };
        http?: { status?: number };
      };
      if (!j.level || !LOUD_LEVELS.has(j.level)) return undefined;
      const detail = j.err?.message ?? (j.http?.status ? `status ${j.http.status}` : '');
      return `${j.level}: ${j.msg ?? ''}${detail ? ` (${detail})` : ''}`.slice(0, KEY_CHARS);
    } catch {
      return line.slice(0, KEY_CHARS);
    }
  }

  snapshot(): Map<string, number> {
    return new Map(this.counts);
  }

  since(before: Map<string, number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, n] of this.counts) if (n > (before.get(k) ?? 0)) out[k] = n - (before.get(k) ?? 0);
    return out;
  }
}

const COUNTER = /^sync_.*(_total|_sum|_count)$/;
/** Labels every sample carries (the registry's defaults): noise in a key. */
const CONSTANT_LABELS = new Set(['service']);

/** Our `sync_*` counters and histogram sums, summed over instances, keyed `name{label="v"}`. */
export async function syncCounters(httpBases: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const base of httpBases) {
    const res = await fetch(`${base}/metrics`);
    if (!res.ok) throw new Error(`GET ${base}/metrics → ${res.status}`);
    for (const s of parsePrometheus(await res.text())) {
      if (!COUNTER.test(s.name)) continue;
      const labels = Object.entries(s.labels)
        .filter(([k]) => !CONSTANT_LABELS.has(k))
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      const key = labels ? `${s.name}{${labels}}` : s.name;
      out.set(key, (out.get(key) ?? 0) + s.value);
    }
  }
  return out;
}

export function counterDelta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out[k] = Math.round(d * 1000) / 1000;
  }
  return out;
}

/** Sum of `sync_rooms_loaded` over instances. */
export async function roomsLoaded(httpBases: readonly string[]): Promise<number> {
  let n = 0;
  for (const base of httpBases) {
    const res = await fetch(`${base}/metrics`);
    for (const s of parsePrometheus(await res.text())) if (s.name === 'sync_rooms_loaded') n += s.value;
  }
  return n;
}

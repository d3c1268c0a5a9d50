/** Reads the Prometheus text format well enough to diff counters between two scrapes. */
export type Sample = { name: string; labels: Record<string, string>; value: number };

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) labels[k as string] = (v as string).replace(/\\(.)/g, '$1');
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

export async function scrape(base: string): Promise<Sample[]> {
  const res = await fetch(`${base}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics → ${res.status}`);
  return parsePrometheus(await res.text());
}

/** Sum of the samples named `name` whose labels match `where`. */
export function sum(samples: Sample[], name: string, where: Record<string, string | ((v: string) => boolean)> = {}) {
  return samples
    .filter(
      (s) =>
        s.name === name &&
        Object.entries(where).every(([k, want]) => {
          const v = s.labels[k] ?? '';
          return typeof want === 'function' ? want(v) : v === want;
        }),
    )
    .reduce((n, s) => n + s.value, 0);
}

/** `after - before` for counters (and histogram _sum/_count series). */
export function delta(
  before: Sample[],
  after: Sample[],
  name: string,
  where: Record<string, string | ((v: string) => boolean)> = {},
) {
  return sum(after, name, where) - sum(before, name, where);
}

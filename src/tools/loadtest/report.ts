/** The loadtest's HTML report: summary tables and latency-over-time charts as inline SVG (no scripts, no CDN). */
import type { LoadtestResult } from './runner.ts';
import type { ServerSnapshot } from './server-metrics.ts';

type Series = { name: string; points: Array<[number, number]> };

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A line chart: x in seconds since start, y from 0 to the series' max. */
export function lineChart(title: string, unit: string, series: Series[]): string {
  const W = 720;
  const H = 240;
  const L = 56;
  const B = 28;
  const all = series.flatMap((s) => s.points);
  const maxX = Math.max(1, ...all.map(([x]) => x));
  const maxY = Math.max(1e-9, ...all.map(([, y]) => y)) * 1.1;
  const px = (x: number) => L + (x / maxX) * (W - L - 10);
  const py = (y: number) => H - B - (y / maxY) * (H - B - 24);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = maxY * f;
    const label = v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2);
    return `<line x1="${L}" x2="${W - 10}" y1="${py(v)}" y2="${py(v)}" stroke="#eee"/><text x="${L - 4}" y="${py(v) + 4}" text-anchor="end">${label}</text>`;
  });
  const lines = series.map((s, i) => {
    const d = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${d}"/>`;
  });
  const legend = series.map(
    (s, i) =>
      `<text x="${L + 8 + (i % 6) * 110}" y="${14 + Math.floor(i / 6) * 12}" fill="${COLORS[i % COLORS.length]}">${esc(s.name)}</text>`,
  );
  return `<figure><figcaption>${esc(title)} (${esc(unit)})</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="10">
${ticks.join('\n')}
<line x1="${L}" x2="${L}" y1="20" y2="${H - B}" stroke="#999"/><line x1="${L}" x2="${W - 10}" y1="${H - B}" y2="${H - B}" stroke="#999"/>
<text x="${W - 10}" y="${H - 8}" text-anchor="end">${Math.round(maxX)} s</text><text x="${L}" y="${H - 8}">0 s</text>
${lines.join('\n')}
${legend.join('\n')}
</svg></figure>`;
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const tr = (cells: Array<string | number>, tag: string) =>
    `<tr>${cells.map((c) => `<${tag}>${esc(String(c))}</${tag}>`).join('')}</tr>`;
  return `<table>${tr(headers, 'th')}${rows.map((r) => tr(r, 'td')).join('')}</table>`;
}

export function renderReport(r: LoadtestResult): string {
  const ops = Object.keys(r.ops);
  const series = (pick: 'p50' | 'p95') =>
    ops.map((op) => ({
      name: op,
      points: r.timeline.filter((b) => b.ops[op]).map((b) => [b.t, b.ops[op]?.[pick] ?? 0] as [number, number]),
    }));
  const rate = ops.map((op) => ({
    name: op,
    points: r.timeline.map((b) => [b.t, b.ops[op]?.n ?? 0] as [number, number]),
  }));
  const parts = [
    `<h1>collab-docs loadtest: ${esc(r.mode)} (${esc(r.journey)} journey)</h1>`,
    `<p>${esc(r.url)} · started ${esc(r.startedAt)} · ${r.durationSeconds} s · ${r.users} virtual users · SLO: HTTP p95 ≤ ${r.slo.httpP95Ms} ms, sign-up/log-in p95 ≤ ${r.slo.authP95Ms} ms, keystroke-to-saved p95 ≤ ${r.slo.keystrokeP95Ms} ms, errors ≤ ${(100 * r.slo.errorRatio).toFixed(1)} %</p>`,
  ];
  if (r.generator.warnings.length > 0) {
    parts.push(`<h2>Warning: the load generator was the bottleneck</h2><p>${esc(r.generator.warnings.join('; '))}</p>`);
  }
  if (r.breakingPoint) {
    parts.push(
      `<h2>Breaking point</h2><p>${
        r.breakingPoint.brokeAt === null
          ? `No SLO broke up to ${r.breakingPoint.users} users.`
          : `Last level meeting every SLO: <b>${r.breakingPoint.users ?? 'none'}</b> users; at ${r.breakingPoint.brokeAt} users: ${esc(r.breakingPoint.slo.join('; '))}.`
      }</p>`,
      table(
        ['users', 'from (s)', 'broken', 'generator loop busy', 'generator delay p99 ms'],
        (r.steps ?? []).map((s) => [
          s.users,
          s.startedAt.toFixed(0),
          s.broken.join('; ') || '—',
          s.generator.elu.toFixed(2),
          s.generator.delayP99Ms.toFixed(0),
        ]),
      ),
    );
  }
  if (r.soak) {
    parts.push(
      `<h2>Soak verdict: ${esc(r.soak.verdict)}</h2>`,
      r.soak.reasons.length > 0 ? `<p>${esc(r.soak.reasons.join('; '))}</p>` : '',
      table(
        ['series', 'slope per hour', 'R²'],
        Object.entries(r.soak.slopes).map(([k, v]) => [k, v.perHour.toFixed(2), v.r2]),
      ),
    );
  }
  parts.push(
    '<h2>Operations</h2>',
    table(
      ['op', 'count', 'errors', 'per s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      ops.map((op) => {
        const s = r.ops[op];
        return [
          op,
          s?.count ?? 0,
          s?.errors ?? 0,
          r.throughput[op] ?? 0,
          s?.p50 ?? 0,
          s?.p95 ?? 0,
          s?.p99 ?? 0,
          s?.max ?? 0,
        ];
      }),
    ),
    '<h2>Latency over time</h2>',
    lineChart('p95 latency by operation', 'ms', series('p95')),
    lineChart('p50 latency by operation', 'ms', series('p50')),
    lineChart('operations per bucket', 'count', rate),
  );
  if (r.soak && r.soak.snapshots.length > 0) {
    const t0 = r.soak.snapshots[0]?.t ?? 0;
    const s = (name: string, f: (x: ServerSnapshot) => number) => ({
      name,
      points: (r.soak?.snapshots ?? []).map((p) => [(p.t - t0) / 1000, f(p)] as [number, number]),
    });
    parts.push(
      '<h2>Server during the soak</h2>',
      lineChart('memory', 'MiB', [
        s('rss', (p) => p.rssBytes / 2 ** 20),
        s('heap used', (p) => p.heapUsedBytes / 2 ** 20),
      ]),
      lineChart('descriptors, handles, pool', 'count', [
        s('open fds', (p) => p.openFds),
        s('active handles', (p) => p.activeHandles),
        s('db connections in use', (p) => p.poolInUse),
      ]),
      lineChart('event loop', 'ratio / ms', [
        s('utilization', (p) => p.loopUtilization),
        s('delay p99 (ms)', (p) => p.loopDelayP99Ms),
      ]),
    );
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>collab-docs loadtest</title>
<style>body{font:14px sans-serif;margin:2em;max-width:960px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#f4f4f4}figure{margin:1em 0}figcaption{font-weight:bold}</style>
</head><body>
${parts.join('\n')}
</body></html>
`;
}

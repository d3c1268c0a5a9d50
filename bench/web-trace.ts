/**
 * Summarises a cold open's Chrome trace (from `BENCH_WEB_TRACE=dir npm run bench:web`): the
 * renderer main thread's tasks in order, each with its start (ms since the navigation), its length
 * and what it spent the time on (scripts by file, style, layout, paint, animation-frame callbacks),
 * plus the app's `collab-docs:*` marks, so the work between two marks (e.g. `editable` and the
 * frame in which the bench finds the text) can be read off.
 *
 *   node bench/web-trace.ts <cold-N.json> [--from 700] [--min 2]
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type TraceEvent = {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: Record<string, unknown> };
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { from: { type: 'string', default: '0' }, min: { type: 'string', default: '2' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: node bench/web-trace.ts <cold-N.json> [--from ms] [--min ms]');
const raw = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
const events = Array.isArray(raw) ? raw : raw.traceEvents;

// The renderer the document ran in: the one whose main thread recorded the app's marks.
const firstMark = events.find((e) => e.name.startsWith('collab-docs:'));
if (!firstMark) throw new Error('no collab-docs:* marks in the trace (was blink.user_timing recorded?)');
const { pid } = firstMark;
const main = events.find((e) => e.pid === pid && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')?.tid;
// The navigation's start is recorded by the renderer it began in, which may not be the one the
// document ended up in (a process swap): the latest one before the first mark, any renderer.
const navigations = events.filter((e) => e.name === 'navigationStart' && e.ts <= firstMark.ts);
const nav = [...navigations.filter((e) => e.pid === pid), ...navigations].sort((a, b) => b.ts - a.ts)[0];
if (!nav) throw new Error('no navigationStart in the renderer');
const t0 = nav.ts;
const ms = (ts: number) => (ts - t0) / 1000;

const onMain = events.filter((e) => e.pid === pid && e.tid === main && e.ts >= t0);
const marks = onMain
  .filter((e) => e.name.startsWith('collab-docs:') && e.cat.includes('user_timing'))
  .map((e) => ({ at: ms(e.ts), name: e.name.slice('collab-docs:'.length) }));
// Complete events only (ph X); top-level tasks are the scheduler's RunTask.
const complete = onMain.filter((e) => e.ph === 'X' && typeof e.dur === 'number');
const tasks = complete.filter((e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask');

/** What a task's time went to: the innermost-named kinds we care about, summed by label. */
function breakdown(task: TraceEvent): string {
  const end = task.ts + (task.dur ?? 0);
  const inside = complete.filter((e) => e !== task && e.ts >= task.ts && e.ts < end);
  const parts = new Map<string, number>();
  for (const e of inside) {
    let label: string | undefined;
    const data = e.args?.data ?? {};
    const url = typeof data.url === 'string' ? data.url.replace(/^.*\/assets\//, '').replace(/-[\w-]{8}\.js$/, '') : '';
    if (e.name === 'EvaluateScript' || e.name === 'v8.evaluateModule') label = `eval ${url}`;
    else if (e.name === 'v8.compile' || e.name === 'v8.compileModule') label = `compile ${url}`;
    else if (e.name === 'FunctionCall') label = `js ${url}${data.functionName ? `:${data.functionName}` : ''}`;
    else if (e.name === 'FireAnimationFrame') label = 'rAF';
    else if (e.name === 'TimerFire') label = 'timer';
    else if (e.name === 'EventDispatch') label = `event ${data.type ?? ''}`;
    else if (['UpdateLayoutTree', 'Layout', 'Paint', 'PrePaint', 'Layerize', 'Commit', 'ParseHTML'].includes(e.name))
      label = e.name;
    else if (e.name === 'V8.GCScavenger' || e.name === 'MajorGC' || e.name === 'MinorGC') label = 'gc';
    if (label) parts.set(label, (parts.get(label) ?? 0) + (e.dur ?? 0) / 1000);
  }
  return [...parts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ');
}

const from = Number(values.from);
const min = Number(values.min);
const rows: [number, string][] = [];
for (const t of tasks) {
  const at = ms(t.ts);
  const dur = (t.dur ?? 0) / 1000;
  if (at < from || dur < min) continue;
  rows.push([at, `${at.toFixed(1).padStart(7)}  task ${dur.toFixed(1).padStart(6)} ms  ${breakdown(t)}`]);
}
for (const m of marks) if (m.at >= from) rows.push([m.at, `${m.at.toFixed(1).padStart(7)}  ---- ${m.name}`]);
for (const e of onMain.filter((x) => x.name === 'FireAnimationFrame' && ms(x.ts) >= from))
  rows.push([ms(e.ts), `${ms(e.ts).toFixed(1).padStart(7)}  (animation frame)`]);
// Beside the trace (bench/web.ts writes it): when each WebSocket frame reached the browser process.
const wsFile = file.replace(/\.json$/, '.ws.json');
if (existsSync(wsFile)) {
  const frames = JSON.parse(readFileSync(wsFile, 'utf8')) as { ts: number; dir: string; bytes: number }[];
  for (const f of frames)
    if (ms(f.ts) >= from)
      rows.push([ms(f.ts), `${ms(f.ts).toFixed(1).padStart(7)}  ws ${f.dir} ${f.bytes} B (network)`]);
}
rows.sort((a, b) => a[0] - b[0]);
process.stdout.write(`${rows.map((r) => r[1]).join('\n')}\n`);

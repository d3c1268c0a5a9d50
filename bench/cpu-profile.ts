/**
 * Summarises a V8 `.cpuprofile` (from `BENCH_CPU_PROF=dir npm run bench:api`): self and
 * inclusive time by package / src module, and the hottest functions.
 *
 *   npx node bench/cpu-profile.ts <file.cpuprofile> [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

/** Groups a frame by where its code lives: a package, a src/ module, Node internals, or V8. */
export function areaOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `pkg:${pkg[1]}`;
  const src = /\/(src|bench|bin)\/(.+)$/.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  return url;
}

const keyOf = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${areaOf(f)}:${f.lineNumber + 1}`;

function summarise(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfByArea = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  const inclByArea = new Map<string, number>();
  const inclByFn = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let total = 0;
  let idle = 0;

  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    total += dt;
    add(selfByArea, areaOf(node.callFrame), dt);
    add(selfByFn, keyOf(node.callFrame), dt);
    // Inclusive: count each area / function once per sample however deep it recurses.
    const areas = new Set<string>();
    const fns = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (!f || f.functionName === '(root)') continue;
      areas.add(areaOf(f));
      fns.add(keyOf(f));
    }
    for (const a of areas) add(inclByArea, a, dt);
    for (const f of fns) add(inclByFn, f, dt);
  });

  const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)} %`;
  const table = (title: string, m: Map<string, number>) =>
    [
      `\n${title}`,
      ...[...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([k, v]) => `  ${pct(v)}  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`),
    ].join('\n');
  const wall = (profile.endTime - profile.startTime) / 1000;
  return [
    `wall ${(wall / 1000).toFixed(1)} s, busy ${(total / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s`,
    table('self time by area', selfByArea),
    table('inclusive time by area', inclByArea),
    table('self time by function', selfByFn),
    table('inclusive time by function', inclByFn),
  ].join('\n');
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } });
const file = positionals[0];
if (!file) {
  console.error('usage: node bench/cpu-profile.ts <file.cpuprofile> [--top N]');
  process.exit(2);
}
console.log(summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(values.top ?? 25)));

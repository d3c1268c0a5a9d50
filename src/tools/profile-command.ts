/**
 * `collab-docs profile`: takes a CPU or heap profile of a live instance through its operator
 * API, saves the pprof file, and prints the top functions by self and total value so the hot
 * path is visible without other tools (`go tool pprof -http=: <file>` for flame graphs).
 */
import { writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';

export type ProfileCommandOptions = {
  url: string;
  type: 'cpu' | 'heap';
  seconds: number;
  out?: string;
  token: string | undefined;
  top: number;
  /** Rank by self (where the CPU is spent) or total (which of our functions lead to it). */
  sort?: 'self' | 'total';
  /** Only functions whose file matches (e.g. `src/`: our code only). */
  match?: RegExp;
  print: (line: string) => void;
};

export type FunctionCost = { name: string; file: string; self: number; total: number };

/** Self (leaf) and total (anywhere on the stack) of each function, for the profile's last sample type. */
export function topFunctions(
  profile: Profile,
  limit: number,
  opts: { sort?: 'self' | 'total'; match?: RegExp } = {},
): { unit: string; sum: number; rows: FunctionCost[] } {
  const strings = profile.stringTable.strings;
  const valueIndex = profile.sampleType.length - 1;
  const unit = strings[Number(profile.sampleType[valueIndex]?.unit)] ?? '';
  const fnOfLocation = new Map<string, number>();
  for (const loc of profile.location) fnOfLocation.set(String(loc.id), Number(loc.line[0]?.functionId ?? 0));
  const fns = new Map<number, { name: string; file: string }>();
  for (const f of profile.function) {
    fns.set(Number(f.id), { name: strings[Number(f.name)] ?? '?', file: strings[Number(f.filename)] ?? '' });
  }
  const cost = new Map<number, FunctionCost>();
  const entry = (id: number) => {
    let c = cost.get(id);
    if (!c) {
      const f = fns.get(id) ?? { name: '?', file: '' };
      c = { ...f, self: 0, total: 0 };
      cost.set(id, c);
    }
    return c;
  };
  let sum = 0;
  for (const s of profile.sample) {
    const v = Number(s.value[valueIndex] ?? 0);
    sum += v;
    const ids = s.locationId.map((l) => fnOfLocation.get(String(l)) ?? 0);
    if (ids.length > 0) entry(ids[0] as number).self += v;
    for (const id of new Set(ids)) entry(id).total += v;
  }
  const by = opts.sort ?? 'self';
  const rows = [...cost.values()]
    .filter((c) => !opts.match || opts.match.test(c.file))
    .sort((a, b) => b[by] - a[by] || b.total - a.total)
    .slice(0, limit);
  return { unit, sum, rows };
}

const shortFile = (file: string) => file.replace(/^file:\/\//, '').replace(/^.*\/(node_modules\/|src\/)/, '$1');

export async function runProfileCommand(o: ProfileCommandOptions): Promise<number> {
  if (!o.token) {
    o.print('OPERATOR_TOKEN is not set: the operator API needs it (docs/operations.md "Profiling")');
    return 78;
  }
  const target = new URL(`/api/v1/operator/profile?type=${o.type}&seconds=${o.seconds}`, o.url);
  o.print(`profiling ${target.origin} (${o.type}, ${o.seconds} s)…`);
  const res = await fetch(target, { headers: { authorization: `Bearer ${o.token}` } });
  if (!res.ok) {
    o.print(`${res.status} ${res.statusText}: ${await res.text()}`);
    return 1;
  }
  const body = Buffer.from(await res.arrayBuffer());
  const out = o.out ?? `${o.type}-${new Date().toISOString().replace(/[:.]/g, '-')}.pb.gz`;
  await writeFile(out, body);
  const sort = o.sort ?? 'self';
  const { unit, sum, rows } = topFunctions(Profile.decode(gunzipSync(body)), o.top, { sort, match: o.match });
  const fmt = (v: number) => (unit === 'nanoseconds' ? `${(v / 1e6).toFixed(1)} ms` : `${(v / 1024).toFixed(0)} KiB`);
  const pct = (v: number) => `${((100 * v) / Math.max(1, sum)).toFixed(1)}%`.padStart(6);
  o.print(
    `saved ${out} (${body.byteLength} bytes); total ${fmt(sum)}; top ${rows.length} by ${sort}` +
      `${o.match ? ` in files matching ${o.match.source}` : ''}:`,
  );
  o.print(
    `${'self'.padStart(12)} ${'self%'.padStart(6)} ${'total'.padStart(12)} ${'total%'.padStart(6)}  function (file)`,
  );
  for (const r of rows) {
    o.print(
      `${fmt(r.self).padStart(12)} ${pct(r.self)} ${fmt(r.total).padStart(12)} ${pct(r.total)}  ${r.name} (${shortFile(r.file)})`,
    );
  }
  return 0;
}

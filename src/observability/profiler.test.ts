/** On-demand profiles parse as pprof (pprof-format decode) and name the functions that ran. */
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { topFunctions } from '../tools/profile-command.ts';
import { captureProfile, ProfileBusy } from './profiler.ts';

const functionNames = (p: Profile) => new Set(p.function.map((f) => p.stringTable.strings[Number(f.name)]));
const fileNames = (p: Profile) => new Set(p.function.map((f) => p.stringTable.strings[Number(f.filename)]));

/** Burns CPU in slices so timers (the profile's end) still run. */
function spinProfilerProbe(until: number): number {
  let x = 0;
  for (let i = 0; i < 200_000; i++) x += Math.sqrt(i) % 7;
  return Date.now() < until ? x : -x;
}

const retained: unknown[] = [];
function allocateProfilerProbe(): void {
  for (let i = 0; i < 2_000; i++) retained.push({ i, text: `row ${i}`.repeat(20) });
}

describe('live profiles', () => {
  it('CPU: a pprof profile whose samples name the function that burned the CPU', async () => {
    const busy = setInterval(() => spinProfilerProbe(Date.now()), 1);
    try {
      const profile = Profile.decode(gunzipSync(await captureProfile('cpu', 1)));
      const types = profile.sampleType.map((t) => profile.stringTable.strings[Number(t.type)]);
      expect(types).toEqual(['samples', 'cpu']);
      expect(profile.sample.length).toBeGreaterThan(0);
      expect(functionNames(profile)).toContain('spinProfilerProbe');
      expect([...fileNames(profile)].some((f) => f?.endsWith('profiler.test.ts'))).toBe(true);
      expect(Number(profile.durationNanos)).toBeGreaterThan(0.9e9);
      // The CLI's views: by total, only this file's functions — the probe (and the timer callback
      // that calls it) lead, totals descend.
      const ours = topFunctions(profile, 5, { sort: 'total', match: /profiler\.test\.ts$/ }).rows;
      expect(ours.slice(0, 2).map((r) => r.name)).toContain('spinProfilerProbe');
      expect(ours.every((r) => r.file.endsWith('profiler.test.ts'))).toBe(true);
      expect(ours.map((r) => r.total)).toEqual([...ours.map((r) => r.total)].sort((a, b) => b - a));
    } finally {
      clearInterval(busy);
    }
  });

  it('heap: a pprof profile of live allocations by stack, one profile at a time', async () => {
    const pending = captureProfile('heap', 1);
    await expect(captureProfile('cpu', 1)).rejects.toBeInstanceOf(ProfileBusy);
    const filler = setInterval(allocateProfilerProbe, 20);
    let profile: Profile;
    try {
      profile = Profile.decode(gunzipSync(await pending));
    } finally {
      clearInterval(filler);
    }
    const types = profile.sampleType.map((t) => profile.stringTable.strings[Number(t.type)]);
    expect(types).toEqual(['inuse_objects', 'inuse_space']);
    expect(functionNames(profile)).toContain('allocateProfilerProbe');
    retained.length = 0;
  });
});

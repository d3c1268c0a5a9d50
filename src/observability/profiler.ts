/**
 * On-demand profiles of this live process in pprof format (gzip-compressed protobuf, what
 * `go tool pprof`, Pyroscope and Speedscope read): CPU for N seconds, or the allocations still
 * live after N seconds of heap sampling. Taken through the in-process V8 inspector rather than
 * @datadog/pprof, so an on-demand profile never collides with the continuous Pyroscope agent
 * (which owns @datadog/pprof's single time and heap profilers); the V8 profiles are converted to
 * pprof with pprof-format.
 */
import { Session } from 'node:inspector/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  type FunctionInput,
  type LocationInput,
  Profile,
  type SampleInput,
  StringTable,
  type ValueTypeInput,
} from 'pprof-format';

export const PROFILE_TYPES = ['cpu', 'heap'] as const;
export type ProfileType = (typeof PROFILE_TYPES)[number];

/** CPU sampling period (µs): 1 kHz is the usual trade-off between detail and overhead. */
const CPU_SAMPLING_INTERVAL_US = 1_000;
/** One heap sample per 32 KiB allocated on average (V8's default is 32 KiB too). */
const HEAP_SAMPLING_INTERVAL_BYTES = 32 * 1024;

const gzipAsync = promisify(gzip);

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number; scriptId: string };
type CpuNode = { id: number; callFrame: CallFrame; children?: number[] };
type CpuProfile = { nodes: CpuNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] };
type HeapNode = { callFrame: CallFrame; selfSize: number; id: number; children: HeapNode[] };
type HeapProfile = { head: HeapNode; samples: Array<{ size: number; nodeId: number }> };

export class ProfileBusy extends Error {}

/** Builds functions and locations keyed by call frame: one location per (function, line). */
class PprofBuilder {
  readonly strings = new StringTable();
  readonly functions: FunctionInput[] = [];
  readonly locations: LocationInput[] = [];
  private readonly functionIds = new Map<string, number>();
  private readonly locationIds = new Map<string, number>();

  location(frame: CallFrame): number {
    const name = frame.functionName || '(anonymous)';
    // V8 lines are 0-based; pprof's are 1-based.
    const line = frame.lineNumber + 1;
    const fnKey = `${name}\u0000${frame.url}`;
    let functionId = this.functionIds.get(fnKey);
    if (functionId === undefined) {
      functionId = this.functions.length + 1;
      this.functionIds.set(fnKey, functionId);
      this.functions.push({
        id: functionId,
        name: this.strings.dedup(name),
        systemName: this.strings.dedup(name),
        filename: this.strings.dedup(frame.url),
        startLine: line,
      });
    }
    const locKey = `${functionId}:${line}`;
    let locationId = this.locationIds.get(locKey);
    if (locationId === undefined) {
      locationId = this.locations.length + 1;
      this.locationIds.set(locKey, locationId);
      this.locations.push({ id: locationId, line: [{ functionId, line }] });
    }
    return locationId;
  }

  valueType(type: string, unit: string): ValueTypeInput {
    return { type: this.strings.dedup(type), unit: this.strings.dedup(unit) };
  }
}

/** V8 CPU profile → pprof: one sample per distinct stack with its count and CPU time. */
export function cpuProfileToPprof(profile: CpuProfile): Profile {
  const b = new PprofBuilder();
  const parent = new Map<number, number>();
  const byId = new Map<number, CpuNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const stacks = new Map<number, number[]>();
  const stackOf = (nodeId: number): number[] => {
    let stack = stacks.get(nodeId);
    if (stack) return stack;
    stack = [];
    for (let id: number | undefined = nodeId; id !== undefined; id = parent.get(id)) {
      const frame = (byId.get(id) as CpuNode).callFrame;
      if (frame.functionName === '(root)') continue;
      stack.push(b.location(frame));
    }
    stacks.set(nodeId, stack);
    return stack;
  };
  const totals = new Map<number, { count: number; nanos: number }>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const nodeId = samples[i] as number;
    // A sample's time is the gap to the next sample (the last one gets the mean interval).
    const next = deltas[i + 1] ?? CPU_SAMPLING_INTERVAL_US;
    const t = totals.get(nodeId) ?? { count: 0, nanos: 0 };
    t.count += 1;
    t.nanos += Math.max(0, next) * 1_000;
    totals.set(nodeId, t);
  }
  const sample: SampleInput[] = [];
  for (const [nodeId, t] of totals) sample.push({ locationId: stackOf(nodeId), value: [t.count, t.nanos] });
  return new Profile({
    sampleType: [b.valueType('samples', 'count'), b.valueType('cpu', 'nanoseconds')],
    sample,
    location: b.locations,
    function: b.functions,
    stringTable: b.strings,
    timeNanos: BigInt(Math.round(Date.now() - (profile.endTime - profile.startTime) / 1_000)) * 1_000_000n,
    durationNanos: (profile.endTime - profile.startTime) * 1_000,
    periodType: b.valueType('cpu', 'nanoseconds'),
    period: CPU_SAMPLING_INTERVAL_US * 1_000,
  });
}

/** V8 sampling heap profile → pprof: live objects (count estimate, bytes) per allocation stack. */
export function heapProfileToPprof(profile: HeapProfile, durationMs: number): Profile {
  const b = new PprofBuilder();
  const sample: SampleInput[] = [];
  const walk = (node: HeapNode, stack: number[]) => {
    const here = node.callFrame.functionName === '(root)' ? stack : [b.location(node.callFrame), ...stack];
    if (node.selfSize > 0) {
      sample.push({
        locationId: here,
        value: [Math.max(1, Math.round(node.selfSize / HEAP_SAMPLING_INTERVAL_BYTES)), node.selfSize],
      });
    }
    for (const child of node.children) walk(child, here);
  };
  walk(profile.head, []);
  return new Profile({
    sampleType: [b.valueType('inuse_objects', 'count'), b.valueType('inuse_space', 'bytes')],
    sample,
    location: b.locations,
    function: b.functions,
    stringTable: b.strings,
    timeNanos: BigInt(Date.now() - durationMs) * 1_000_000n,
    durationNanos: durationMs * 1_000_000,
    periodType: b.valueType('space', 'bytes'),
    period: HEAP_SAMPLING_INTERVAL_BYTES,
  });
}

let busy = false;

/**
 * Profiles this process for `seconds` and resolves with a gzip-compressed pprof. One profile at a
 * time per process (a second caller gets ProfileBusy): two would each slow the other's subject.
 */
export async function captureProfile(type: ProfileType, seconds: number, signal?: AbortSignal): Promise<Buffer> {
  if (busy) throw new ProfileBusy('a profile of this process is already being taken');
  busy = true;
  const session = new Session();
  session.connect();
  try {
    const wait = () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, seconds * 1_000);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    const started = Date.now();
    let profile: Profile;
    if (type === 'cpu') {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: CPU_SAMPLING_INTERVAL_US });
      await session.post('Profiler.start');
      await wait();
      const { profile: v8 } = await session.post('Profiler.stop');
      await session.post('Profiler.disable');
      profile = cpuProfileToPprof(v8 as CpuProfile);
    } else {
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', { samplingInterval: HEAP_SAMPLING_INTERVAL_BYTES });
      await wait();
      const { profile: v8 } = await session.post('HeapProfiler.stopSampling');
      await session.post('HeapProfiler.disable');
      profile = heapProfileToPprof(v8 as HeapProfile, Date.now() - started);
    }
    return await gzipAsync(profile.encode());
  } finally {
    session.disconnect();
    busy = false;
  }
}

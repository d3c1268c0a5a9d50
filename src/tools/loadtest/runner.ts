/**
 * `collab-docs loadtest`: virtual users (journey.ts) against any URL, in three modes.
 *   fixed  N users for a duration.
 *   ramp   start with N users and add `step` every `stepSeconds` until an SLO breaks; reports the
 *          breaking point (the last level that met every SLO) and which SLO broke.
 *   soak   N users for a duration while scraping the server's /metrics; slopes and a leak verdict.
 * A progress line on stderr every second, a JSON result, and an HTML report (report.ts).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { type JourneyKind, VirtualUser } from './journey.ts';
import { type LeakVerdict, leakVerdict, ServerScraper, type ServerSnapshot } from './server-metrics.ts';
import { type OpSummary, percentile, type Sample, summarize, timeline } from './stats.ts';

export type Mode = 'fixed' | 'ramp' | 'soak';

/** A session outlives a few journeys, as in the web app (journey.ts). */
export const DEFAULT_JOURNEYS_PER_LOGIN = 10;

export type Slo = {
  httpP95Ms: number;
  /** Sign-up and log-in: password hashing (scrypt) is slow on purpose, so they have their own bound. */
  authP95Ms: number;
  keystrokeP95Ms: number;
  errorRatio: number;
};

export type LoadtestOptions = {
  url: string;
  mode: Mode;
  journey: JourneyKind;
  users: number;
  durationSeconds: number;
  step: number;
  stepSeconds: number;
  maxUsers: number;
  thinkMs: number;
  keystrokes: number;
  /** Full journey: a user logs in again every this many journeys (1: every journey). */
  journeysPerLogin?: number;
  password: string;
  slo: Slo;
  scrapeSeconds: number;
  /** Journeys per user before it stops (fixed and soak end early when every user is done). */
  journeys?: number;
  progress: (line: string) => void;
  random?: () => number;
};

/** The load generator's own event loop over a window: its utilization (0..1) and delay p99. */
export type GeneratorLoad = { elu: number; delayP99Ms: number };

export type StepResult = {
  users: number;
  startedAt: number;
  ops: Record<string, OpSummary>;
  broken: string[];
  generator: GeneratorLoad;
};

/**
 * Above this event-loop utilization the generator's own queueing is in the latencies it measures
 * (a response waits for the loop before its timer stops): the result says so.
 */
export const GENERATOR_BUSY_ELU = 0.8;

/** Once a second: how busy the generator's event loop was over that second. */
class GeneratorMonitor {
  readonly samples: Array<{ t: number } & GeneratorLoad> = [];
  private last = performance.eventLoopUtilization();
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.delay.enable();
  }

  tick(): GeneratorLoad {
    const now = performance.eventLoopUtilization();
    const load = {
      elu: performance.eventLoopUtilization(now, this.last).utilization,
      delayP99Ms: this.delay.count > 0 ? this.delay.percentile(99) / 1e6 : 0,
    };
    this.last = now;
    this.delay.reset();
    this.samples.push({ t: Date.now(), ...load });
    return load;
  }

  /** Mean utilization and worst delay p99 of the seconds since `from`. */
  over(from: number): GeneratorLoad {
    const window = this.samples.filter((s) => s.t >= from);
    if (window.length === 0) return { elu: 0, delayP99Ms: 0 };
    const r = (v: number) => Math.round(v * 100) / 100;
    return {
      elu: r(window.reduce((sum, s) => sum + s.elu, 0) / window.length),
      delayP99Ms: r(Math.max(...window.map((s) => s.delayP99Ms))),
    };
  }

  stop(): void {
    this.delay.disable();
  }
}

export type LoadtestResult = {
  mode: Mode;
  journey: JourneyKind;
  url: string;
  startedAt: string;
  durationSeconds: number;
  users: number;
  slo: Slo;
  ops: Record<string, OpSummary>;
  throughput: Record<string, number>;
  steps?: StepResult[];
  breakingPoint?: { users: number | null; brokeAt: number | null; slo: string[] };
  soak?: LeakVerdict & { snapshots: ServerSnapshot[] };
  /** The generator's own load over the run, and warnings when it was too busy to measure honestly. */
  generator: GeneratorLoad & { warnings: string[] };
  timeline: ReturnType<typeof timeline>;
};

/** The product's request path; sign-up and log-in are judged apart (AUTH_OPS). */
const HTTP_OPS = new Set(['create', 'list', 'search', 'export']);
const AUTH_OPS = new Set(['signup', 'login']);

function p95Over(samples: Sample[], ops: Set<string>): { n: number; p95: number } {
  const ms = samples.filter((s) => ops.has(s.op) && s.ok).map((s) => s.ms);
  ms.sort((a, b) => a - b);
  return { n: ms.length, p95: percentile(ms, 95) };
}

/** Which SLOs a window of samples breaks (empty: all met). */
export function brokenSlos(samples: Sample[], slo: Slo): string[] {
  const broken: string[] = [];
  const http = p95Over(samples, HTTP_OPS);
  if (http.n > 0 && http.p95 > slo.httpP95Ms) broken.push(`http p95 ${http.p95.toFixed(0)} ms > ${slo.httpP95Ms} ms`);
  const auth = p95Over(samples, AUTH_OPS);
  if (auth.n > 0 && auth.p95 > slo.authP95Ms) {
    broken.push(`sign-up/log-in p95 ${auth.p95.toFixed(0)} ms > ${slo.authP95Ms} ms`);
  }
  const keys = samples.filter((s) => s.op === 'keystroke' && s.ok).map((s) => s.ms);
  keys.sort((a, b) => a - b);
  const keyP95 = percentile(keys, 95);
  if (keys.length > 0 && keyP95 > slo.keystrokeP95Ms) {
    broken.push(`keystroke-to-saved p95 ${keyP95.toFixed(0)} ms > ${slo.keystrokeP95Ms} ms`);
  }
  const errors = samples.filter((s) => !s.ok).length;
  if (samples.length > 0 && errors / samples.length > slo.errorRatio) {
    broken.push(`errors ${((100 * errors) / samples.length).toFixed(1)} % > ${(100 * slo.errorRatio).toFixed(1)} %`);
  }
  return broken;
}

/** Where the generator was the bottleneck: a step judged while it was busy, or a busy run. */
function generatorWarnings(monitor: GeneratorMonitor, steps: StepResult[]): string[] {
  const busy = (g: GeneratorLoad) =>
    `event-loop utilization ${g.elu.toFixed(2)}, delay p99 ${g.delayP99Ms.toFixed(0)} ms`;
  const advice = 'its own queueing is in these latencies: run it on another machine, or as several processes';
  const warnings = steps
    .filter((s) => s.generator.elu > GENERATOR_BUSY_ELU)
    .map((s) => `the load generator was saturated at ${s.users} users (${busy(s.generator)}): ${advice}`);
  const whole = monitor.over(0);
  if (steps.length === 0 && whole.elu > GENERATOR_BUSY_ELU) {
    warnings.push(`the load generator was saturated (${busy(whole)}): ${advice}`);
  }
  return warnings;
}

export async function runLoadtest(o: LoadtestOptions): Promise<LoadtestResult> {
  const random = o.random ?? Math.random;
  const samples: Sample[] = [];
  const start = Date.now();
  let stopping = false;
  const running: Promise<void>[] = [];
  const users: VirtualUser[] = [];
  const addUsers = (n: number) => {
    for (let i = 0; i < n; i++) {
      const user = new VirtualUser({
        baseUrl: o.url,
        journey: o.journey,
        thinkMs: o.thinkMs,
        keystrokes: o.keystrokes,
        journeysPerLogin: o.journeysPerLogin ?? DEFAULT_JOURNEYS_PER_LOGIN,
        password: o.password,
        record: (s) => samples.push(s),
        stopped: () => stopping,
        random,
      });
      users.push(user);
      // Spread arrivals over a second so a step is not one burst of sign-ups.
      running.push(new Promise((r) => setTimeout(r, random() * 1_000)).then(() => user.run(o.journeys)));
    }
  };

  const scraper = o.mode === 'soak' ? new ServerScraper(o.url) : undefined;
  let scrapeError: unknown;
  const scrapeTimer =
    scraper &&
    setInterval(() => {
      scraper.scrape().catch((err: unknown) => {
        scrapeError = err;
      });
    }, o.scrapeSeconds * 1_000);
  await scraper?.scrape();

  const monitor = new GeneratorMonitor();
  let seen = 0;
  const progressTimer = setInterval(() => {
    const gen = monitor.tick();
    const window = samples.slice(seen);
    seen = samples.length;
    const sum = summarize(window);
    const http = window.filter((s) => HTTP_OPS.has(s.op) && s.ok).map((s) => s.ms);
    http.sort((a, b) => a - b);
    const errors = window.filter((s) => !s.ok).length;
    const last = scraper?.snapshots.at(-1);
    o.progress(
      `[${o.mode}] t=${Math.round((Date.now() - start) / 1000)}s users=${users.length} ops/s=${window.length}` +
        ` http p95=${percentile(http, 95).toFixed(0)}ms keystroke p95=${(sum.keystroke?.p95 ?? 0).toFixed(0)}ms` +
        ` errors=${errors} generator elu=${gen.elu.toFixed(2)}${last ? ` rss=${Math.round(last.rssBytes / 2 ** 20)}MB heap=${Math.round(last.heapUsedBytes / 2 ** 20)}MB fds=${last.openFds}` : ''}`,
    );
  }, 1_000);

  const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1_000));
  const steps: StepResult[] = [];
  let breakingPoint: LoadtestResult['breakingPoint'];
  try {
    if (o.mode === 'ramp') {
      let level = o.users;
      let lastGood: number | null = null;
      addUsers(level);
      for (;;) {
        const stepStart = Date.now();
        await sleep(o.stepSeconds);
        // Judge the second half of the step: the first half still carries the new users' sign-ups.
        const judgedFrom = stepStart + (o.stepSeconds * 1_000) / 2;
        const judged = samples.filter((s) => s.t >= judgedFrom);
        const broken = brokenSlos(judged, o.slo);
        steps.push({
          users: level,
          startedAt: (stepStart - start) / 1000,
          ops: summarize(judged),
          broken,
          generator: monitor.over(judgedFrom),
        });
        if (broken.length > 0) {
          breakingPoint = { users: lastGood, brokeAt: level, slo: broken };
          break;
        }
        lastGood = level;
        if (level + o.step > o.maxUsers) {
          breakingPoint = { users: lastGood, brokeAt: null, slo: [] };
          break;
        }
        addUsers(o.step);
        level += o.step;
      }
    } else {
      addUsers(o.users);
      await Promise.race([sleep(o.durationSeconds), Promise.all(running)]);
    }
  } finally {
    stopping = true;
    clearInterval(progressTimer);
    monitor.stop();
    if (scrapeTimer) clearInterval(scrapeTimer);
    await Promise.all(running);
  }
  await scraper?.scrape();
  if (scrapeError && scraper && scraper.snapshots.length === 0) throw scrapeError;
  const elapsed = (Date.now() - start) / 1000;
  const ops = summarize(samples);
  const throughput: Record<string, number> = {};
  for (const [op, sum] of Object.entries(ops))
    throughput[op] = Math.round(((sum.count - sum.errors) / elapsed) * 10) / 10;
  return {
    mode: o.mode,
    journey: o.journey,
    url: o.url,
    startedAt: new Date(start).toISOString(),
    durationSeconds: Math.round(elapsed),
    users: users.length,
    slo: o.slo,
    ops,
    throughput,
    ...(o.mode === 'ramp' && { steps, breakingPoint }),
    ...(scraper && { soak: { ...leakVerdict(scraper.snapshots), snapshots: scraper.snapshots } }),
    generator: { ...monitor.over(start), warnings: generatorWarnings(monitor, steps) },
    timeline: timeline(samples, start, Math.max(1_000, Math.round((elapsed * 1_000) / 120 / 1_000) * 1_000)),
  };
}

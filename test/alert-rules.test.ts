/**
 * The Prometheus rules and the Grafana dashboard stay true to the code: promtool checks the rules
 * and runs their unit tests, every alert has a unit test and a runbook section that exists, and
 * every metric family the application exports is on a dashboard panel or in a rule.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisMetrics } from '../src/observability/redis-metrics.ts';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

const run = promisify(execFile);
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const RULES = 'deploy/prometheus/alerts.yml';
const RULE_TESTS = 'deploy/prometheus/alerts.test.yml';

/** promtool ships with Debian's `prometheus` package (.ci/run installs it). */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: new URL('..', import.meta.url).pathname });
    return stdout + stderr;
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool not found: install the Debian package `prometheus`');
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Alert name → its runbook_url, read from the rules file (one `- alert:` block each). */
function alerts(): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const block of read(RULES)
    .split(/\n\s*- alert: /)
    .slice(1)) {
    const name = /^(\w+)/.exec(block)?.[1] as string;
    out.set(name, /runbook_url: "([^"]+)"/.exec(block.split(/\n\s*- (alert|record): /)[0] ?? '')?.[1]);
  }
  return out;
}

/**
 * Every metric family the source declares, read from the files that import prom-client: the
 * `name: '…'` of each metric (and of name tables such as top-talkers'), and the first argument of
 * local gauge helpers (`poolGauge('db_pool_waiting', 'help…')`). A scrape alone misses families a
 * module creates lazily or only in a role or backend the test app does not run (the seat ledger on
 * Redis, the worker's renderer, images on S3…); the source misses none.
 */
function declaredFamilies(): { families: Set<string>; files: string[] } {
  const families = new Set<string>();
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(new URL(`../${dir}`, import.meta.url), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) {
        const text = read(path);
        if (!/from 'prom-client'/.test(text)) continue;
        files.push(path);
        for (const m of text.matchAll(/\bname: '([a-z][a-z0-9_:]*)'/g)) families.add(m[1] as string);
        for (const m of text.matchAll(/\b\w+\(\s*'([a-z][a-z0-9_]*)',\s*'[A-Z]/g)) families.add(m[1] as string);
      }
    }
  };
  walk('src');
  return { families, files };
}

/** The PromQL of every panel, nested ones (inside collapsed rows) included. */
function panelExpressions(): string[] {
  type Panel = { targets?: Array<{ expr?: string }>; panels?: Panel[] };
  const dashboard = JSON.parse(read('deploy/grafana/collab-docs.json')) as { panels: Panel[] };
  const out: string[] = [];
  const walk = (p: Panel) => {
    for (const t of p.targets ?? []) out.push(t.expr ?? '');
    for (const child of p.panels ?? []) walk(child);
  };
  for (const p of dashboard.panels) walk(p);
  return out;
}

/** Families that no panel expression and no rule mentions. */
function unused(families: Iterable<string>): string[] {
  const used = [read(RULES), ...panelExpressions()].join('\n');
  return [...families].filter((name) => !new RegExp(`(?<![\\w])${name}(_bucket|_count|_sum)?(?![\\w])`).test(used));
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

describe('Prometheus rules', () => {
  it('pass promtool check rules', async () => {
    expect(await promtool('check', 'rules', RULES)).toMatch(/SUCCESS/);
  });

  it('pass their promtool unit tests', async () => {
    expect(await promtool('test', 'rules', RULE_TESTS)).toMatch(/SUCCESS/);
  });

  it('give every alert a unit test and a runbook_url to a section of docs/operations.md that exists', () => {
    const tests = read(RULE_TESTS);
    const anchors = new Set(
      read('docs/operations.md')
        .split('\n')
        .filter((l) => /^#{2,4} /.test(l))
        .map((l) => slug(l.replace(/^#+ /, ''))),
    );
    const names = alerts();
    expect(names.size).toBeGreaterThanOrEqual(30);
    for (const [name, url] of names) {
      expect(tests, `${name} has no unit test in ${RULE_TESTS}`).toMatch(
        new RegExp(`alertname: ${name}\\b|alertname="${name}"`),
      );
      expect(url, `${name} has no runbook_url`).toMatch(/^docs\/operations\.md#/);
      const anchor = (url as string).split('#')[1] as string;
      expect(anchors.has(anchor), `${name}: docs/operations.md has no section #${anchor}`).toBe(true);
    }
  });
});

describe('metric families in the source', () => {
  it('are each on a Grafana panel or in an alert or recording rule', () => {
    const { families, files } = declaredFamilies();
    // The scan found the modules and names it should (a broken pattern would pass vacuously).
    expect(files).toContain('src/observability/sync-metrics.ts');
    for (const name of [
      'sync_seat_ledger_seconds',
      'db_pool_waiting',
      'top_talker_workspace_requests',
      'mail_failed_total',
    ])
      expect(families).toContain(name);
    expect(families.size).toBeGreaterThan(100);
    expect(unused(families), 'add a panel to deploy/grafana/collab-docs.json or a rule for these').toEqual([]);
  });
});

describe.each(backends.slice(0, 1))('metric families on $name', (backend) => {
  let t: TestApp;
  let redisMetrics: RedisMetrics;
  beforeAll(async () => {
    // Every optional family too: the external renderer's breaker, Redis, tail sampling.
    t = await startTestApp(backend, { EXPORT_EXTERNAL_RENDERER_URL: 'http://127.0.0.1:9' });
    redisMetrics = new RedisMetrics(t.app.metrics.registry);
    t.app.metrics.registerTraceSampling(() => ({
      keptTraces: 1,
      droppedTraces: 2,
      evictedTraces: 0,
      droppedSpans: 0,
      pendingTraces: 0,
    }));
  });
  afterAll(async () => {
    redisMetrics.close();
    await t.close();
  });

  it('scraped, are each on a Grafana panel or in an alert or recording rule', async () => {
    const res = await t.request('GET', '/metrics');
    const families = [...res.body.matchAll(/^# TYPE (\w+) (\w+)$/gm)].map((m) => m[1] as string);
    expect(families.length).toBeGreaterThan(60);
    // prom-client's own families (process_*, nodejs_*) exist only in a scrape.
    const missing = unused(families);
    expect(missing, 'add a panel to deploy/grafana/collab-docs.json or a rule for these').toEqual([]);
  });
});

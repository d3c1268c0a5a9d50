/**
 * `collab-docs loadtest` against a real server on loopback, briefly: the full journey (HTTP and
 * the WebSocket client) in fixed mode with its JSON and HTML report, a ramp whose SLO breaks at
 * once, and a soak that reads the server's /metrics.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runLoadtestCommand } from '../src/tools/loadtest/command.ts';
import { runLoadtest } from '../src/tools/loadtest/runner.ts';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

const base = {
  journey: 'full' as const,
  users: 2,
  durationSeconds: 3,
  step: 1,
  stepSeconds: 2,
  maxUsers: 3,
  thinkMs: 50,
  keystrokes: 3,
  password: 'loadtest-password-0123',
  slo: { httpP95Ms: 10_000, authP95Ms: 10_000, keystrokeP95Ms: 10_000, errorRatio: 0.5 },
  scrapeSeconds: 1,
  progress: () => undefined,
};

describe.each(backends)('collab-docs loadtest [$name]', (backend) => {
  let t: TestApp;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp(backend, { PORT: '0', HOST: '127.0.0.1' });
    url = await t.app.listen();
    dir = mkdtempSync(join(tmpdir(), 'cd-loadtest-'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fixed: users follow the journey over HTTP and WebSocket; JSON result and an HTML report with SVG charts', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const json = join(dir, 'fixed.json');
    const html = join(dir, 'fixed.html');
    try {
      const code = await runLoadtestCommand(
        [
          '--url',
          url,
          '--users',
          '2',
          '--journeys',
          '2',
          '--duration',
          '600',
          '--think-ms',
          '20',
          '--keystrokes',
          '3',
          '--journeys-per-login',
          '1',
        ].concat(['--json', json, '--html', html]),
      );
      expect(code).toBe(0);
    } finally {
      out.mockRestore();
      progress.mockRestore();
    }
    const result = JSON.parse(readFileSync(json, 'utf8'));
    expect(result.mode).toBe('fixed');
    // Two journeys each: sign up, then log in (every journey logs in with --journeys-per-login 1).
    for (const op of ['signup', 'login', 'create', 'list', 'open', 'keystroke', 'search', 'export']) {
      expect(result.ops[op]?.count ?? 0, `${op}: ${JSON.stringify(result.ops)}`).toBeGreaterThan(0);
    }
    expect(result.ops.keystroke.errors).toBe(0);
    expect(result.timeline.length).toBeGreaterThan(0);
    const report = readFileSync(html, 'utf8');
    expect(report).toContain('<svg');
    expect(report).toContain('p95 latency by operation');
    expect(report).not.toMatch(/<script|https?:\/\/cdn/);
  });

  it('ramp: stops at the first level that breaks an SLO and names it', async () => {
    const result = await runLoadtest({ ...base, url, mode: 'ramp', users: 1, slo: { ...base.slo, httpP95Ms: 0 } });
    expect(result.breakingPoint).toEqual({
      users: null,
      brokeAt: 1,
      slo: [expect.stringMatching(/^http p95 \d+ ms > 0 ms$/)],
    });
    expect(result.steps).toHaveLength(1);
    // The generator measures its own event loop, per step and over the run.
    expect(result.steps?.[0]?.generator.elu).toBeGreaterThanOrEqual(0);
    expect(result.generator.elu).toBeLessThanOrEqual(1);
    expect(Array.isArray(result.generator.warnings)).toBe(true);
  });

  it('a session outlives journeys: by default users log in again only every 10 journeys', async () => {
    const result = await runLoadtest({ ...base, url, mode: 'fixed', users: 1, journeys: 3, durationSeconds: 600 });
    expect(result.ops.signup?.count).toBe(1);
    expect(result.ops.login).toBeUndefined();
    // Each journey lists workspaces and then documents: one sample per request.
    expect(result.ops.list?.count).toBe(6);
  });

  it('soak: reads memory, descriptors, pools and the event loop from /metrics and gives a verdict', async () => {
    const lines: string[] = [];
    const result = await runLoadtest({
      ...base,
      url,
      mode: 'soak',
      durationSeconds: 3,
      progress: (l) => lines.push(l),
    });
    expect(result.soak?.snapshots.length).toBeGreaterThanOrEqual(2);
    const last = result.soak?.snapshots.at(-1);
    expect(last?.rssBytes).toBeGreaterThan(0);
    expect(last?.openFds).toBeGreaterThan(0);
    expect(result.soak?.verdict).toBe('too short to tell');
    expect(lines.some((l) => /^\[soak\] t=\d+s users=2 .* rss=\d+MB/.test(l))).toBe(true);
  });
});

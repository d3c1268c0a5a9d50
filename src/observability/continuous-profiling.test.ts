/** The Pyroscope agent pushes parseable pprof profiles, tagged by role and labelled by route, to the configured server. */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { expect, it } from 'vitest';
import { startContinuousProfiling } from './continuous-profiling.ts';

type Upload = { name: string; profile: Profile };

function busyRoute(until: number): number {
  let x = 0;
  while (Date.now() < until) x += Math.sqrt(x + 1);
  return x;
}

it('pushes wall and heap profiles with role tags and route labels to PYROSCOPE_SERVER_ADDRESS', async () => {
  const uploads: Upload[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      uploads.push({
        name: url.searchParams.get('name') ?? '',
        profile: Profile.decode(gunzipSync(Buffer.concat(chunks))),
      });
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const profiler = await startContinuousProfiling({
    serverAddress: `http://127.0.0.1:${port}`,
    applicationName: 'collab-docs-test',
    roles: ['sync', 'api'],
    flushIntervalMs: 1_000,
  });
  try {
    const deadline = Date.now() + 20_000;
    while (uploads.length < 2 && Date.now() < deadline) {
      profiler.routeStarted('/api/v1/documents/:id');
      busyRoute(Date.now() + 50);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await profiler.stop();
    server.close();
  }
  expect(uploads.length).toBeGreaterThanOrEqual(2);
  for (const u of uploads) expect(u.name).toMatch(/^collab-docs-test\{.*role=api\+sync/);
  const wall = uploads.find((u) =>
    u.profile.sampleType.some((t) => u.profile.stringTable.strings[Number(t.type)] === 'wall'),
  );
  expect(wall).toBeDefined();
  const strings = (wall as Upload).profile.stringTable.strings;
  const labelled = (wall as Upload).profile.sample.some((s) =>
    s.label.some((l) => strings[Number(l.key)] === 'route' && strings[Number(l.str)] === '/api/v1/documents/:id'),
  );
  expect(labelled).toBe(true);
  expect(strings).toContain('busyRoute');
});

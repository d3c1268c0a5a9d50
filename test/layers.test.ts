/**
 * The layer rules in biome.json bite: wrong-way imports written into each layer of a scratch copy
 * of the project's lint configuration fail, right-way ones pass (docs/architecture.md "Layers").
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const BIOME = join(root, 'node_modules', '.bin', 'biome');

/** [file in the layer, what it imports, whether the rules allow it] */
const CASES: [string, string, boolean][] = [
  ['src/domain/probe.ts', '../app/ports.ts', false],
  ['src/domain/probe.ts', 'kysely', false],
  ['src/domain/probe.ts', './roles.ts', true],
  ['src/content/probe.ts', '../sync/ports.ts', false],
  ['src/content/probe.ts', '../domain/roles.ts', true],
  ['src/observability/probe.ts', '../sync/ports.ts', false],
  ['src/observability/probe.ts', '../export/worker.ts', false],
  ['src/config/probe.ts', '../domain/roles.ts', false],
  ['src/app/probe.ts', '../adapters/sql/database.ts', false],
  ['src/app/probe.ts', '../sync/document-content.ts', false],
  ['src/app/probe.ts', '../export/worker.ts', false],
  ['src/app/probe.ts', 'fastify', false],
  ['src/app/probe.ts', '../export/ports.ts', true],
  ['src/app/probe.ts', 'kysely', true],
  ['src/app/auth/probe.ts', '../../adapters/sql/database.ts', false],
  ['src/sync/probe.ts', '../app/events.ts', false],
  ['src/sync/probe.ts', 'ioredis', false],
  ['src/sync/probe.ts', '../content/prosemirror-json.ts', true],
  ['src/export/probe.ts', '../sync/ports.ts', false],
  ['src/export/probe.ts', '../adapters/sql/database.ts', false],
  ['src/export/probe.ts', '../content/prosemirror-json.ts', true],
  ['src/ws/probe.ts', '../adapters/sql/update-log.ts', false],
  ['src/ws/probe.ts', '../sync/ports.ts', true],
  ['src/http/probe.ts', '../sync/document-content.ts', false],
  ['src/http/probe.ts', 'kysely', false],
  ['src/http/routes/probe.ts', '../../app/documents.ts', true],
  ['src/adapters/probe.ts', '../http/server.ts', false],
  ['src/adapters/probe.ts', '../app/documents.ts', false],
  ['src/adapters/sql/probe.ts', '../../app/ports.ts', true],
  // Who may open which documents, as SQL over the query port: lists (app) and search (adapter) share it.
  ['src/adapters/sql/probe.ts', '../../app/readable-documents.ts', true],
  ['src/client/probe.ts', '../sync/ports.ts', false],
  ['src/client/probe.ts', 'node:fs', false],
  ['src/client/probe.ts', '../sync/protocol.ts', true],
  ['web/src/probe.ts', '../../src/app/ports.ts', false],
  ['web/src/probe.ts', '../../src/sync/ports.ts', false],
  ['web/src/probe.ts', '../../src/client/sync-client.ts', true],
  // Tests compose real parts: the rules govern production code only.
  ['src/app/probe.test.ts', '../adapters/sql/database.ts', true],
];

type Diagnostic = { category: string; location: { path: string } };

describe('layer import rules (biome.json)', () => {
  let dir: string;
  let flagged: Set<string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cd-layers-'));
    const config = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8'));
    // The scratch copy is not a git checkout, and holds nothing but the probes.
    config.vcs = { enabled: false };
    config.files = { includes: ['**'] };
    writeFileSync(join(dir, 'biome.json'), JSON.stringify(config));
    CASES.forEach(([file, specifier], i) => {
      const path = join(dir, file.replace(/probe(\.test)?\.ts$/, `probe${i}$1.ts`));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `/** probe */\nimport type { X } from '${specifier}';\n\nexport type Y = X;\n`);
    });
    let out: string;
    try {
      out = execFileSync(BIOME, ['lint', '--reporter=json', '--max-diagnostics=none', '.'], {
        cwd: dir,
        encoding: 'utf8',
      });
    } catch (err) {
      out = (err as { stdout: string }).stdout; // exit code 1 when anything is flagged
    }
    const report = JSON.parse(out) as { diagnostics: Diagnostic[] };
    flagged = new Set(
      report.diagnostics.filter((d) => d.category === 'lint/style/noRestrictedImports').map((d) => d.location.path),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(CASES.map(([file, specifier, allowed], i) => ({ file, specifier, allowed, i })))(
    '$file importing $specifier is allowed: $allowed',
    ({ file, allowed, i }) => {
      const path = file.replace(/probe(\.test)?\.ts$/, `probe${i}$1.ts`);
      expect(flagged.has(path)).toBe(!allowed);
    },
  );

  it('every layer under src/ has an import rule', () => {
    const config = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8')) as {
      overrides: { includes: string[]; linter?: unknown }[];
    };
    const ruled = new Set(
      config.overrides
        .filter((o) => JSON.stringify(o.linter ?? {}).includes('noRestrictedImports'))
        .flatMap((o) => o.includes.filter((p) => !p.startsWith('!'))),
    );
    for (const layer of ['domain', 'app', 'sync', 'export', 'content', 'observability', 'http', 'ws', 'adapters']) {
      expect(ruled, layer).toContain(`src/${layer}/**`);
    }
    for (const other of ['config', 'client']) expect(ruled, other).toContain(`src/${other}/**`);
    expect(ruled).toContain('web/src/**');
  });
});

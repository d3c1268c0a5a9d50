/**
 * Proves that tracing registered the way the CLI does it (loader hook + SDK before the app is
 * imported) really produces http, pg and ioredis spans under ESM, in a fresh Node process.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

type ExportedSpan = {
  name: string;
  kind: number;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  status: { code: number; message?: string };
  attributes: Record<string, unknown>;
  events: string[];
};

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REGISTER_URL = new URL('./register.ts', import.meta.url).href;
const TRACING_URL = new URL('./tracing.ts', import.meta.url).href;
const SPANS_MARKER = 'SPANS:';
const SPAN_KIND_SERVER = 1;
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;

/** The probe: registers, then imports node:http, pg and ioredis dynamically, as the CLI imports main.ts. */
function probeScript(sampleRatio: number): string {
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  return `
import { registerInstrumentation } from ${JSON.stringify(REGISTER_URL)};
import { withSpan } from ${JSON.stringify(TRACING_URL)};

const spans = [];
const spanExporter = {
  export(batch, done) {
    for (const s of batch) spans.push({
      name: s.name, kind: s.kind, scope: s.instrumentationScope.name,
      traceId: s.spanContext().traceId, spanId: s.spanContext().spanId, parentSpanId: s.parentSpanContext?.spanId,
      status: s.status, attributes: s.attributes, events: s.events.map((e) => e.name),
    });
    done({ code: 0 });
  },
  shutdown: async () => undefined,
};
const tracing = await registerInstrumentation({ serviceName: 'esm-probe', sampleRatio: ${sampleRatio}, slowMs: 60000, spanExporter });

const { createServer, request } = await import('node:http');
const server = createServer((req, res) => res.end('ok'));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const get = (path) => new Promise((resolve, reject) => {
  request('http://127.0.0.1:' + server.address().port + path, (res) => { res.resume(); res.on('end', resolve); })
    .on('error', reject).end();
});
await get('/probe?token=s3cret&page=2');
await get('/livez');
await new Promise((resolve) => server.close(resolve));

const { default: Fastify } = await import('fastify');
const app = Fastify();
app.get('/docs/:id', async () => ({ ok: true }));
app.get('/livez', async () => 'ok');
await app.listen({ port: 0, host: '127.0.0.1' });
const appGet = (path) => new Promise((resolve, reject) => {
  request('http://127.0.0.1:' + app.server.address().port + path, (res) => { res.resume(); res.on('end', resolve); })
    .on('error', reject).end();
});
await appGet('/docs/d42?token=s3cret');
await appGet('/livez');
await app.close();

const databaseUrl = ${JSON.stringify(databaseUrl ?? null)};
if (databaseUrl) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await withSpan('app.query', {}, () => client.query('SELECT 1 AS one'));
  await client.end();
}
const redisUrl = ${JSON.stringify(redisUrl ?? null)};
if (redisUrl) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl);
  await withSpan('app.cache', {}, () => redis.ping());
  redis.disconnect();
}

await withSpan('app.ok', { 'doc.id': 'd1' }, async () => 1);
await withSpan('app.fail', {}, async () => { throw new Error('boom'); }).catch(() => undefined);
await tracing.shutdown();
process.stdout.write('\\n${SPANS_MARKER}' + JSON.stringify(spans) + '\\n');
`;
}

async function runProbe(sampleRatio: number): Promise<ExportedSpan[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '--eval', probeScript(sampleRatio)],
    { cwd: PROJECT_ROOT, timeout: 20_000 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith(SPANS_MARKER));
  if (!line) throw new Error(`probe printed no spans:\n${stdout}`);
  return JSON.parse(line.slice(SPANS_MARKER.length)) as ExportedSpan[];
}

const byScope = (spans: ExportedSpan[], scope: string) => spans.filter((s) => s.scope === scope);
const HTTP_SCOPE = '@opentelemetry/instrumentation-http';

type Case = { name: string; check: (spans: ExportedSpan[]) => void };

const everyTraceCases: Case[] = [
  {
    name: 'an http server span for a request to a node:http server, with the token redacted from url.query',
    check: (spans) => {
      const server = byScope(spans, HTTP_SCOPE).filter((s) => s.kind === SPAN_KIND_SERVER);
      const probe = server.filter((s) => s.attributes['url.path'] === '/probe');
      expect(probe).toHaveLength(1);
      expect(probe[0].attributes['url.query']).toBe('token=REDACTED&page=2');
    },
  },
  {
    name: 'an http client span for `request` imported by name from node:http (only the loader hook can patch that binding)',
    check: (spans) => {
      const client = byScope(spans, HTTP_SCOPE).filter((s) => s.kind === SPAN_KIND_CLIENT);
      expect(client.length).toBeGreaterThanOrEqual(1);
      const server = byScope(spans, HTTP_SCOPE).find((s) => s.kind === SPAN_KIND_SERVER);
      expect(client.some((c) => c.traceId === server?.traceId && c.spanId === server?.parentSpanId)).toBe(true);
    },
  },
  {
    name: 'no span at all for the /livez probe',
    check: (spans) => {
      const paths = spans.map((s) => String(s.attributes['url.path'] ?? s.attributes['http.route'] ?? ''));
      expect(paths.filter((p) => p.startsWith('/livez'))).toEqual([]);
    },
  },
  {
    name: 'a Fastify request span (registered on initialization) under the http server span, without the query string',
    check: (spans) => {
      const fastify = byScope(spans, '@fastify/otel');
      const request = fastify.find((s) => s.name === 'request');
      expect(request?.attributes).toMatchObject({ 'http.route': '/docs/:id', 'url.path': '/docs/d42' });
      const server = byScope(spans, HTTP_SCOPE).find((s) => s.spanId === request?.parentSpanId);
      expect(server?.name).toBe('GET /docs/:id');
      expect(server?.attributes['url.query']).toBe('token=REDACTED');
      expect(fastify.some((s) => s.name.startsWith('handler'))).toBe(true);
    },
  },
  {
    name: 'withSpan records a thrown error as an exception event and ERROR status',
    check: (spans) => {
      const failed = spans.find((s) => s.name === 'app.fail');
      expect(failed?.status).toEqual({ code: STATUS_ERROR, message: 'boom' });
      expect(failed?.events).toEqual(['exception']);
      expect(spans.find((s) => s.name === 'app.ok')?.attributes).toEqual({ 'doc.id': 'd1' });
    },
  },
];
if (process.env.DATABASE_URL) {
  everyTraceCases.push({
    name: 'a pg query span, child of the application span that issued it',
    check: (spans) => {
      const parent = spans.find((s) => s.name === 'app.query');
      const queries = byScope(spans, '@opentelemetry/instrumentation-pg').filter((s) => s.name.startsWith('pg.query'));
      expect(queries.some((q) => q.parentSpanId === parent?.spanId && q.traceId === parent?.traceId)).toBe(true);
    },
  });
}
if (process.env.REDIS_URL) {
  everyTraceCases.push({
    name: 'an ioredis command span, child of the application span that issued it',
    check: (spans) => {
      const parent = spans.find((s) => s.name === 'app.cache');
      const commands = byScope(spans, '@opentelemetry/instrumentation-ioredis');
      expect(commands.some((c) => c.name === 'ping' && c.parentSpanId === parent?.spanId)).toBe(true);
    },
  });
}

describe('tracing registered before the app is imported (ESM), every trace head-sampled', () => {
  let spans: ExportedSpan[] = [];
  beforeAll(async () => {
    spans = await runProbe(1);
  });
  for (const c of everyTraceCases) it(c.name, () => c.check(spans));
});

describe('tracing with no head sampling', () => {
  it('exports only the failed trace: fast healthy ones are dropped by the tail sampler', async () => {
    const spans = await runProbe(0);
    expect(spans.map((s) => s.name)).toEqual(['app.fail']);
  });
});

/** Liveness, readiness (database, Redis, disk; 503 while draining), metrics and the JWKS. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { JWK } from 'jose';
import { Type as T } from 'typebox';
import type { Metrics } from '../../observability/metrics.ts';

export type ReadinessCheck = { name: string; check: () => Promise<void> };
export type OpsDeps = {
  metrics: Metrics;
  checks: ReadinessCheck[];
  isDraining: () => boolean;
  jwks?: () => Promise<JWK[]>;
};

const CHECK_TIMEOUT_MS = 2_000;
const JWKS_MAX_AGE_SECONDS = 300;

async function runCheck(c: ReadinessCheck): Promise<{ name: string; ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      c.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { name: c.name, ok: true };
  } catch (err) {
    return { name: c.name, ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

const CheckSchema = T.Object({ name: T.String(), ok: T.Boolean(), error: T.Optional(T.String()) });

export const opsRoutes =
  (deps: OpsDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/livez',
      {
        schema: {
          tags: ['ops'],
          summary: 'The process is running',
          response: { 200: T.Object({ status: T.Literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: ['ops'],
          summary: 'Ready for traffic: dependencies reachable, not draining',
          response: {
            200: T.Object({ status: T.String(), checks: T.Array(CheckSchema) }),
            503: T.Object({ status: T.String(), checks: T.Array(CheckSchema) }),
          },
        },
      },
      async (_req, reply) => {
        if (deps.isDraining()) return reply.status(503).send({ status: 'draining', checks: [] });
        const checks = await Promise.all(deps.checks.map(runCheck));
        const ok = checks.every((c) => c.ok);
        return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable', checks });
      },
    );

    app.get(
      '/metrics',
      { schema: { tags: ['ops'], summary: 'Prometheus metrics', hide: true } },
      async (_req, reply) => {
        reply.header('content-type', deps.metrics.registry.contentType);
        return deps.metrics.registry.metrics();
      },
    );

    const jwks = deps.jwks;
    if (jwks) {
      app.get(
        '/.well-known/jwks.json',
        { schema: { tags: ['auth'], summary: 'Public keys that verify access tokens' } },
        async (_req, reply) => {
          reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
          return { keys: await jwks() };
        },
      );
    }
  };

/** Liveness, readiness (database, Redis, disk; 503 while draining), metrics and the JWKS. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { JWK } from 'jose';
import { type Static, Type as T } from 'typebox';
import type { Metrics } from '../../observability/metrics.ts';
import { described, JwksSchema, mediaResponse } from '../schemas.ts';

export type ReadinessCheck = { name: string; check: () => Promise<void> };
export type OpsDeps = {
  metrics: Metrics;
  checks: ReadinessCheck[];
  isDraining: () => boolean;
  jwks?: () => Promise<JWK[]>;
  /** The exposition `/metrics` answers, when not this process's registry (SYNC_PROCESSES > 1: the whole pod). */
  scrape?: () => Promise<string>;
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
const ReadinessSchema = (description: string) =>
  T.Object(
    { status: T.Enum(['ready', 'unavailable', 'draining']), checks: T.Array(CheckSchema) },
    { title: 'Readiness', description },
  );
/** Prometheus text exposition format 0.0.4 (what prom-client's registry produces). */
const PROMETHEUS_MEDIA_TYPE = 'text/plain';

export const opsRoutes =
  (deps: OpsDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/livez',
      {
        schema: {
          operationId: 'getLiveness',
          tags: ['ops'],
          summary: 'Liveness probe',
          description: 'Answers while the process runs; checks no dependency.',
          // Public: probes carry no token.
          security: [],
          response: { 200: T.Object({ status: T.Literal('ok') }, { description: 'The process is running' }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          operationId: 'getReadiness',
          tags: ['ops'],
          summary: 'Readiness probe',
          description: 'Ready for traffic: database, Redis and disk reachable, and not draining for shutdown.',
          security: [],
          response: {
            200: ReadinessSchema('Ready for traffic'),
            503: ReadinessSchema('Not ready: a dependency is down (see `checks`) or the instance is draining'),
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
      {
        schema: {
          operationId: 'getMetrics',
          tags: ['ops'],
          summary: 'Prometheus metrics',
          description: 'Metrics in the Prometheus text exposition format (version 0.0.4).',
          security: [],
          response: { 200: mediaResponse('The metrics', { [PROMETHEUS_MEDIA_TYPE]: T.String() }) },
        },
      },
      async (_req, reply) => {
        reply.header('content-type', deps.metrics.registry.contentType);
        return deps.scrape ? deps.scrape() : deps.metrics.registry.metrics();
      },
    );

    const jwks = deps.jwks;
    if (jwks) {
      app.get(
        '/.well-known/jwks.json',
        {
          config: { cacheControl: `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
          schema: {
            operationId: 'getJwks',
            tags: ['auth'],
            summary: 'Token verification keys',
            description: 'The public keys (JWK Set) that verify access tokens; cacheable for five minutes.',
            security: [],
            response: { 200: described('The JWK Set', JwksSchema) },
          },
        },
        async () => {
          // jose's JWK type leaves `kty` optional; exported public keys always carry it (RFC 7517 4.1).
          return { keys: (await jwks()) as Static<typeof JwksSchema>['keys'] };
        },
      );
    }
  };

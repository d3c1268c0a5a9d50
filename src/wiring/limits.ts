/**
 * The api role's per-tenant request limits (docs/spec/limits.md): plan rates and burst shape from
 * the config, the shared store (Redis) with the in-process fallback, and what gets measured and
 * logged about each decision.
 */
import type { Sql } from '../app/ports.ts';
import { RequestLimits } from '../app/request-limits.ts';
import type { Config } from '../config/config.ts';
import type { Infrastructure } from './infrastructure.ts';

/** While Redis fails, the limiter tries it again at most this often (deciding in process meanwhile). */
const STORE_RETRY_MS = 1_000;
/** At most one "tenant rate limited" warning per bucket per this period. */
const LOG_EVERY_MS = 10_000;

export function wireRequestLimits(config: Config, infra: Infrastructure, db: Sql): RequestLimits {
  const limits = config.limits;
  const logger = infra.logger.child({ component: 'rate-limit' });
  const { isolationMetrics } = infra;
  const perSecond = (perMinute: number) => perMinute / 60;
  return new RequestLimits(
    db,
    infra.rateLimitStore,
    infra.rateLimitFallback,
    {
      planRates: {
        free: limits.freePerSecond,
        business: limits.businessPerSecond,
        enterprise: limits.enterprisePerSecond,
      },
      burst: { factor: limits.burstFactor, seconds: limits.burstSeconds },
      expensivePerSecond: {
        search: perSecond(limits.searchPerMinute),
        export: perSecond(limits.exportPerMinute),
        image: perSecond(limits.imagePerMinute),
        invite: perSecond(limits.invitePerMinute),
        login: perSecond(limits.loginPerMinute),
      },
      planCacheMs: limits.planCacheMs,
      lease: { maxTokens: limits.leaseMaxTokens, ms: limits.leaseMs },
      storeRetryMs: STORE_RETRY_MS,
      logEveryMs: LOG_EVERY_MS,
    },
    {
      decision: (outcome, plan, scope, fallback) => isolationMetrics.decision(outcome, plan, scope, fallback),
      degraded: (on, err) => {
        isolationMetrics.degraded.set(on ? 1 : 0);
        if (on) logger.warn({ err }, 'rate-limit store unavailable: limiting per instance until it is back');
        else logger.info('rate-limit store back: limits are fleet-wide again');
      },
      limited: (event) => logger.warn(event, 'tenant rate limited'),
      storeCall: () => isolationMetrics.storeRoundTrips.inc(),
    },
  );
}

/**
 * Applies the per-tenant request limits (src/app/request-limits.ts) to API routes: finds the
 * workspace a request belongs to (only one the caller is a member of or can read a document in,
 * so nobody spends another tenant's budget), counts it, answers the IETF `RateLimit-Policy` and
 * `RateLimit` headers, and refuses with 429 + `Retry-After` when a bucket is empty. Also adds the
 * 429 response, with its headers, to the OpenAPI document of every limited route.
 *
 * The check runs as an onRequest hook, right after authentication: a refused request is answered
 * before its body is read or validated, without an Error (no stack capture) and with the policy
 * headers precomputed — a tenant flooding at 10x its limit costs the instance as little as
 * possible (issue 11: the refusal path was 45 % of a core at ~1,000 refusals/s).
 */
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { PermissionCache } from '../app/permissions.ts';
import type { ExpensiveOperation, LimitSubject, RequestLimits } from '../app/request-limits.ts';
import type { RatePolicy } from '../domain/rate-limits.ts';
import { limitHeaderItem, policyHeaderItem, retryAfterSeconds } from '../domain/rate-limits.ts';
import { sendProblem } from './problem.ts';
import { problemResponse } from './schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Refused by a request limit: counted by metrics and the limiter's sampled warn, not logged one by one. */
    rateLimited: boolean;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Routes with a bucket of their own besides the workspace's (keys: method + route template). */
function expensiveOperations(prefix: string): Map<string, ExpensiveOperation> {
  return new Map<string, ExpensiveOperation>([
    [`GET ${prefix}/search`, 'search'],
    [`POST ${prefix}/documents/:id/export`, 'export'],
    [`POST ${prefix}/documents/:id/images`, 'image'],
    [`POST ${prefix}/workspaces/:id/members`, 'invite'],
    [`POST ${prefix}/documents/:id/shares`, 'invite'],
    [`POST ${prefix}/workspaces/:id/invitations/:invitationId/resend`, 'invite'],
    [`POST ${prefix}/documents/:id/invitations/:invitationId/resend`, 'invite'],
    [`POST ${prefix}/workspaces/:id/invite-links`, 'invite'],
    [`POST ${prefix}/auth/login`, 'login'],
  ]);
}

/**
 * Public routes without a limit of their own here: sign-up and password reset have per-address
 * counters; an invitation preview needs a 256-bit token.
 */
const unlimitedPublic = (prefix: string) =>
  new Set([
    `${prefix}/auth/signup`,
    `${prefix}/auth/refresh`,
    `${prefix}/auth/logout`,
    `${prefix}/invitations/preview`,
    `${prefix}/openapi.json`,
  ]);

/** The response a limited route documents: problem+json with Retry-After and the IETF headers. */
export const RateLimitedResponse = {
  ...problemResponse(429),
  description: 'Too many requests for this workspace, user or operation; retry after `Retry-After` seconds',
  headers: {
    'retry-after': { type: 'integer', description: 'seconds to wait before retrying' },
    'ratelimit-policy': {
      type: 'string',
      description: 'draft-ietf-httpapi-ratelimit-headers: each bucket as "name";q=<requests>;w=<seconds to refill>',
    },
    ratelimit: {
      type: 'string',
      description: 'draft-ietf-httpapi-ratelimit-headers: each bucket as "name";r=<remaining>;t=<seconds until full>',
    },
  },
};

export type RateLimitDeps = { limits: RequestLimits; permissions: PermissionCache; prefix: string };

export function rateLimitHooks(deps: RateLimitDeps) {
  const { prefix } = deps;
  const expensive = expensiveOperations(prefix);
  const publicUnlimited = unlimitedPublic(prefix);
  const operatorPrefix = `${prefix}/admin/workspaces/`;

  /** Is this an API route the limits apply to (not the operator's, not the docs, not probes)? */
  const limitedRoute = (url: string | undefined): boolean =>
    url?.startsWith(`${prefix}/`) === true &&
    !url.startsWith(operatorPrefix) &&
    !url.startsWith(`${prefix}/docs`) &&
    !publicUnlimited.has(url);

  /** The workspace whose budget pays for this request: only one the caller belongs to or reads in. */
  async function workspaceOf(req: FastifyRequest, userId: string): Promise<string | undefined> {
    const url = req.routeOptions.url ?? '';
    const params = req.params as Record<string, string | undefined>;
    const query = req.query as Record<string, unknown> | undefined;
    let candidate: string | undefined;
    if (url.startsWith(`${prefix}/workspaces/:id`)) candidate = params.id;
    else if (url.startsWith(`${prefix}/documents/:id`) && params.id && UUID.test(params.id)) {
      return (await deps.permissions.documentAccess(userId, params.id))?.document.workspaceId;
    } else if (typeof query?.workspaceId === 'string') candidate = query.workspaceId;
    if (!candidate || !UUID.test(candidate)) return undefined;
    return (await deps.permissions.workspaceRole(userId, candidate)) === null ? undefined : candidate;
  }

  /** `RateLimit-Policy` items per policy object (RequestLimits hands out the same ones). */
  const policyItems = new WeakMap<RatePolicy, string>();
  const policyItem = (policy: RatePolicy): string => {
    let item = policyItems.get(policy);
    if (item === undefined) {
      item = policyHeaderItem(policy);
      policyItems.set(policy, item);
    }
    return item;
  };

  /**
   * Counts the request and refuses it when a bucket is empty. `authenticated`: registered inside
   * the protected scope after its authentication hook (the principal is known); otherwise at the
   * root, where only log-in (per address) is limited before anyone is authenticated.
   */
  const limit =
    (authenticated: boolean) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
      const url = req.routeOptions.url;
      if (!limitedRoute(url)) return undefined;
      const operation = expensive.get(`${req.method} ${url}`);
      let subject: LimitSubject;
      if (authenticated && req.principal) {
        const userId = req.principal.userId;
        const workspaceId = await workspaceOf(req, userId);
        subject = workspaceId ? { kind: 'workspace', workspaceId, userId } : { kind: 'user', userId };
      } else if (!authenticated && operation === 'login') {
        subject = { kind: 'address', ip: req.ip };
      } else {
        return undefined;
      }
      const outcome = await deps.limits.check(subject, operation);
      const decided = outcome.decided;
      if (decided.length > 0) {
        let policies = policyItem(decided[0].policy);
        let state = limitHeaderItem(decided[0].policy, decided[0].decision);
        for (let i = 1; i < decided.length; i++) {
          policies += `, ${policyItem(decided[i].policy)}`;
          state += `, ${limitHeaderItem(decided[i].policy, decided[i].decision)}`;
        }
        reply.header('ratelimit-policy', policies);
        reply.header('ratelimit', state);
      }
      if (!outcome.limited) return undefined;
      const { policy, decision } = outcome.limited;
      const retryAfter = retryAfterSeconds(decision);
      const who = policy.name.startsWith('workspace')
        ? 'this workspace'
        : policy.name.startsWith('user')
          ? 'you'
          : `${policy.name} requests`;
      req.rateLimited = true;
      reply.header('retry-after', String(retryAfter));
      return sendProblem(reply, req, {
        status: 429,
        code: 'rate_limited',
        detail:
          `too many requests for ${who}: the limit is ${formatRate(policy.ratePerSecond)} (bursts up to ${policy.burst}); ` +
          `retry after ${retryAfter} s`,
      });
    };

  /** Documents 429 (with Retry-After and the RateLimit headers) on every limited route. */
  const onRoute = (route: RouteOptions): void => {
    const url = route.url;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const limited =
      limitedRoute(url) && (methods.some((m) => expensive.has(`${m} ${url}`)) || !url.startsWith(`${prefix}/auth/`));
    const schema = route.schema as { hide?: boolean; response?: Record<string | number, unknown> } | undefined;
    // Routes without documented responses keep their default one rather than list only a 429.
    if (!limited || !schema?.response || schema.hide) return;
    schema.response = { ...schema.response, 429: RateLimitedResponse };
  };

  return { onRequest: limit(false), onAuthenticatedRequest: limit(true), onRoute };
}

function formatRate(perSecond: number): string {
  return perSecond >= 1 ? `${perSecond} per second` : `${Math.round(perSecond * 60)} per minute`;
}

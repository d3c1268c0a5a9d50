/**
 * Applies the per-tenant request limits (src/app/request-limits.ts) to API routes: finds the
 * workspace a request belongs to (only one the caller is a member of or can read a document in,
 * so nobody spends another tenant's budget), counts it, answers the IETF `RateLimit-Policy` and
 * `RateLimit` headers, and refuses with 429 + `Retry-After` when a bucket is empty. Also adds the
 * 429 response, with its headers, to the OpenAPI document of every limited route.
 */
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { PermissionCache } from '../app/permissions.ts';
import type { ExpensiveOperation, LimitSubject, RequestLimits } from '../app/request-limits.ts';
import { RateLimited } from '../domain/errors.ts';
import { limitHeaderItem, policyHeaderItem, retryAfterSeconds } from '../domain/rate-limits.ts';
import { problemResponse } from './schemas.ts';

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

  const preHandler = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const url = req.routeOptions.url;
    if (!limitedRoute(url)) return;
    const operation = expensive.get(`${req.method} ${url}`);
    let subject: LimitSubject;
    if (req.principal) {
      const userId = req.principal.userId;
      const workspaceId = await workspaceOf(req, userId);
      subject = workspaceId ? { kind: 'workspace', workspaceId, userId } : { kind: 'user', userId };
    } else if (operation === 'login') {
      subject = { kind: 'address', ip: req.ip };
    } else {
      return;
    }
    const outcome = await deps.limits.check(subject, operation);
    if (outcome.decided.length > 0) {
      reply.header('ratelimit-policy', outcome.decided.map((d) => policyHeaderItem(d.policy)).join(', '));
      reply.header('ratelimit', outcome.decided.map((d) => limitHeaderItem(d.policy, d.decision)).join(', '));
    }
    if (outcome.limited) {
      const { policy, decision } = outcome.limited;
      const who =
        policy.name === 'workspace' ? 'this workspace' : policy.name === 'user' ? 'you' : `${policy.name} requests`;
      throw new RateLimited(
        `too many requests for ${who}: the limit is ${formatRate(policy.ratePerSecond)} (bursts up to ${policy.burst}); ` +
          `retry after ${retryAfterSeconds(decision)} s`,
        retryAfterSeconds(decision),
      );
    }
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

  return { preHandler, onRoute };
}

function formatRate(perSecond: number): string {
  return perSecond >= 1 ? `${perSecond} per second` : `${Math.round(perSecond * 60)} per minute`;
}

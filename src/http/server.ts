/**
 * Builds the Fastify application (without listening): validation, problem+json errors, cache
 * policy, request metrics, OpenAPI, public and authenticated route scopes.
 */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { AccountDeletion } from '../app/auth/account-deletion.ts';
import type { AccountSecurity } from '../app/auth/account-security.ts';
import type { AccountSettings } from '../app/auth/account-settings.ts';
import type { Accounts } from '../app/auth/accounts.ts';
import type { Authenticator } from '../app/auth/authenticator.ts';
import type { PasswordResets } from '../app/auth/password-reset.ts';
import type { AccountSessions } from '../app/auth/sessions.ts';
import type { Comments } from '../app/comments.ts';
import type { DocumentAccessSettings } from '../app/document-access.ts';
import type { DocumentContentReads } from '../app/document-content.ts';
import type { DocumentImports } from '../app/document-import.ts';
import type { DocumentLists } from '../app/document-lists.ts';
import type { Documents } from '../app/documents.ts';
import type { Exports } from '../app/exports.ts';
import type { IdempotencyKeys } from '../app/idempotency.ts';
import type { DocumentImages } from '../app/images.ts';
import type { Notifications } from '../app/notifications.ts';
import type { Search } from '../app/search.ts';
import type { Trash } from '../app/trash.ts';
import type { Versions } from '../app/versions.ts';
import type { WorkspaceOwnership } from '../app/workspace-ownership.ts';
import type { WorkspaceSettings } from '../app/workspace-settings.ts';
import type { Workspaces } from '../app/workspaces.ts';
import type { IsolationMetrics } from '../observability/isolation-metrics.ts';
import { sanitizeUrl } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { TopTalkers } from '../observability/top-talkers.ts';
import { authenticate } from './auth-hook.ts';
import { applyCachePolicy } from './cache-policy.ts';
import { idempotencyHooks } from './idempotency-hook.ts';
import { openApiOptions, withBodyProblems } from './openapi.ts';
import { sendError, sendNotFound } from './problem.ts';
import { type RateLimitDeps, rateLimitHooks } from './rate-limit-hook.ts';
import { accessRoutes } from './routes/access-routes.ts';
import { accountRoutes } from './routes/account-routes.ts';
import { accountSecurityRoutes, emailChangeConfirmRoutes } from './routes/account-security-routes.ts';
import { authRoutes, meRoutes } from './routes/auth-routes.ts';
import { commentRoutes } from './routes/comment-routes.ts';
import { contentRoutes } from './routes/content-routes.ts';
import { documentRoutes } from './routes/document-routes.ts';
import { exportRoutes } from './routes/export-routes.ts';
import { imageRoutes } from './routes/image-routes.ts';
import { importRoutes } from './routes/import-routes.ts';
import { type InvitationDeps, invitationPublicRoutes, invitationRoutes } from './routes/invitation-routes.ts';
import { listRoutes } from './routes/list-routes.ts';
import { myInvitationRoutes } from './routes/my-invitation-routes.ts';
import { notificationRoutes } from './routes/notification-routes.ts';
import { operatorRoutes } from './routes/operator-routes.ts';
import { type OpsDeps, opsRoutes } from './routes/ops-routes.ts';
import { type PlanDeps, planRoutes } from './routes/plan-routes.ts';
import { searchRoutes } from './routes/search-routes.ts';
import { trashRoutes } from './routes/trash-routes.ts';
import { versionRoutes } from './routes/version-routes.ts';
import { workspaceRoutes } from './routes/workspace-routes.ts';
import { workspaceSettingsRoutes } from './routes/workspace-settings-routes.ts';
import { ProblemSchema } from './schemas.ts';
import { bindTraceContext, childLoggerWithTrace } from './trace-context.ts';
import { validatorCompiler } from './validation.ts';
import { webAppRoutes } from './web-app.ts';

export const API_PREFIX = '/api/v1';
const BODY_LIMIT_BYTES = 64 * 1024;
const PROBE_ROUTES = new Set(['/livez', '/readyz']);
const REQUEST_ID = /^[A-Za-z0-9_\-.:]{1,128}$/;
/** Slow or stalled clients cannot hold a request open forever (slowloris). */
const REQUEST_TIMEOUT_MS = 30_000;
/** Longer than typical load-balancer idle timeouts (60 s), so the balancer closes first. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** TRUST_PROXY → Fastify's trustProxy: "true", a list of addresses/CIDRs, or off. */
export function trustProxySetting(value: string): boolean | string[] {
  const v = value.trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  return v
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** swagger-ui's own CSP (script and style hashes), tightened: no https: wildcards, no validator badge. */
export function docsPageCsp(header: string): string {
  const kept = header
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d && !d.startsWith('upgrade-insecure-requests') && !d.startsWith('frame-ancestors'))
    .map((d) => d.replace(/ https:| validator\.swagger\.io/g, ''));
  return [...kept, "connect-src 'self'", "form-action 'none'", "frame-ancestors 'none'"].join('; ');
}

export type ApiDeps = {
  accounts: Accounts;
  passwordResets: PasswordResets;
  authenticator: Authenticator;
  workspaces: Workspaces;
  documents: Documents;
  /** General access and ownership of documents [P7] [P8]. */
  documentAccess: DocumentAccessSettings;
  /** A workspace's primary owner [P9]. */
  workspaceOwnership: WorkspaceOwnership;
  /** The signed-in person's own account: name and sessions [A9], password and email [A10] [A11], deletion [A12]. */
  account: {
    settings: AccountSettings;
    sessions: AccountSessions;
    security: AccountSecurity;
    deletion: AccountDeletion;
  };
  invitations: InvitationDeps;
  documentLists: DocumentLists;
  trash: Trash;
  search: Search;
  content: DocumentContentReads;
  /** Comment threads, mentions and notifications (issue 14). */
  comments: { comments: Comments; notifications: Notifications; settings: WorkspaceSettings };
  /** Version history (list, read, compare, save, restore). */
  versions: Versions;
  /** Export jobs (request, status, download, dead letters). */
  exports?: Exports;
  /** Images in documents: upload, list, fetch (docs/spec/images.md). */
  images?: DocumentImages;
  /** Files imported as new documents [I1], and the largest body that takes. */
  imports: { imports: DocumentImports; maxBytes: number };
  /** Per-tenant request limits and the permission lookups that find a request's workspace. */
  rateLimits: Omit<RateLimitDeps, 'prefix'>;
  /** Answers kept for retried requests carrying an Idempotency-Key. */
  idempotencyKeys: IdempotencyKeys;
  /** Sets plans: the operator API's route on the api role (OPERATOR_TOKEN). */
  setPlan: PlanDeps['setPlan'];
};

export type ServerDeps = {
  logger: Logger;
  metrics: Metrics;
  /** Busiest workspaces and documents (bounded); fed one entry per response. */
  topTalkers?: TopTalkers;
  /** The operator API (profiles, top talkers); off without a token. */
  operatorToken?: string;
  /** Called as each request is routed (continuous profiling labels samples with the route). */
  onRouteStarted?: (route: string) => void;
  isolationMetrics: IsolationMetrics;
  ops: Omit<OpsDeps, 'metrics'>;
  /** Present when this process serves the `api` role. */
  api?: ApiDeps;
  publicUrl: string;
  trustProxy: string;
  /** The built web app to serve (api role); absent or unbuilt → API only. */
  webDir?: string;
};

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  // FastifyInstance is typed for the default logger; ours is a pino Logger (a superset).
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: trustProxySetting(deps.trustProxy),
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    return503OnClosing: true,
    // One 'request completed' line per request is written by our onResponse hook instead.
    childLoggerFactory: childLoggerWithTrace,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // A JSON API: Fastify's default text/plain parser would turn a wrong content type into a
  // misleading "body must be object" 400 instead of 415.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler());
  app.addSchema(ProblemSchema);
  app.decorateRequest('principal', null);
  app.decorateRequest('idempotencyKey', null);
  app.decorateRequest('rateLimited', false);
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply));
  app.setNotFoundHandler((req, reply) => sendNotFound(req, reply));

  app.decorateRequest('traceId', undefined);
  app.addHook('onRequest', async (req, reply) => {
    deps.onRouteStarted?.(req.routeOptions.url ?? 'unmatched');
    bindTraceContext(req);
    reply.header('x-request-id', req.id);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    applyCachePolicy(req, reply);
    // JSON must never be sniffed into something executable.
    reply.header('x-content-type-options', 'nosniff');
    // While draining, tell keep-alive clients to reconnect (elsewhere) after this response.
    if (deps.ops.isDraining()) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route };
    deps.metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
    deps.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    // A probe answering 503 (draining, dependency down) is the probe working, not a failed request.
    const failed = reply.statusCode >= 500 && !PROBE_ROUTES.has(route);
    if (failed) deps.metrics.httpErrors.inc(labels);
    deps.topTalkers?.request(route, req.params, reply.statusCode);
    // Refusals by a request limit are counted above and logged by the limiter, sampled per bucket.
    if (req.rateLimited) return;
    const level = failed ? 'error' : 'info';
    req.log[level](
      {
        // Not under `req`/`res`: Fastify's serializers for those keys would drop the route.
        http: { method: req.method, url: sanitizeUrl(req.url), route, status: reply.statusCode },
        responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
        userId: req.principal?.userId,
      },
      'request completed',
    );
  });

  // Before any route is added: it completes each route's schema (see openapi.ts).
  app.addHook('onRoute', withBodyProblems);
  let rateLimitOnAuthenticated: ReturnType<typeof rateLimitHooks>['onAuthenticatedRequest'] | undefined;
  if (deps.api) {
    // Also before any route: onRoute documents the 429 (and its RateLimit headers) of each limited route.
    const limits = rateLimitHooks({ ...deps.api.rateLimits, prefix: API_PREFIX });
    app.addHook('onRoute', limits.onRoute);
    // Log-in, per address, before anyone is authenticated; everything else in the protected scope.
    app.addHook('onRequest', limits.onRequest);
    rateLimitOnAuthenticated = limits.onAuthenticatedRequest;
  }
  await app.register(swagger, openApiOptions(deps.publicUrl));
  await app.register(swaggerUi, {
    routePrefix: `${API_PREFIX}/docs`,
    // The page lives on the origin that holds people's tokens: only its own hashed scripts and
    // styles run, nothing is fetched from elsewhere, nobody may frame it, no form posts anywhere.
    staticCSP: true,
    transformStaticCSP: docsPageCsp,
    uiConfig: { validatorUrl: null },
  });
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());

  await app.register(opsRoutes({ ...deps.ops, metrics: deps.metrics }));
  if (deps.topTalkers) {
    await app.register(operatorRoutes({ operatorToken: deps.operatorToken, topTalkers: deps.topTalkers }), {
      prefix: API_PREFIX,
    });
  }

  const api = deps.api;
  if (api) {
    await app.register(authRoutes(api.accounts, api.passwordResets), { prefix: API_PREFIX });
    await app.register(invitationPublicRoutes(api.invitations), { prefix: API_PREFIX });
    await app.register(emailChangeConfirmRoutes(api.account.security), { prefix: API_PREFIX });
    await app.register(
      async (scope) => {
        scope.addHook('onRequest', authenticate(api.authenticator));
        // Right after authentication, before the body is read: a refused request costs little.
        if (rateLimitOnAuthenticated) scope.addHook('onRequest', rateLimitOnAuthenticated);
        const idempotency = idempotencyHooks(api.idempotencyKeys, deps.isolationMetrics);
        scope.addHook('preHandler', idempotency.preHandler);
        scope.addHook('onSend', idempotency.onSend);
        await scope.register(meRoutes(api.accounts));
        await scope.register(accountRoutes(api.account.settings, api.account.sessions));
        await scope.register(accountSecurityRoutes(api.account.security, api.account.deletion));
        await scope.register(workspaceRoutes(api.workspaces));
        await scope.register(documentRoutes(api.documents));
        await scope.register(accessRoutes(api.documentAccess, api.workspaceOwnership));
        await scope.register(invitationRoutes(api.invitations));
        await scope.register(myInvitationRoutes(api.invitations.invitations, api.invitations.mine));
        await scope.register(listRoutes(api.documents, api.documentLists));
        await scope.register(trashRoutes(api.trash));
        await scope.register(searchRoutes(api.search));
        await scope.register(contentRoutes(api.content));
        await scope.register(commentRoutes(api.comments.comments));
        await scope.register(notificationRoutes(api.comments.notifications));
        await scope.register(workspaceSettingsRoutes(api.comments.settings));
        await scope.register(versionRoutes(api.versions, API_PREFIX));
        if (api.exports) await scope.register(exportRoutes(api.exports, API_PREFIX));
        if (api.images) await scope.register(imageRoutes(api.images));
        await scope.register(importRoutes(api.imports.imports, api.imports.maxBytes));
      },
      { prefix: API_PREFIX },
    );
    await app.register(planRoutes({ operatorToken: deps.operatorToken, setPlan: api.setPlan }), { prefix: API_PREFIX });
  }
  if (api && deps.webDir) await app.register(webAppRoutes(deps.webDir));
  return app as unknown as FastifyInstance;
}

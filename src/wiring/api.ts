/**
 * The `api` role's use cases, handed to the HTTP server. Everything they depend on is passed in
 * already built: the content reader asks live rooms first, so the sync role is wired before this.
 */
import { PostgresSearchIndex } from '../adapters/sql/postgres-search.ts';
import { SqlUpdateLog } from '../adapters/sql/update-log.ts';
import { PasswordResets } from '../app/auth/password-reset.ts';
import { DocumentAccessSettings } from '../app/document-access.ts';
import { DocumentCache } from '../app/document-cache.ts';
import { DocumentContentReads } from '../app/document-content.ts';
import { DocumentLists } from '../app/document-lists.ts';
import { DocumentVisits } from '../app/document-visits.ts';
import { Documents } from '../app/documents.ts';
import { Exports } from '../app/exports.ts';
import { IdempotencyKeys } from '../app/idempotency.ts';
import { type InvitationOutcome, Invitations } from '../app/invitations.ts';
import { InviteLinks } from '../app/invite-links.ts';
import { MyInvitations } from '../app/my-invitations.ts';
import { setWorkspacePlan } from '../app/plans.ts';
import { Search, type SearchKind } from '../app/search.ts';
import { Trash } from '../app/trash.ts';
import { WorkspaceOwnership } from '../app/workspace-ownership.ts';
import { Workspaces } from '../app/workspaces.ts';
import type { Config } from '../config/config.ts';
import type { ExportQuotas } from '../domain/export-policy.ts';
import { API_PREFIX, type ApiDeps } from '../http/server.ts';
import { accessChangeMetrics } from '../observability/access-metrics.ts';
import { searchBulkheadMetrics, searchMetrics } from '../observability/search-metrics.ts';
import { DocumentContent } from '../sync/document-content.ts';
import type { RoomRegistry } from '../sync/rooms.ts';
import { wireAccount } from './account.ts';
import type { CommentsWiring } from './comments.ts';
import type { Identity } from './identity.ts';
import { wireImages } from './images.ts';
import { wireImports } from './imports.ts';
import type { Infrastructure } from './infrastructure.ts';
import { wireRequestLimits } from './limits.ts';
import type { Mail } from './mail.ts';
import { wireVersionHistory } from './versions.ts';
import type { ExportPipeline } from './worker.ts';

/** 0 in the environment means unlimited. */
const quotasOf = (quota: Config['export']['quota']): ExportQuotas => {
  const q = (n: number) => (n === 0 ? null : n);
  return { free: q(quota.free), business: q(quota.business), enterprise: q(quota.enterprise) };
};

/** The api role's cache of document rows, listening for their changes before the server listens [P4.1]. */
export async function wireDocumentCache(config: Config, infra: Infrastructure): Promise<DocumentCache> {
  const { metrics } = infra;
  const cache = new DocumentCache(infra.database.pool('api'), infra.bus, {
    ttlMs: config.documents.cacheTtlMs,
    max: config.documents.cacheMax,
    onLookup: (hit) => (hit ? metrics.documentCacheHit : metrics.documentCacheMiss).inc(),
  });
  await cache.start(infra.events);
  return cache;
}

export function wireApi(
  config: Config,
  infra: Infrastructure,
  identity: Identity,
  deps: {
    exports: ExportPipeline;
    rooms: RoomRegistry | undefined;
    mail: Mail;
    comments: CommentsWiring;
    documentCache: DocumentCache;
  },
): ApiDeps {
  const db = infra.database.pool('api');
  const { permissions } = identity;
  const exportMetrics = deps.exports.metrics;
  const visits = new DocumentVisits(db, {
    throttleMs: config.documents.recentThrottleMs,
    onError: infra.logError('recording a document visit failed'),
    onRecorded: () => infra.trashMetrics.visitsRecorded.inc(),
  });
  let rejected: (kind: SearchKind) => void = () => undefined;
  const search = new Search(
    new PostgresSearchIndex(db, (actor, ws) => identity.reach.reach(actor, ws)),
    searchMetrics(infra.metrics.registry),
    {
      concurrency: config.documents.searchConcurrency,
      queueMax: config.documents.searchQueueMax,
      onRejected: (kind) => rejected(kind),
    },
  );
  rejected = searchBulkheadMetrics(infra.metrics.registry, (kind) => search.waiting(kind));
  const documents = new Documents(db, permissions, deps.documentCache, infra.events, {
    onCreated: () => infra.metrics.documentsCreated.inc(),
    onOpened: (userId, documentId) => void visits.record(userId, documentId),
  });
  const trashLog = infra.logger.child({ component: 'trash' });
  const accessLog = infra.logger.child({ component: 'access' });
  const countAccessChange = accessChangeMetrics(infra.metrics.registry);
  const requestLimits = wireRequestLimits(config, infra, db);
  const invitationOutcome = (target: 'workspace' | 'document' | 'link', outcome: InvitationOutcome) => {
    deps.mail.metrics.invitations.inc({ target, outcome });
    if (['expired', 'used', 'revoked', 'unknown', 'wrong-account'].includes(outcome)) {
      infra.logger.warn({ event: 'invitation_refused', target, outcome }, 'an invitation link could not be used');
    }
  };
  return {
    rateLimits: { limits: requestLimits, permissions },
    idempotencyKeys: new IdempotencyKeys(db, undefined, infra.logError('idempotency key cleanup failed')),
    setPlan: async (workspaceId, change) => {
      const view = await setWorkspacePlan(db, workspaceId, change);
      // This instance applies it at once; the others within RATE_LIMIT_PLAN_CACHE_MS.
      requestLimits.forgetPlan(workspaceId);
      infra.isolationMetrics.planChanges.inc({ plan: view.plan });
      return view;
    },
    accounts: identity.accounts,
    passwordResets: new PasswordResets(db, infra.counters, deps.mail.outbox, {
      publicUrl: config.publicUrl,
      ttlMinutes: config.auth.passwordResetTtlMinutes,
      maxPerEmailPerHour: config.auth.passwordResetMaxPerEmailPerHour,
      maxPerIpPerHour: config.auth.passwordResetMaxPerIpPerHour,
      scryptCost: config.auth.scryptCost,
      onRequest: (outcome) => {
        deps.mail.metrics.passwordResets.inc({ step: 'request', outcome });
        if (outcome === 'throttled') {
          infra.logger.warn({ event: 'password_reset_throttled' }, 'password reset requests for one email throttled');
        }
      },
      onConfirm: (outcome) => deps.mail.metrics.passwordResets.inc({ step: 'confirm', outcome }),
    }),
    authenticator: identity.authenticator,
    workspaces: new Workspaces(db, permissions, infra.events),
    documents,
    documentAccess: new DocumentAccessSettings(db, permissions, infra.events, (change, documentId, actor) => {
      countAccessChange(change.kind, change.value);
      const event = change.kind === 'owner' ? 'document_owner_transferred' : 'document_general_access_set';
      accessLog.info({ event, documentId, userId: actor, [change.kind]: change.value }, 'document access changed');
    }),
    account: wireAccount(config, infra, identity, deps.mail, db),
    workspaceOwnership: new WorkspaceOwnership(db, permissions, infra.events, (workspaceId, actor, to) => {
      countAccessChange('primary_owner', to);
      accessLog.info(
        { event: 'workspace_primary_owner_transferred', workspaceId, userId: actor, to },
        'workspace primary owner handed over',
      );
    }),
    invitations: {
      invitations: new Invitations(db, permissions, infra.events, deps.mail.outbox, infra.counters, {
        publicUrl: config.publicUrl,
        ttlHours: config.invitations.ttlHours,
        maxPerWorkspacePerDay: config.invitations.maxPerWorkspacePerDay,
        showLinks: deps.mail.outbox.transport === 'file',
        onOutcome: invitationOutcome,
      }),
      mine: new MyInvitations(db, () => {
        deps.mail.metrics.invitations.inc({ target: 'in-app', outcome: 'declined' });
        infra.logger.info({ event: 'invitation_declined' }, 'an invitation was declined in the app');
      }),
      inviteLinks: new InviteLinks(db, permissions, infra.events, {
        publicUrl: config.publicUrl,
        onOutcome: (outcome) => invitationOutcome('link', outcome),
      }),
    },
    documentLists: new DocumentLists(db, permissions),
    comments: {
      comments: deps.comments.comments,
      notifications: deps.comments.notifications,
      settings: deps.comments.settings,
    },
    trash: new Trash(db, permissions, infra.events, {
      retentionMs: config.documents.trashRetentionDays * 86_400_000,
      observer: {
        changed(change, documentId, actor) {
          if (change === 'trashed') infra.trashMetrics.trashed.inc();
          else if (change === 'restored') infra.trashMetrics.restored.inc();
          else infra.trashMetrics.purged.inc({ reason: 'requested' });
          trashLog.info({ event: `document_${change}`, documentId, userId: actor }, `document ${change}`);
        },
      },
    }),
    search,
    exports: new Exports(db, permissions, infra.exportFiles('api'), {
      quotas: quotasOf(config.export.quota),
      allowPrivateWebhooks: config.export.webhook.allowPrivate,
      serverWebhookSecret: config.export.webhook.secret,
      apiPrefix: API_PREFIX,
      onRequested: (format, comments) => {
        exportMetrics.requested.inc({ format, comments });
        // In the all-in-one process the job starts now, not at the next poll.
        deps.exports.worker?.wake();
      },
      onQuotaRejected: (plan) => exportMetrics.quotaRejections.inc({ plan }),
    }),
    images: wireImages(config, infra, permissions),
    versions: wireVersionHistory(config, infra, { documents, rooms: deps.rooms }),
    imports: wireImports(config, infra, db, permissions),
    // Live rooms answer first; the stored log otherwise.
    content: new DocumentContentReads(
      documents,
      new DocumentContent({
        log: new SqlUpdateLog(db),
        rooms: deps.rooms,
        crdt: infra.crdt(),
        quarantine: infra.quarantine('api'),
      }),
    ),
  };
}

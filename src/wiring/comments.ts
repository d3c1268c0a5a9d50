/**
 * Comments for the api role (issue 14): threads checked against the live document (or the stored
 * one), notices published on the document's bus channel for open editors on every instance,
 * notifications, and the digest job that emails them through the mail outbox.
 */
import { SqlUpdateLog } from '../adapters/sql/update-log.ts';
import { Comments } from '../app/comments.ts';
import { NotificationDigest } from '../app/notification-digest.ts';
import { Notifications } from '../app/notifications.ts';
import { WorkspaceSettings } from '../app/workspace-settings.ts';
import type { Config } from '../config/config.ts';
import { CommentMetrics } from '../observability/comment-metrics.ts';
import { CommentAnchorCheck } from '../sync/comment-anchor-check.ts';
import { publishCommentNotice } from '../sync/comment-notices.ts';
import type { RoomRegistry } from '../sync/rooms.ts';
import type { Identity } from './identity.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { Mail } from './mail.ts';

/** People whose digest one round handles. */
const DIGEST_BATCH = 50;

export type CommentsWiring = {
  comments: Comments;
  notifications: Notifications;
  digest: NotificationDigest;
  settings: WorkspaceSettings;
  start(): void;
  stop(): Promise<void>;
};

export function wireComments(
  config: Config,
  infra: Infrastructure,
  identity: Identity,
  deps: { rooms: RoomRegistry | undefined; mail: Mail },
): CommentsWiring {
  const db = infra.database.pool('api');
  const logger = infra.logger.child({ component: 'comments' });
  const metrics = new CommentMetrics(infra.metrics.registry);
  const anchors = new CommentAnchorCheck({
    log: new SqlUpdateLog(db),
    rooms: deps.rooms,
    crdt: infra.crdt(),
    quarantine: infra.quarantine('api'),
  });
  const comments = new Comments(db, identity.permissions, {
    anchorProblem: (documentId, anchor) => anchors.problem(documentId, anchor),
    notify: ({ documentId, threadId, change }) => {
      void publishCommentNotice(infra.bus, documentId, { threadId, change }).then((ok) => {
        if (ok) return;
        metrics.noticeFailures.inc();
        logger.warn({ documentId, threadId, change }, 'comment notice not published: open editors see it on reconnect');
      });
    },
    changed: ({ documentId, threadId, change, actor, notifications }) => {
      metrics.changes.inc({ change });
      metrics.notifications.inc(notifications);
      logger.info(
        { event: `comment_${change}`, documentId, threadId, userId: actor, notifications },
        `comment ${change}`,
      );
    },
  });
  const notifications = new Notifications(db, identity.permissions);
  const digest = new NotificationDigest(
    db,
    deps.mail.outbox,
    notifications,
    { delayMs: config.notifications.emailDelaySeconds * 1000, publicUrl: config.publicUrl, batch: DIGEST_BATCH },
    {
      claimed: ({ userId, notifications: n, emailed }) => {
        metrics.digests.inc({ outcome: emailed ? 'emailed' : 'skipped' });
        logger.info({ event: 'notification_digest', userId, notifications: n, emailed }, 'notification digest');
      },
      failed: (err) => {
        metrics.digestFailures.inc();
        logger.error({ err }, 'notification digest round failed');
      },
    },
  );
  const settings = new WorkspaceSettings(db, identity.permissions, infra.events, (view, actor) => {
    metrics.settingChanges.inc({ viewers_browse: String(view.viewersBrowse) });
    logger.info({ event: 'workspace_settings_changed', userId: actor, ...view }, 'workspace viewer browsing changed');
  });
  return {
    comments,
    notifications,
    digest,
    settings,
    start: () => digest.start(config.notifications.digestPollMs),
    stop: () => digest.stop(),
  };
}

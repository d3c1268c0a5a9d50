/**
 * Metrics of comments and their notifications: changes by kind, notifications written, live
 * notices the bus did not take (open editors then only catch up when they reconnect), and digest
 * emails queued or skipped, plus failed digest rounds (docs/operations.md "Comments"), and changes
 * of workspaces' viewer-browsing setting.
 */
import client from 'prom-client';

const CHANGES = ['created', 'replied', 'edited', 'deleted', 'resolved', 'reopened'] as const;

export class CommentMetrics {
  readonly changes: client.Counter<'change'>;
  readonly notifications: client.Counter;
  readonly noticeFailures: client.Counter;
  readonly digests: client.Counter<'outcome'>;
  readonly digestFailures: client.Counter;
  readonly settingChanges: client.Counter<'viewers_browse'>;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.changes = new client.Counter({
      name: 'comment_changes_total',
      help: 'Comment changes by kind (created: a new thread; replied, edited, deleted, resolved, reopened)',
      labelNames: ['change'],
      registers,
    });
    this.notifications = new client.Counter({
      name: 'comment_notifications_total',
      help: 'Notifications written for mentions and replies',
      registers,
    });
    this.noticeFailures = new client.Counter({
      name: 'comment_notice_failures_total',
      help: 'Live comment notices the bus did not take (open editors miss them until they reconnect)',
      registers,
    });
    this.digests = new client.Counter({
      name: 'notification_digests_total',
      help: "People's digest rounds: emailed (one message queued) or skipped (all read, email off, no access)",
      labelNames: ['outcome'],
      registers,
    });
    this.digestFailures = new client.Counter({
      name: 'notification_digest_failures_total',
      help: 'Digest rounds that failed (notification emails are late until one succeeds)',
      registers,
    });
    this.settingChanges = new client.Counter({
      name: 'workspace_viewer_browsing_changes_total',
      help: 'Workspaces whose viewers were allowed (true) or no longer allowed (false) to see comments and history',
      labelNames: ['viewers_browse'],
      registers,
    });
    // Zero from the start, so rate() and alerts see the first one after a restart.
    for (const change of CHANGES) this.changes.inc({ change }, 0);
    this.digests.inc({ outcome: 'emailed' }, 0);
    this.digests.inc({ outcome: 'skipped' }, 0);
    this.noticeFailures.inc(0);
    this.digestFailures.inc(0);
  }
}

/** The caller's notifications (mentions, replies: docs/spec/comments.md [C6] [C7]) and their email setting. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Notifications } from '../../app/notifications.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import { NotificationPageSchema, NotificationSettingsSchema, UnreadCountSchema } from '../comment-schemas.ts';
import { Defaulted, described, problemResponses, Uuid } from '../schemas.ts';

const OWN = "The caller's own; every signed-in person has them.";

export const notificationRoutes =
  (notifications: Notifications): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/notifications',
      {
        schema: {
          operationId: 'listNotifications',
          tags: ['notifications'],
          summary: 'List my notifications',
          description:
            `Mentions and replies, newest first (\`unread=true\` for unread only), keyset pages. ${OWN} ` +
            'Notifications about documents the caller can no longer open are left out.',
          querystring: T.Object(
            {
              unread: Defaulted(T.Boolean({ default: false })),
              limit: Defaulted(T.Integer({ minimum: 1, maximum: 100, default: 30 })),
              cursor: T.Optional(Uuid),
            },
            { additionalProperties: false },
          ),
          response: {
            200: described('One page of notifications and the unread count', NotificationPageSchema),
            ...problemResponses(400, 401),
          },
        },
      },
      async (req) => withSpan('notifications.list', {}, () => notifications.list(actorOf(req), req.query)),
    );

    app.get(
      '/notifications/unread-count',
      {
        schema: {
          operationId: 'countUnreadNotifications',
          tags: ['notifications'],
          summary: 'Count my unread notifications',
          description: `The number the bell shows. ${OWN}`,
          response: { 200: described('The unread count', UnreadCountSchema), ...problemResponses(401) },
        },
      },
      async (req) => ({ unread: await notifications.unreadCount(actorOf(req)) }),
    );

    app.post(
      '/notifications/read',
      {
        schema: {
          operationId: 'markNotificationsRead',
          tags: ['notifications'],
          summary: 'Mark notifications read',
          description: `Marks the given notifications read (ids that are not the caller's are ignored). ${OWN}`,
          body: T.Object(
            { ids: T.Array(Uuid, { minItems: 1, maxItems: 100, uniqueItems: true }) },
            { additionalProperties: false },
          ),
          response: { 200: described('The unread count now', UnreadCountSchema), ...problemResponses(400, 401) },
        },
      },
      async (req) => notifications.markRead(actorOf(req), req.body.ids),
    );

    app.post(
      '/notifications/read-all',
      {
        schema: {
          operationId: 'markAllNotificationsRead',
          tags: ['notifications'],
          summary: 'Mark all my notifications read',
          description: OWN,
          response: { 200: described('The unread count now (0)', UnreadCountSchema), ...problemResponses(401) },
        },
      },
      async (req) => notifications.markRead(actorOf(req), 'all'),
    );

    app.get(
      '/me/notification-settings',
      {
        schema: {
          operationId: 'getNotificationSettings',
          tags: ['notifications'],
          summary: 'Get my notification email setting',
          description: `Whether notifications also arrive by email, as a digest (the default) or not at all. ${OWN}`,
          response: { 200: described('The setting', NotificationSettingsSchema), ...problemResponses(401) },
        },
      },
      async (req) => notifications.settings(actorOf(req)),
    );

    app.put(
      '/me/notification-settings',
      {
        schema: {
          operationId: 'setNotificationSettings',
          tags: ['notifications'],
          summary: 'Set my notification email setting',
          description: `\`digest\`: one email batching what arrived; \`off\`: in-app only. ${OWN}`,
          body: NotificationSettingsSchema,
          response: { 200: described('The setting now', NotificationSettingsSchema), ...problemResponses(400, 401) },
        },
      },
      async (req) => notifications.setSettings(actorOf(req), req.body),
    );
  };

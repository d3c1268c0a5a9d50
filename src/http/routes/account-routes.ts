/** The signed-in person's own account: display name and sign-in sessions (docs/spec/auth.md [A9]). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { AccountSettings } from '../../app/auth/account-settings.ts';
import type { AccountSessions } from '../../app/auth/sessions.ts';
import { actorOf } from '../auth-hook.ts';
import { DisplayName, described, Items, problemResponses, Timestamp, UserSchema, Uuid } from '../schemas.ts';

const SignInSessionSchema = T.Object(
  {
    id: Uuid,
    startedAt: Timestamp,
    lastActiveAt: T.String({ format: 'date-time', description: 'when its access token was last refreshed' }),
    expiresAt: T.String({ format: 'date-time', description: 'when it ends unless refreshed' }),
  },
  { title: 'SignInSession' },
);

export const accountRoutes =
  (settings: AccountSettings, sessions: AccountSessions): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.patch(
      '/me',
      {
        schema: {
          operationId: 'updateMe',
          tags: ['auth'],
          summary: 'Change your display name',
          description: 'Sets the name others see in shares, member lists and comments.',
          body: T.Object({ displayName: DisplayName }, { additionalProperties: false }),
          response: { 200: described('The account as it is now', UserSchema), ...problemResponses(400, 401) },
        },
      },
      async (req) => settings.rename(actorOf(req), req.body.displayName),
    );

    app.get(
      '/me/sessions',
      {
        schema: {
          operationId: 'listSessions',
          tags: ['auth'],
          summary: 'Your sign-in sessions',
          description:
            'Every device or browser signed in to your account (one per log-in), most recently active first.',
          response: { 200: described('Live sessions', Items(SignInSessionSchema)), ...problemResponses(401) },
        },
      },
      async (req) => ({ items: await sessions.list(actorOf(req)) }),
    );

    app.delete(
      '/me/sessions/:id',
      {
        schema: {
          operationId: 'revokeSession',
          tags: ['auth'],
          summary: 'Sign a session out',
          description:
            'Ends one session: its refresh token stops working at once; its access token expires on its own ' +
            '(at most 15 minutes). 404 for a session that is not yours or already ended.',
          params: T.Object({ id: Uuid }),
          response: { 204: described('The session is ended', T.Null()), ...problemResponses(400, 401, 404) },
        },
      },
      async (req, reply) => {
        await sessions.revoke(actorOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/me/sessions/revoke-all',
      {
        schema: {
          operationId: 'signOutEverywhere',
          tags: ['auth'],
          summary: 'Sign out everywhere',
          description:
            'Ends every session, this one included: refresh tokens stop working at once, and access tokens ' +
            'issued before now are refused at once on every instance (within 30 seconds if a notice between instances is lost).',
          response: {
            200: described('How many sessions were ended', T.Object({ revoked: T.Integer({ minimum: 0 }) })),
            ...problemResponses(401),
          },
        },
      },
      async (req) => ({ revoked: await sessions.revokeAll(actorOf(req)) }),
    );
  };

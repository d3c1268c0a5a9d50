/** Public account routes (sign up, log in, refresh, log out) and the authenticated `/me`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Accounts } from '../../app/auth/accounts.ts';
import { Unauthenticated } from '../../domain/errors.ts';
import { actorOf } from '../auth-hook.ts';
import { DisplayName, described, Email, Password, problemResponses, SessionSchema, UserSchema } from '../schemas.ts';

const RefreshBody = T.Object(
  { refreshToken: T.String({ minLength: 20, maxLength: 200 }) },
  { additionalProperties: false },
);

export const authRoutes =
  (accounts: Accounts): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/auth/signup',
      {
        schema: {
          operationId: 'signUp',
          tags: ['auth'],
          summary: 'Create an account',
          description: 'Creates an account and starts a session (access and refresh token). Throttled per IP.',
          // Public: answers without an access token (overrides the document's global bearer requirement).
          security: [],
          body: T.Object(
            { email: Email, password: Password, displayName: DisplayName },
            { additionalProperties: false },
          ),
          response: {
            201: described('The account is created and a session started', SessionSchema),
            ...problemResponses(400, 409, 429),
          },
        },
      },
      async (req, reply) => reply.status(201).send(await accounts.signUp({ ...req.body, ip: req.ip })),
    );

    app.post(
      '/auth/login',
      {
        schema: {
          operationId: 'logIn',
          tags: ['auth'],
          summary: 'Log in',
          description: 'Starts a session with email and password. Throttled per account and per IP.',
          security: [],
          body: T.Object(
            { email: Email, password: T.String({ minLength: 1, maxLength: 256 }) },
            { additionalProperties: false },
          ),
          response: { 200: described('A new session', SessionSchema), ...problemResponses(400, 401, 429) },
        },
      },
      async (req) => accounts.logIn({ ...req.body, ip: req.ip }),
    );

    app.post(
      '/auth/refresh',
      {
        schema: {
          operationId: 'refreshSession',
          tags: ['auth'],
          summary: 'Refresh a session',
          description:
            'Rotates a refresh token into a new session. Reusing a rotated refresh token revokes its whole family.',
          security: [],
          body: RefreshBody,
          response: {
            200: described('A new session; the old refresh token is spent', SessionSchema),
            ...problemResponses(400, 401),
          },
        },
      },
      async (req) => accounts.refresh(req.body.refreshToken),
    );

    app.post(
      '/auth/logout',
      {
        schema: {
          operationId: 'logOut',
          tags: ['auth'],
          summary: 'Log out',
          description: 'Revokes the session behind a refresh token. Unknown tokens are accepted silently.',
          security: [],
          body: RefreshBody,
          response: { 204: T.Null({ description: 'The session is revoked' }), ...problemResponses(400) },
        },
      },
      async (req, reply) => {
        await accounts.logOut(req.body.refreshToken);
        return reply.status(204).send(null);
      },
    );
  };

/** The caller's own account; registered in the authenticated scope. */
export const meRoutes =
  (accounts: Accounts): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/me',
      {
        schema: {
          operationId: 'getMe',
          tags: ['auth'],
          summary: 'The authenticated user',
          description: 'The account behind the access token.',
          response: { 200: described('The user', UserSchema), ...problemResponses(401) },
        },
      },
      async (req) => {
        const user = await accounts.findUser(actorOf(req));
        // A valid token for an account deleted since it was issued.
        if (!user) throw new Unauthenticated('the account behind this token no longer exists');
        return user;
      },
    );
  };

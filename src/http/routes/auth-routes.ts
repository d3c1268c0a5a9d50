/** Public account routes (sign up, log in, refresh, log out, password reset) and the authenticated `/me`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Accounts } from '../../app/auth/accounts.ts';
import type { PasswordResets } from '../../app/auth/password-reset.ts';
import { Unauthenticated } from '../../domain/errors.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import { DisplayName, described, Email, Password, problemResponses, SessionSchema, UserSchema } from '../schemas.ts';

const RefreshBody = T.Object(
  { refreshToken: T.String({ minLength: 20, maxLength: 200 }) },
  { additionalProperties: false },
);

/** The secret of an emailed link, as the page read it from the link's fragment. */
export const LinkToken = T.String({ minLength: 20, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' });

export const authRoutes =
  (accounts: Accounts, passwordResets: PasswordResets): FastifyPluginAsyncTypebox =>
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

    app.post(
      '/auth/password-reset',
      {
        schema: {
          operationId: 'requestPasswordReset',
          tags: ['auth'],
          summary: 'Ask for a password reset link',
          description:
            'Emails a one-time link to reset the password if an account has this email. The answer is 202 ' +
            'whether or not one does (no account enumeration). Throttled per client address (429) and per ' +
            'email (further requests are accepted but send nothing).',
          security: [],
          body: T.Object({ email: Email }, { additionalProperties: false }),
          response: {
            202: described('Accepted: if an account has this email, a link is on its way', T.Null()),
            ...problemResponses(400, 429),
          },
        },
      },
      async (req, reply) => {
        await withSpan('auth.password_reset.request', {}, () =>
          passwordResets.request({ email: req.body.email, ip: req.ip }),
        );
        // No body at all (the schema's null documents that): the same empty answer for every email.
        return reply.status(202).send(undefined as unknown as null);
      },
    );

    app.post(
      '/auth/password-reset/confirm',
      {
        schema: {
          operationId: 'confirmPasswordReset',
          tags: ['auth'],
          summary: 'Set a new password with a reset link',
          description:
            "Sets the account's password (the sign-up rules apply) with the token of an emailed reset link, " +
            'which then no longer works, and signs the account out everywhere (every refresh token is revoked). ' +
            '410 when the link has expired, was already used or is not one.',
          security: [],
          body: T.Object({ token: LinkToken, password: Password }, { additionalProperties: false }),
          response: {
            204: described('The password is changed; log in with it', T.Null()),
            ...problemResponses(400, 410),
          },
        },
      },
      async (req, reply) => {
        await withSpan('auth.password_reset.confirm', {}, () => passwordResets.confirm(req.body));
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

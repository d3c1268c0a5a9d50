/** Public account routes: sign up, log in, refresh, log out. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Accounts } from '../../app/auth/accounts.ts';
import { DisplayName, Email, Password, problemResponses, SessionSchema } from '../schemas.ts';

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
          tags: ['auth'],
          summary: 'Create an account and start a session',
          body: T.Object(
            { email: Email, password: Password, displayName: DisplayName },
            { additionalProperties: false },
          ),
          response: { 201: SessionSchema, ...problemResponses(400, 409, 429) },
        },
      },
      async (req, reply) => reply.status(201).send(await accounts.signUp({ ...req.body, ip: req.ip })),
    );

    app.post(
      '/auth/login',
      {
        schema: {
          tags: ['auth'],
          summary: 'Log in with email and password (throttled per account and per IP)',
          body: T.Object(
            { email: Email, password: T.String({ minLength: 1, maxLength: 256 }) },
            { additionalProperties: false },
          ),
          response: { 200: SessionSchema, ...problemResponses(400, 401, 429) },
        },
      },
      async (req) => accounts.logIn({ ...req.body, ip: req.ip }),
    );

    app.post(
      '/auth/refresh',
      {
        schema: {
          tags: ['auth'],
          summary: 'Rotate a refresh token into a new session; reusing a rotated token revokes the family',
          body: RefreshBody,
          response: { 200: SessionSchema, ...problemResponses(400, 401) },
        },
      },
      async (req) => accounts.refresh(req.body.refreshToken),
    );

    app.post(
      '/auth/logout',
      {
        schema: {
          tags: ['auth'],
          summary: 'Revoke the session behind a refresh token',
          body: RefreshBody,
          response: { 204: T.Null(), ...problemResponses(400) },
        },
      },
      async (req, reply) => {
        await accounts.logOut(req.body.refreshToken);
        return reply.status(204).send(null);
      },
    );
  };

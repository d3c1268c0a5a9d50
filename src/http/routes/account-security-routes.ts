/**
 * Routes that change what proves who someone is, and delete their account (docs/spec/auth.md
 * [A10] [A11] [A12]): password change, email change (requested signed in, confirmed from the
 * emailed link, signed in or not), and account deletion with its preview.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { AccountDeletion } from '../../app/auth/account-deletion.ts';
import type { AccountSecurity } from '../../app/auth/account-security.ts';
import { actorOf } from '../auth-hook.ts';
import { described, Email, Password, problemResponses, SessionSchema, Uuid } from '../schemas.ts';
import { LinkToken } from './auth-routes.ts';

/** Any password someone may have (checked, never judged): the rules apply to new ones only. */
const CurrentPassword = T.String({ minLength: 1, maxLength: 256 });

const DeletionPreviewSchema = T.Object(
  {
    workspaces: T.Array(
      T.Object({
        id: Uuid,
        name: T.String(),
        role: T.Union([T.Literal('owner'), T.Literal('admin'), T.Literal('member'), T.Literal('guest')]),
        isPrimaryOwner: T.Boolean(),
        otherMembers: T.Integer({ minimum: 0 }),
        outcome: T.Union([T.Literal('blocks'), T.Literal('deleted'), T.Literal('left')], {
          description:
            'blocks: you are its primary owner and others use it: hand the role over first; deleted: ' +
            'nobody else uses it, it goes with its documents; left: you leave it, the others keep it',
        }),
      }),
    ),
    ownedDocuments: T.Array(
      T.Object({ id: Uuid, title: T.String(), workspaceId: Uuid, workspaceName: T.String(), trashed: T.Boolean() }),
      { description: 'Documents you own in workspaces others keep (at most 500 listed)' },
    ),
    ownedDocumentsTotal: T.Integer({ minimum: 0 }),
    canDelete: T.Boolean({ description: 'false while a workspace blocks it' }),
  },
  { title: 'AccountDeletionPreview' },
);

export const accountSecurityRoutes =
  (security: AccountSecurity, deletion: AccountDeletion): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.put(
      '/me/password',
      {
        schema: {
          operationId: 'changePassword',
          tags: ['auth'],
          summary: 'Change your password',
          description:
            'Sets a new password (at least 10 characters, not a common one) given the current one. Every ' +
            'session ends — refresh tokens at once, access tokens issued until now are refused — and the ' +
            'answer is a new session for the device that asked. 403 for a wrong current password; wrong ' +
            'passwords are counted per account (429 past the limit).',
          body: T.Object({ currentPassword: CurrentPassword, newPassword: Password }, { additionalProperties: false }),
          response: {
            200: described('The password is changed; this device goes on with this new session', SessionSchema),
            ...problemResponses(400, 401, 403, 429),
          },
        },
      },
      async (req) => security.changePassword(actorOf(req), req.body),
    );

    app.post(
      '/me/email',
      {
        schema: {
          operationId: 'requestEmailChange',
          tags: ['auth'],
          summary: 'Change your email',
          description:
            'Given the current password, mails a one-time link (15 minutes, single use) to the new address ' +
            'and a notice to the current one; the email changes only when the link is used. The answer is ' +
            'the same whether or not another account has the address. Asking for your current email again ' +
            'sends a link that verifies it. Throttled per account.',
          body: T.Object({ currentPassword: CurrentPassword, email: Email }, { additionalProperties: false }),
          response: {
            202: described('A confirmation link is on its way to the new address', T.Null()),
            ...problemResponses(400, 401, 403, 429),
          },
        },
      },
      async (req, reply) => {
        await security.requestEmailChange(actorOf(req), req.body);
        return reply.status(202).send(undefined as unknown as null);
      },
    );

    app.get(
      '/me/deletion-preview',
      {
        schema: {
          operationId: 'previewAccountDeletion',
          tags: ['auth'],
          summary: 'What deleting your account would do',
          description:
            'The workspaces you are in (and what happens to each) and the documents you own, for the warning ' +
            'shown before deleting.',
          response: {
            200: described('What would be deleted, left or handed over', DeletionPreviewSchema),
            ...problemResponses(401),
          },
        },
      },
      async (req) => deletion.preview(actorOf(req)),
    );

    app.delete(
      '/me',
      {
        schema: {
          operationId: 'deleteAccount',
          tags: ['auth'],
          summary: 'Delete your account',
          description:
            'Deletes the account for good, given its password (accounts of an external identity provider: a ' +
            'log-in in the last 5 minutes). Documents you own go to `transferTo` where they are a member of ' +
            "the document's workspace, else to the workspace's primary owner (`documents: transfer`), or to " +
            'the trash (`documents: trash`); workspaces nobody else uses are deleted. 409 while you are the ' +
            'primary owner of a workspace others use. Your tokens are refused at once and open editors close.',
          body: T.Object(
            {
              password: T.Optional(CurrentPassword),
              documents: T.Union([T.Literal('transfer'), T.Literal('trash')]),
              transferTo: T.Optional(Uuid),
            },
            { additionalProperties: false },
          ),
          response: {
            200: described(
              'The account is deleted',
              T.Object({
                documentsTransferred: T.Integer({ minimum: 0 }),
                documentsTrashed: T.Integer({ minimum: 0 }),
                workspacesDeleted: T.Integer({ minimum: 0 }),
              }),
            ),
            ...problemResponses(400, 401, 403, 409, 422, 429),
          },
        },
      },
      async (req) => deletion.delete(actorOf(req), req.principal?.issuedAt, req.body),
    );
  };

/** The link's half of an email change: public, since the link may be opened where nobody is signed in. */
export const emailChangeConfirmRoutes =
  (security: AccountSecurity): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/auth/email-change/confirm',
      {
        schema: {
          operationId: 'confirmEmailChange',
          tags: ['auth'],
          summary: 'Confirm an email change with its link',
          description:
            "Makes the link's address the account's email (verified). Sessions go on. 409 when another " +
            'account uses that address; 410 when the link has expired, was already used or is not one.',
          security: [],
          body: T.Object({ token: LinkToken }, { additionalProperties: false }),
          response: {
            204: described('The email is changed', T.Null()),
            ...problemResponses(400, 409, 410),
          },
        },
      },
      async (req, reply) => {
        await security.confirmEmailChange(req.body.token);
        return reply.status(204).send(null);
      },
    );
  };

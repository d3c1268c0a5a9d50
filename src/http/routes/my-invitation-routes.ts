/**
 * Invitations addressed to the signed-in person's email, answered in the app (docs/spec/auth.md
 * [I6]): listed on the home page once the email is verified, accepted or declined there. The
 * emailed link keeps working as before ([I2]).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Invitations } from '../../app/invitations.ts';
import type { MyInvitations } from '../../app/my-invitations.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import { AcceptedInvitationSchema, described, problemResponses, Timestamp, Uuid } from '../schemas.ts';

const AddressedInvitationSchema = T.Object(
  {
    id: Uuid,
    kind: T.Union([T.Literal('workspace'), T.Literal('document')]),
    workspaceId: Uuid,
    workspaceName: T.String(),
    documentId: T.Union([Uuid, T.Null()]),
    documentTitle: T.Union([T.String(), T.Null()]),
    role: T.String({ description: 'A workspace role, or a share role for a document' }),
    invitedBy: T.Union([T.String(), T.Null()], { description: "The inviter's name (null once their account is gone)" }),
    createdAt: Timestamp,
    expiresAt: Timestamp,
  },
  { title: 'AddressedInvitation' },
);
const Params = T.Object({ id: Uuid });

export const myInvitationRoutes =
  (invitations: Invitations, mine: MyInvitations): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/me/invitations',
      {
        schema: {
          operationId: 'listMyInvitations',
          tags: ['invitations'],
          summary: 'Invitations addressed to you',
          description:
            'Pending invitations (not accepted, withdrawn, declined or expired) to your email, newest first — ' +
            'only once your email is verified (a link mailed to it was used: an invitation or reset link, or ' +
            'the confirmation from Account settings); until then `emailVerified` is false and the list empty.',
          response: {
            200: described(
              'Invitations waiting for your answer',
              T.Object({ emailVerified: T.Boolean(), items: T.Array(AddressedInvitationSchema) }),
            ),
            ...problemResponses(401),
          },
        },
      },
      async (req) => mine.list(actorOf(req)),
    );

    app.post(
      '/me/invitations/:id/accept',
      {
        schema: {
          operationId: 'acceptMyInvitation',
          tags: ['invitations'],
          summary: 'Accept an invitation addressed to you',
          description:
            'Joins the workspace or opens the share, like the emailed link. 403 until your email is verified; ' +
            '404 for an invitation not addressed to you; 410, in plain words, once withdrawn, declined or expired.',
          params: Params,
          response: {
            200: described('Where the invitation leads now', AcceptedInvitationSchema),
            ...problemResponses(400, 401, 403, 404, 410),
          },
        },
      },
      async (req) => {
        const accepted = await withSpan('invitation.accept_in_app', {}, () =>
          invitations.acceptAddressed(actorOf(req), req.params.id),
        );
        req.log.info(
          { workspaceId: accepted.workspaceId, documentId: accepted.documentId },
          'invitation accepted in the app',
        );
        return accepted;
      },
    );

    app.post(
      '/me/invitations/:id/decline',
      {
        schema: {
          operationId: 'declineMyInvitation',
          tags: ['invitations'],
          summary: 'Decline an invitation addressed to you',
          description:
            'The invitation leaves your list and the inviter’s pending list; its link then says it was declined. ' +
            '403 until your email is verified; 404 for one not addressed to you or no longer pending.',
          params: Params,
          response: { 204: described('Declined', T.Null()), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        await withSpan('invitation.decline', {}, () => mine.decline(actorOf(req), req.params.id));
        req.log.info({ invitationId: req.params.id }, 'invitation declined');
        return reply.status(204).send(null);
      },
    );
  };

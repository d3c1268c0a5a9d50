/**
 * Invitations [I1]–[I5]: inviting to a workspace (POST members) and sharing a document by email
 * (POST shares) with any email, listing, revoking and re-sending open invitations, workspace
 * invite links, and accepting a link (plus its public preview, for the page a link opens).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Invitations } from '../../app/invitations.ts';
import type { InviteLinks } from '../../app/invite-links.ts';
import type { MyInvitations } from '../../app/my-invitations.ts';
import { Gone } from '../../domain/errors.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import {
  AcceptedInvitationSchema,
  described,
  Email,
  InvitationPreviewSchema,
  InvitationSchema,
  InvitationSentSchema,
  InviteLinkCreatedSchema,
  InviteLinkRoleSchema,
  InviteLinkSchema,
  Items,
  problemResponses,
  ShareRoleSchema,
  Uuid,
  WorkspaceRoleSchema,
} from '../schemas.ts';
import { LinkToken } from './auth-routes.ts';

export type InvitationDeps = {
  invitations: Invitations;
  inviteLinks: InviteLinks;
  /** Invitations addressed to the caller, answered in the app [I6]. */
  mine: MyInvitations;
};

const WorkspaceParams = T.Object({ id: Uuid });
const InvitationParams = T.Object({ id: Uuid, invitationId: Uuid });
const LinkParams = T.Object({ id: Uuid, linkId: Uuid });
const TokenBody = T.Object({ token: LinkToken }, { additionalProperties: false });
const SENT = 'The invitation is on its way (the same answer whether or not the email has an account)';

const unknownLink = () =>
  new Gone(
    'this link is not a valid invitation (it may have been replaced by a newer one); ask for a new one',
    'link_unknown',
  );

/** Routes that need an access token. */
export const invitationRoutes =
  ({ invitations, inviteLinks }: InvitationDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/workspaces/:id/members',
      {
        schema: {
          operationId: 'addMember',
          tags: ['members'],
          summary: 'Invite someone to the workspace',
          description:
            'Emails an invitation to join with a role, to any email (admins; only owners invite admins or owners). ' +
            'Nobody becomes a member until they accept from the link; people without an account sign up from it. ' +
            'The answer is the same whether or not the email has an account; a newer invitation replaces an ' +
            'open one to the same email. 409 if they are already a member.',
          params: WorkspaceParams,
          body: T.Object({ email: Email, role: WorkspaceRoleSchema }, { additionalProperties: false }),
          response: { 202: described(SENT, InvitationSentSchema), ...problemResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        const sent = await withSpan(
          'invitation.workspace',
          { 'workspace.id': id, 'invitation.role': req.body.role },
          () => invitations.inviteToWorkspace(actorOf(req), id, req.body),
        );
        req.log.info({ workspaceId: id, role: sent.role }, 'workspace invitation sent');
        return reply.status(202).send(sent);
      },
    );

    app.post(
      '/documents/:id/shares',
      {
        schema: {
          operationId: 'shareByEmail',
          tags: ['shares'],
          summary: 'Share by email',
          description:
            'Shares the document with any email and emails them a link (workspace admins and owners, or the ' +
            "document's creator): an account with this email gets the share at once, an email without one a " +
            'pending invitation that signing up from the link accepts. The answer is the same either way. ' +
            '409 if the account already has a share; 410 if the document is in the trash.',
          params: WorkspaceParams,
          body: T.Object({ email: Email, role: ShareRoleSchema }, { additionalProperties: false }),
          response: { 202: described(SENT, InvitationSentSchema), ...problemResponses(400, 401, 403, 404, 409, 410) },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        const sent = await withSpan(
          'invitation.document',
          { 'document.id': id, 'invitation.role': req.body.role },
          () => invitations.inviteToDocument(actorOf(req), id, req.body),
        );
        req.log.info({ documentId: id, role: sent.role }, 'document shared by email');
        return reply.status(202).send(sent);
      },
    );

    for (const scope of ['workspaces', 'documents'] as const) {
      const where = scope === 'workspaces' ? 'the workspace' : 'the document';
      const who =
        scope === 'workspaces'
          ? 'admins and owners; only owners for admin and owner invitations'
          : "workspace admins and owners, or the document's creator";
      const target = (id: string) => (scope === 'workspaces' ? { workspaceId: id } : { documentId: id });
      const Name = scope === 'workspaces' ? 'Workspace' : 'Document';
      // A document in the trash answers 410 to the people who manage it (docs/spec/home.md T1).
      const gone = scope === 'documents' ? [410] : [];

      app.get(
        `/${scope}/:id/invitations`,
        {
          schema: {
            operationId: `list${Name}Invitations`,
            tags: ['invitations'],
            summary: `List open invitations to ${where}`,
            description: `Invitations not yet accepted nor withdrawn, newest first, expired ones included (${who}).`,
            params: WorkspaceParams,
            response: {
              200: described('The open invitations', Items(InvitationSchema)),
              ...problemResponses(400, 401, 403, 404, ...gone),
            },
          },
        },
        async (req) => ({
          items:
            scope === 'workspaces'
              ? await invitations.listForWorkspace(actorOf(req), req.params.id)
              : await invitations.listForDocument(actorOf(req), req.params.id),
        }),
      );

      app.delete(
        `/${scope}/:id/invitations/:invitationId`,
        {
          schema: {
            operationId: `revoke${Name}Invitation`,
            tags: ['invitations'],
            summary: `Withdraw an invitation to ${where}`,
            description: `Its link stops working at once (${who}). 404 once accepted or withdrawn.`,
            params: InvitationParams,
            response: {
              204: described('The invitation is withdrawn', T.Null()),
              ...problemResponses(400, 401, 403, 404, ...gone),
            },
          },
        },
        async (req, reply) => {
          await invitations.revoke(actorOf(req), target(req.params.id), req.params.invitationId);
          req.log.info({ [`${scope.slice(0, -1)}Id`]: req.params.id }, 'invitation withdrawn');
          return reply.status(204).send(null);
        },
      );

      app.post(
        `/${scope}/:id/invitations/:invitationId/resend`,
        {
          schema: {
            operationId: `resend${Name}Invitation`,
            tags: ['invitations'],
            summary: `Send an invitation to ${where} again`,
            description: `Emails a new link with a new expiry; the previous link stops working (${who}).`,
            params: InvitationParams,
            response: {
              202: described(SENT, InvitationSentSchema),
              ...problemResponses(400, 401, 403, 404, ...gone),
            },
          },
        },
        async (req, reply) =>
          reply
            .status(202)
            .send(await invitations.resend(actorOf(req), target(req.params.id), req.params.invitationId)),
      );
    }

    app.post(
      '/workspaces/:id/invite-links',
      {
        schema: {
          operationId: 'createInviteLink',
          tags: ['invitations'],
          summary: 'Create an invite link',
          description:
            'A link anyone logged in can join the workspace with, as member or guest, until it expires or is used ' +
            '`maxUses` times (admins and owners). Its URL is in this answer only.',
          params: WorkspaceParams,
          body: T.Object(
            {
              role: InviteLinkRoleSchema,
              expiresInHours: T.Integer({ minimum: 1, maximum: 720, description: 'up to 30 days' }),
              maxUses: T.Optional(T.Integer({ minimum: 1, maximum: 10_000 })),
            },
            { additionalProperties: false },
          ),
          response: {
            201: described('The link, with its URL', InviteLinkCreatedSchema),
            ...problemResponses(400, 401, 403, 404),
          },
        },
      },
      async (req, reply) => {
        const link = await inviteLinks.create(actorOf(req), req.params.id, req.body);
        req.log.info({ workspaceId: req.params.id, linkId: link.id, role: link.role }, 'invite link created');
        return reply.status(201).send(link);
      },
    );

    app.get(
      '/workspaces/:id/invite-links',
      {
        schema: {
          operationId: 'listInviteLinks',
          tags: ['invitations'],
          summary: 'List invite links',
          description: "The workspace's links not revoked, with their uses (admins and owners); never their URLs.",
          params: WorkspaceParams,
          response: { 200: described('The links', Items(InviteLinkSchema)), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req) => ({ items: await inviteLinks.list(actorOf(req), req.params.id) }),
    );

    app.delete(
      '/workspaces/:id/invite-links/:linkId',
      {
        schema: {
          operationId: 'revokeInviteLink',
          tags: ['invitations'],
          summary: 'Revoke an invite link',
          description: 'The link stops working at once (admins and owners); members who joined with it stay.',
          params: LinkParams,
          response: { 204: described('The link is revoked', T.Null()), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        await inviteLinks.revoke(actorOf(req), req.params.id, req.params.linkId);
        req.log.info({ workspaceId: req.params.id, linkId: req.params.linkId }, 'invite link revoked');
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/invitations/accept',
      {
        schema: {
          operationId: 'acceptInvitation',
          tags: ['invitations'],
          summary: 'Accept an invitation or invite link',
          description:
            "Joins the workspace or opens the share a link's token offers. An invitation can only be accepted by " +
            'the account with the invited email (403 otherwise); accepting again answers the same. 410, in plain ' +
            'words, when the link expired, was used up, withdrawn or is unknown.',
          body: TokenBody,
          response: {
            200: described('Where the link leads now', AcceptedInvitationSchema),
            ...problemResponses(400, 401, 403, 410),
          },
        },
      },
      async (req) => {
        const actor = actorOf(req);
        const token = req.body.token;
        const accepted = await withSpan(
          'invitation.accept',
          {},
          async () => (await invitations.accept(actor, token)) ?? (await inviteLinks.accept(actor, token)),
        );
        if (!accepted) throw unknownLink();
        req.log.info({ workspaceId: accepted.workspaceId, documentId: accepted.documentId }, 'invitation accepted');
        return accepted;
      },
    );
  };

/** The public preview of a link, for the page it opens before anyone logs in. */
export const invitationPublicRoutes =
  ({ invitations, inviteLinks }: InvitationDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/invitations/preview',
      {
        schema: {
          operationId: 'previewInvitation',
          tags: ['invitations'],
          summary: 'What an invitation link offers',
          description:
            "The workspace or document a link's token invites to, by whom, for which email and role, so the page " +
            'it opens can say so before sign-up or log-in. 410, in plain words, when it can no longer be used.',
          security: [],
          body: TokenBody,
          response: {
            200: described('What accepting would give', InvitationPreviewSchema),
            ...problemResponses(400, 410),
          },
        },
      },
      async (req) => {
        const invitation = await invitations.preview(req.body.token);
        if (invitation) return invitation;
        const link = await inviteLinks.preview(req.body.token);
        if (!link) throw unknownLink();
        return { accepted: false, kind: 'link' as const, documentTitle: null, invitedBy: null, email: null, ...link };
      },
    );
  };

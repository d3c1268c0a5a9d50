/** A document's general access and its owner, a workspace's primary owner (docs/spec/auth.md [P7] [P8] [P9]). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { DocumentAccessSettings } from '../../app/document-access.ts';
import type { WorkspaceOwnership } from '../../app/workspace-ownership.ts';
import { actorOf } from '../auth-hook.ts';
import { DocumentSchema, described, GeneralAccessSchema, problemResponses, Uuid, WorkspaceSchema } from '../schemas.ts';

const DocumentParams = T.Object({ id: Uuid });

export const accessRoutes =
  (settings: DocumentAccessSettings, ownership: WorkspaceOwnership): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.put(
      '/workspaces/:id/primary-owner',
      {
        schema: {
          operationId: 'transferPrimaryOwnership',
          tags: ['workspaces'],
          summary: 'Hand over primary ownership',
          description:
            "Makes another member the workspace's primary owner (the primary owner only): they become an owner " +
            'if they were not one. The primary owner alone demotes or removes owners and can neither leave nor ' +
            'step down; after the hand-over the previous primary owner is an ordinary owner. 422 if the user is ' +
            'not a member of the workspace.',
          params: T.Object({ id: Uuid }),
          body: T.Object({ userId: Uuid }, { additionalProperties: false }),
          response: {
            200: described('The workspace with its new primary owner', WorkspaceSchema),
            ...problemResponses(400, 401, 403, 404, 422),
          },
        },
      },
      async (req) => ownership.transferPrimaryOwnership(actorOf(req), req.params.id, req.body.userId),
    );

    app.put(
      '/documents/:id/general-access',
      {
        schema: {
          operationId: 'setGeneralAccess',
          tags: ['shares'],
          summary: 'Set general access',
          description:
            'Sets what every member of the workspace may do with the document without a person share: ' +
            '`restricted`, `view`, `comment` or `edit` (workspace admins and owners, and the document owner). ' +
            'Open editors follow at once: a member who lost access is disconnected, one who lost editing turns ' +
            'read-only. Read it back in `generalAccess` of GET /documents/{id}.',
          params: DocumentParams,
          body: T.Object({ generalAccess: GeneralAccessSchema }, { additionalProperties: false }),
          response: {
            200: described('The document with its new general access', DocumentSchema),
            ...problemResponses(400, 401, 403, 404, 410),
          },
        },
      },
      async (req) => settings.setGeneralAccess(actorOf(req), req.params.id, req.body.generalAccess),
    );

    app.put(
      '/documents/:id/owner',
      {
        schema: {
          operationId: 'transferDocumentOwnership',
          tags: ['shares'],
          summary: 'Transfer ownership',
          description:
            'Makes another member, admin or owner of the workspace the owner of the document (its owner, ' +
            'workspace admins and owners). The previous owner keeps an editor share. 422 if the new owner ' +
            'is not a member of the workspace (guests cannot own documents of others).',
          params: DocumentParams,
          body: T.Object({ userId: Uuid }, { additionalProperties: false }),
          response: {
            200: described('The document with its new owner', DocumentSchema),
            ...problemResponses(400, 401, 403, 404, 410, 422),
          },
        },
      },
      async (req) => settings.transferOwnership(actorOf(req), req.params.id, req.body.userId),
    );
  };

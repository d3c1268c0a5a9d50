/** Documents and their shares (lists and stars: list-routes.ts; deleting: trash-routes.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Documents } from '../../app/documents.ts';
import { actorOf } from '../auth-hook.ts';
import { IdempotencyKeyHeaders } from '../idempotency-hook.ts';
import {
  DocumentSchema,
  described,
  Items,
  problemResponses,
  ShareRoleSchema,
  ShareSchema,
  Title,
  Uuid,
} from '../schemas.ts';

const DocumentParams = T.Object({ id: Uuid });
const ShareParams = T.Object({ id: Uuid, userId: Uuid });

export const documentRoutes =
  (documents: Documents): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/workspaces/:id/documents',
      {
        schema: {
          operationId: 'createDocument',
          tags: ['documents'],
          summary: 'Create a document',
          description:
            'Creates an empty document in the workspace (members, admins and owners). Retry-safe with ' +
            '`Idempotency-Key`: a repeat gets the first answer, the same key for another request 422.',
          params: T.Object({ id: Uuid }),
          headers: IdempotencyKeyHeaders,
          body: T.Object({ title: T.Optional(Title) }, { additionalProperties: false }),
          response: {
            201: described('The new document', DocumentSchema),
            ...problemResponses(400, 401, 403, 404, 409, 422),
          },
        },
        config: { idempotent: true },
      },
      async (req, reply) => reply.status(201).send(await documents.create(actorOf(req), req.params.id, req.body)),
    );

    app.get(
      '/documents/:id',
      {
        schema: {
          operationId: 'getDocument',
          tags: ['documents'],
          summary: 'Get a document',
          description:
            "A document's metadata and the caller's access to it (404 unless the caller may read it), also " +
            'while it is in the trash (`trashedAt` is set; everything else about it then answers 410).',
          params: DocumentParams,
          response: { 200: described('The document', DocumentSchema), ...problemResponses(400, 401, 404) },
        },
      },
      async (req) => documents.get(actorOf(req), req.params.id),
    );

    app.patch(
      '/documents/:id',
      {
        schema: {
          operationId: 'renameDocument',
          tags: ['documents'],
          summary: 'Rename a document',
          description: 'Changes the title (editors, admins and owners of the document).',
          params: DocumentParams,
          body: T.Object({ title: Title }, { additionalProperties: false }),
          response: {
            200: described('The renamed document', DocumentSchema),
            ...problemResponses(400, 401, 403, 404, 410),
          },
        },
      },
      async (req) => documents.rename(actorOf(req), req.params.id, req.body.title),
    );

    app.get(
      '/documents/:id/shares',
      {
        schema: {
          operationId: 'listShares',
          tags: ['shares'],
          summary: 'List shares',
          description: 'Who the document is shared with, and with which role (readers of the document).',
          params: DocumentParams,
          response: {
            200: described("The document's shares", Items(ShareSchema)),
            ...problemResponses(400, 401, 404, 410),
          },
        },
      },
      async (req) => ({ items: await documents.shares(actorOf(req), req.params.id) }),
    );

    app.put(
      '/documents/:id/shares/:userId',
      {
        schema: {
          operationId: 'setShare',
          tags: ['shares'],
          summary: 'Share with a user',
          description:
            "Shares the document with a user, or changes their share's role (workspace admins and owners, or the " +
            "document's creator).",
          params: ShareParams,
          body: T.Object({ role: ShareRoleSchema }, { additionalProperties: false }),
          response: {
            200: described('The share as it is now', ShareSchema),
            ...problemResponses(400, 401, 403, 404, 410),
          },
        },
      },
      async (req) => documents.share(actorOf(req), req.params.id, req.params.userId, req.body.role),
    );

    app.delete(
      '/documents/:id/shares/:userId',
      {
        schema: {
          operationId: 'removeShare',
          tags: ['shares'],
          summary: 'Remove a share',
          description: "Removes a user's share of the document (same people as sharing).",
          params: ShareParams,
          response: { 204: described('The share is removed', T.Null()), ...problemResponses(400, 401, 403, 404, 410) },
        },
      },
      async (req, reply) => {
        await documents.unshare(actorOf(req), req.params.id, req.params.userId);
        return reply.status(204).send(null);
      },
    );
  };

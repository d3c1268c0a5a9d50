/** Documents and their shares. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Documents } from '../../app/documents.ts';
import { actorOf } from '../auth-hook.ts';
import { IdempotencyKeyHeaders } from '../idempotency-hook.ts';
import {
  Defaulted,
  DocumentSchema,
  described,
  Items,
  Page,
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
      '/workspaces/:id/documents',
      {
        schema: {
          operationId: 'listDocuments',
          tags: ['documents'],
          summary: 'List documents',
          description:
            'Documents the caller may read in a workspace, newest first: by creation (`order=created`, the ' +
            'default) or by last update (`order=updated`, ties broken by id). Keyset pagination: pass ' +
            '`nextCursor` back as `cursor`, with the same `order`, for the next page; a cursor of the other ' +
            'order is refused (400).',
          params: T.Object({ id: Uuid }),
          querystring: T.Object(
            {
              limit: Defaulted(T.Integer({ minimum: 1, maximum: 100, default: 50 })),
              cursor: T.Optional(T.String({ maxLength: 200 })),
              order: Defaulted(
                T.Union([T.Literal('created'), T.Literal('updated')], {
                  default: 'created',
                  description: 'created: newest first by creation; updated: most recently updated first',
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            200: described('One page of documents', Page(DocumentSchema)),
            ...problemResponses(400, 401, 404),
          },
        },
      },
      async (req) => documents.list(actorOf(req), req.params.id, req.query),
    );

    app.get(
      '/documents/:id',
      {
        schema: {
          operationId: 'getDocument',
          tags: ['documents'],
          summary: 'Get a document',
          description: "A document's metadata and the caller's access to it (404 unless the caller may read it).",
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
          response: { 200: described('The renamed document', DocumentSchema), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req) => documents.rename(actorOf(req), req.params.id, req.body.title),
    );

    app.delete(
      '/documents/:id',
      {
        schema: {
          operationId: 'deleteDocument',
          tags: ['documents'],
          summary: 'Delete a document',
          description: 'Deletes the document and its exports (workspace admins and owners, or its creator).',
          params: DocumentParams,
          response: { 204: described('The document is deleted', T.Null()), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        await documents.remove(actorOf(req), req.params.id);
        return reply.status(204).send(null);
      },
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
          response: { 200: described("The document's shares", Items(ShareSchema)), ...problemResponses(400, 401, 404) },
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
          response: { 200: described('The share as it is now', ShareSchema), ...problemResponses(400, 401, 403, 404) },
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
          response: { 204: described('The share is removed', T.Null()), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        await documents.unshare(actorOf(req), req.params.id, req.params.userId);
        return reply.status(204).send(null);
      },
    );
  };

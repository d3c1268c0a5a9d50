/** Documents, their shares, and search. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Documents } from '../../app/documents.ts';
import type { Search } from '../../app/search.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import {
  DocumentSchema,
  Email,
  problemResponses,
  SearchHitSchema,
  ShareRoleSchema,
  ShareSchema,
  Title,
  Uuid,
} from '../schemas.ts';

const DocumentParams = T.Object({ id: Uuid });
const ShareParams = T.Object({ id: Uuid, userId: Uuid });

export const documentRoutes =
  (documents: Documents, search: Search): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/workspaces/:id/documents',
      {
        schema: {
          tags: ['documents'],
          summary: 'Create a document (workspace members)',
          params: T.Object({ id: Uuid }),
          body: T.Object({ title: T.Optional(Title) }, { additionalProperties: false }),
          response: { 201: DocumentSchema, ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) => reply.status(201).send(await documents.create(actorOf(req), req.params.id, req.body)),
    );

    app.get(
      '/workspaces/:id/documents',
      {
        schema: {
          tags: ['documents'],
          summary: 'Documents the caller may read in a workspace, newest first (keyset pagination)',
          params: T.Object({ id: Uuid }),
          querystring: T.Object(
            {
              limit: T.Integer({ minimum: 1, maximum: 100, default: 50 }),
              cursor: T.Optional(T.String({ maxLength: 200 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: T.Object({ items: T.Array(DocumentSchema), nextCursor: T.Union([T.String(), T.Null()]) }),
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
          tags: ['documents'],
          params: DocumentParams,
          response: { 200: DocumentSchema, ...problemResponses(400, 401, 404) },
        },
      },
      async (req) => documents.get(actorOf(req), req.params.id),
    );

    app.patch(
      '/documents/:id',
      {
        schema: {
          tags: ['documents'],
          summary: 'Rename a document (editors)',
          params: DocumentParams,
          body: T.Object({ title: Title }, { additionalProperties: false }),
          response: { 200: DocumentSchema, ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req) => documents.rename(actorOf(req), req.params.id, req.body.title),
    );

    app.delete(
      '/documents/:id',
      {
        schema: {
          tags: ['documents'],
          summary: 'Delete a document (workspace admins, or its creator)',
          params: DocumentParams,
          response: { 204: T.Null(), ...problemResponses(400, 401, 403, 404) },
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
          tags: ['shares'],
          params: DocumentParams,
          response: { 200: T.Object({ items: T.Array(ShareSchema) }), ...problemResponses(400, 401, 404) },
        },
      },
      async (req) => ({ items: await documents.shares(actorOf(req), req.params.id) }),
    );

    app.post(
      '/documents/:id/shares',
      {
        schema: {
          tags: ['shares'],
          summary: 'Share a document with the account that has this email (409 if they already have a share)',
          params: DocumentParams,
          body: T.Object({ email: Email, role: ShareRoleSchema }, { additionalProperties: false }),
          response: { 201: ShareSchema, ...problemResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        const share = await withSpan(
          'document.share_by_email',
          { 'document.id': id, 'share.role': req.body.role },
          () => documents.shareByEmail(actorOf(req), id, req.body.email, req.body.role),
        );
        req.log.info({ documentId: id, userId: share.userId, role: share.role }, 'document shared by email');
        return reply.status(201).send(share);
      },
    );

    app.put(
      '/documents/:id/shares/:userId',
      {
        schema: {
          tags: ['shares'],
          summary: 'Share a document with a user, or change their role',
          params: ShareParams,
          body: T.Object({ role: ShareRoleSchema }, { additionalProperties: false }),
          response: { 200: ShareSchema, ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req) => documents.share(actorOf(req), req.params.id, req.params.userId, req.body.role),
    );

    app.delete(
      '/documents/:id/shares/:userId',
      {
        schema: {
          tags: ['shares'],
          summary: 'Remove a share',
          params: ShareParams,
          response: { 204: T.Null(), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        await documents.unshare(actorOf(req), req.params.id, req.params.userId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/search',
      {
        schema: {
          tags: ['search'],
          summary: 'Full-text search over documents the caller may read, best match first',
          querystring: T.Object(
            {
              q: T.String({ minLength: 1, maxLength: 200 }),
              workspaceId: T.Optional(Uuid),
              limit: T.Integer({ minimum: 1, maximum: 50, default: 20 }),
            },
            { additionalProperties: false },
          ),
          response: { 200: T.Object({ items: T.Array(SearchHitSchema) }), ...problemResponses(400, 401) },
        },
      },
      async (req) => ({ items: await search.search(actorOf(req), req.query) }),
    );
  };

/**
 * The document lists (docs/spec/home.md): one workspace's documents and everything the caller can
 * open across workspaces, with one set of orders, filters and keyset pages; and stars.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { DocumentLists } from '../../app/document-lists.ts';
import type { Documents } from '../../app/documents.ts';
import { actorOf } from '../auth-hook.ts';
import { Defaulted, DocumentListItemSchema, described, Page, problemResponses, Uuid } from '../schemas.ts';

/** Title cursors carry the title (up to 200 characters, JSON-escaped, base64url). */
const CURSOR_MAX_LENGTH = 2_000;

const listQuery = (defaultOrder: 'created' | 'updated') =>
  T.Object(
    {
      limit: Defaulted(T.Integer({ minimum: 1, maximum: 100, default: 50 })),
      cursor: T.Optional(T.String({ maxLength: CURSOR_MAX_LENGTH })),
      order: Defaulted(
        T.Union([T.Literal('created'), T.Literal('updated'), T.Literal('title'), T.Literal('opened')], {
          default: defaultOrder,
          description:
            'created / updated: newest first by creation or last update; title: A to Z; opened ("Recent"): ' +
            'only documents the caller opened, most recently opened first. Ties are broken by id.',
        }),
      ),
      owner: T.Optional({ ...Uuid, description: 'only documents created by this user' }),
      sharedWithMe: T.Optional(
        T.Boolean({
          description:
            'only documents shared with the caller by a person share, in workspaces where they are not a member',
        }),
      ),
      starred: T.Optional(T.Boolean({ description: 'only documents the caller starred' })),
    },
    { additionalProperties: false },
  );

const PAGING =
  'Keyset pagination: pass `nextCursor` back as `cursor`, with the same `order`, for the next page; a cursor ' +
  'of another order is refused (400). Documents in the trash are never listed.';

export const listRoutes =
  (documents: Documents, lists: DocumentLists): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/workspaces/:id/documents',
      {
        schema: {
          operationId: 'listDocuments',
          tags: ['documents'],
          summary: 'List documents',
          description:
            "Documents the caller may open in a workspace (all of them for members, admins and owners; a guest's " +
            `shared ones), by creation (\`order=created\`, the default), last update, title or last opened. ${PAGING}`,
          params: T.Object({ id: Uuid }),
          querystring: listQuery('created'),
          response: {
            200: described('One page of documents', Page(DocumentListItemSchema)),
            ...problemResponses(400, 401, 404),
          },
        },
      },
      async (req) => lists.inWorkspace(actorOf(req), req.params.id, req.query),
    );

    app.get(
      '/documents',
      {
        schema: {
          operationId: 'listMyDocuments',
          tags: ['documents'],
          summary: 'List every document you can open',
          description:
            'Home: documents the caller may open in every workspace (any signed-in user), most recently updated ' +
            '(`order=updated`, the default), created, by title, or recently opened (`order=opened`); filters for ' +
            `"shared with me", starred and owner. ${PAGING}`,
          querystring: listQuery('updated'),
          response: {
            200: described('One page of documents', Page(DocumentListItemSchema)),
            ...problemResponses(400, 401),
          },
        },
      },
      async (req) => lists.everywhere(actorOf(req), req.query),
    );

    app.put(
      '/documents/:id/star',
      {
        schema: {
          operationId: 'starDocument',
          tags: ['documents'],
          summary: 'Star a document',
          description:
            "Adds the document to the caller's starred documents (anyone who may read it); starring twice is one star.",
          params: T.Object({ id: Uuid }),
          response: {
            204: described('Starred', T.Null()),
            ...problemResponses(400, 401, 404, 410),
          },
        },
      },
      async (req, reply) => {
        await documents.star(actorOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.delete(
      '/documents/:id/star',
      {
        schema: {
          operationId: 'unstarDocument',
          tags: ['documents'],
          summary: 'Unstar a document',
          description:
            "Removes the document from the caller's starred documents (anyone who may read it); no star is not an error.",
          params: T.Object({ id: Uuid }),
          response: { 204: described('Not starred', T.Null()), ...problemResponses(400, 401, 404) },
        },
      },
      async (req, reply) => {
        await documents.unstar(actorOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };

/**
 * Deleting documents and the trash (docs/spec/home.md [T1]–[T4]): DELETE moves a document to the
 * trash; its restorers list, restore or delete it forever; the worker purges what has expired.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Trash } from '../../app/trash.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import { Defaulted, DocumentSchema, described, Page, problemResponses, TrashItemSchema, Uuid } from '../schemas.ts';

const DocumentParams = T.Object({ id: Uuid });
const WHO = "workspace admins and owners, or the document's creator while a member of its workspace";

export const trashRoutes =
  (trash: Trash): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.delete(
      '/documents/:id',
      {
        schema: {
          operationId: 'deleteDocument',
          tags: ['trash'],
          summary: 'Delete a document (move it to the trash)',
          description:
            `Moves the document to the trash (${WHO}): it leaves every list and search, open editors are told, ` +
            'and it is deleted for good after `TRASH_RETENTION_DAYS` unless restored. 410 if it is already there.',
          params: DocumentParams,
          response: {
            204: described('The document is in the trash', T.Null()),
            ...problemResponses(400, 401, 403, 404, 410),
          },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        await withSpan('document.trash', { 'document.id': id }, () => trash.moveToTrash(actorOf(req), id));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/trash',
      {
        schema: {
          operationId: 'listTrash',
          tags: ['trash'],
          summary: 'List the trash',
          description:
            'Documents in the trash the caller may restore, across workspaces or in one (`workspaceId`): all of a ' +
            "workspace's for its admins and owners, the ones they created for members; most recently trashed " +
            'first, keyset pages (`nextCursor` → `cursor`).',
          querystring: T.Object(
            {
              limit: Defaulted(T.Integer({ minimum: 1, maximum: 100, default: 50 })),
              cursor: T.Optional(T.String({ maxLength: 200 })),
              workspaceId: T.Optional(Uuid),
            },
            { additionalProperties: false },
          ),
          response: { 200: described('One page of the trash', Page(TrashItemSchema)), ...problemResponses(400, 401) },
        },
      },
      async (req) => trash.list(actorOf(req), req.query),
    );

    app.post(
      '/trash/:id/restore',
      {
        schema: {
          operationId: 'restoreDocument',
          tags: ['trash'],
          summary: 'Restore a document from the trash',
          description: `Takes the document out of the trash, back into lists, search and editors (${WHO}). 409 if it is not in the trash.`,
          params: DocumentParams,
          response: {
            200: described('The restored document', DocumentSchema),
            ...problemResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (req) => {
        const { id } = req.params;
        return withSpan('document.restore', { 'document.id': id }, () => trash.restore(actorOf(req), id));
      },
    );

    app.delete(
      '/trash/:id',
      {
        schema: {
          operationId: 'deleteDocumentForever',
          tags: ['trash'],
          summary: 'Delete a document forever',
          description:
            `Deletes a document in the trash now, with its history, shares and exports (${WHO}). Cannot be ` +
            'undone. 409 if it is not in the trash (move it there first).',
          params: DocumentParams,
          response: {
            204: described('The document is deleted for good', T.Null()),
            ...problemResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        await withSpan('document.delete_forever', { 'document.id': id }, () => trash.deleteForever(actorOf(req), id));
        return reply.status(204).send(null);
      },
    );
  };

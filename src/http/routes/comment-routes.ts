/** Comment threads on a document (docs/spec/comments.md [C1]–[C5]): list, start, reply, edit, delete, resolve, reopen, mentionable people. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Comments } from '../../app/comments.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import {
  CommentTextBody,
  MentionCandidateSchema,
  NewThreadBody,
  ThreadPageSchema,
  ThreadSchema,
} from '../comment-schemas.ts';
import { IdempotencyKeyHeaders } from '../idempotency-hook.ts';
import { Defaulted, described, problemResponses, Uuid } from '../schemas.ts';

const DocumentParams = T.Object({ id: Uuid });
const ThreadParams = T.Object({ id: Uuid, threadId: Uuid });
const CommentParams = T.Object({ id: Uuid, threadId: Uuid, commentId: Uuid });
const WRITERS = 'people who can comment (commenters, editors, workspace members and up)';
const LIVE = 'Everyone with the document open is told at once (sync message COMMENTS_CHANGED).';
/** Comments made offline are sent on reconnect with a key: a retry never posts twice. */
const RETRY_SAFE =
  'Retry-safe with `Idempotency-Key` (the editor sends one with comments queued offline): a repeat gets the ' +
  'first answer, the same key for another request 422.';

export const commentRoutes =
  (comments: Comments): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/documents/:id/comments',
      {
        schema: {
          operationId: 'listComments',
          tags: ['comments'],
          summary: "List a document's comment threads",
          description:
            'Threads oldest first with all their comments, open, resolved or all (`status`); anyone who can read ' +
            'the document (viewers included, in every workspace). Keyset pages (`nextCursor` → `cursor`). Whether ' +
            "a thread's text still exists is read from the anchor against the document (the editor does it).",
          params: DocumentParams,
          querystring: T.Object(
            {
              status: Defaulted(T.Enum(['open', 'resolved', 'all'], { default: 'open' })),
              limit: Defaulted(T.Integer({ minimum: 1, maximum: 200, default: 100 })),
              cursor: T.Optional(Uuid),
            },
            { additionalProperties: false },
          ),
          response: {
            200: described('One page of threads', ThreadPageSchema),
            ...problemResponses(400, 401, 404, 410),
          },
        },
      },
      async (req) =>
        withSpan('comments.list', { 'document.id': req.params.id }, () =>
          comments.list(actorOf(req), req.params.id, req.query),
        ),
    );

    app.post(
      '/documents/:id/comments',
      {
        schema: {
          operationId: 'createCommentThread',
          tags: ['comments'],
          summary: 'Start a comment thread on a text range',
          description:
            `Anchors a new thread to a range of the document and posts its first comment (${WRITERS}). The ` +
            'anchor must point at live text of the document (400 otherwise); every mentioned person must be able ' +
            `to open it (400 naming them: share it first). Mentioned people are notified. ${LIVE} ${RETRY_SAFE}`,
          params: DocumentParams,
          headers: IdempotencyKeyHeaders,
          body: NewThreadBody,
          response: {
            201: described('The new thread', ThreadSchema),
            ...problemResponses(400, 401, 403, 404, 409, 410, 422),
          },
        },
        config: { idempotent: true },
      },
      async (req, reply) => {
        const { id } = req.params;
        const thread = await withSpan('comments.create', { 'document.id': id }, () =>
          comments.create(actorOf(req), id, { ...req.body, mentions: req.body.mentions ?? [] }),
        );
        return reply.status(201).send(thread);
      },
    );

    app.delete(
      '/documents/:id/comments/:threadId',
      {
        schema: {
          operationId: 'deleteCommentThread',
          tags: ['comments'],
          summary: 'Delete a comment thread',
          description: `Deletes the thread and its comments: its starter, or the workspace's admins and owners and the document's owner. ${LIVE}`,
          params: ThreadParams,
          response: { 204: described('Deleted', T.Null()), ...problemResponses(400, 401, 403, 404, 410) },
        },
      },
      async (req, reply) => {
        const { id, threadId } = req.params;
        await withSpan('comments.delete_thread', { 'document.id': id }, () =>
          comments.deleteThread(actorOf(req), id, threadId),
        );
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/documents/:id/comments/:threadId/replies',
      {
        schema: {
          operationId: 'replyToCommentThread',
          tags: ['comments'],
          summary: 'Reply in a comment thread',
          description:
            `Adds a comment to the thread (${WRITERS}). Mentioned people get a mention notification, the ` +
            `thread's earlier participants a reply notification. ${LIVE} ${RETRY_SAFE}`,
          params: ThreadParams,
          headers: IdempotencyKeyHeaders,
          body: CommentTextBody,
          response: {
            201: described('The thread with the reply', ThreadSchema),
            ...problemResponses(400, 401, 403, 404, 409, 410, 422),
          },
        },
        config: { idempotent: true },
      },
      async (req, reply) => {
        const { id, threadId } = req.params;
        const thread = await withSpan('comments.reply', { 'document.id': id }, () =>
          comments.reply(actorOf(req), id, threadId, { body: req.body.body, mentions: req.body.mentions ?? [] }),
        );
        return reply.status(201).send(thread);
      },
    );

    app.patch(
      '/documents/:id/comments/:threadId/replies/:commentId',
      {
        schema: {
          operationId: 'editComment',
          tags: ['comments'],
          summary: 'Edit a comment',
          description: `Replaces a comment's text and mentions: its author only (newly mentioned people are notified). ${LIVE}`,
          params: CommentParams,
          body: CommentTextBody,
          response: {
            200: described('The thread with the edited comment', ThreadSchema),
            ...problemResponses(400, 401, 403, 404, 410),
          },
        },
      },
      async (req) => {
        const { id, threadId, commentId } = req.params;
        return withSpan('comments.edit', { 'document.id': id }, () =>
          comments.edit(actorOf(req), id, threadId, commentId, {
            body: req.body.body,
            mentions: req.body.mentions ?? [],
          }),
        );
      },
    );

    app.delete(
      '/documents/:id/comments/:threadId/replies/:commentId',
      {
        schema: {
          operationId: 'deleteComment',
          tags: ['comments'],
          summary: 'Delete a comment',
          description:
            "Deletes one comment: its author, or the workspace's admins and owners and the document's owner. Deleting a thread's " +
            `first comment deletes the thread. ${LIVE}`,
          params: CommentParams,
          response: { 204: described('Deleted', T.Null()), ...problemResponses(400, 401, 403, 404, 410) },
        },
      },
      async (req, reply) => {
        const { id, threadId, commentId } = req.params;
        await withSpan('comments.delete', { 'document.id': id }, () =>
          comments.deleteComment(actorOf(req), id, threadId, commentId),
        );
        return reply.status(204).send(null);
      },
    );

    for (const resolved of [true, false]) {
      const verb = resolved ? 'resolve' : 'reopen';
      app.post(
        `/documents/:id/comments/:threadId/${verb}`,
        {
          schema: {
            operationId: resolved ? 'resolveCommentThread' : 'reopenCommentThread',
            tags: ['comments'],
            summary: resolved ? 'Resolve a comment thread' : 'Reopen a resolved comment thread',
            description:
              `${resolved ? 'Marks the thread resolved' : 'Marks the thread open again'} (${WRITERS}); ` +
              `doing it twice changes nothing. ${LIVE}`,
            params: ThreadParams,
            response: {
              200: described('The thread', ThreadSchema),
              ...problemResponses(400, 401, 403, 404, 410),
            },
          },
        },
        async (req) => {
          const { id, threadId } = req.params;
          return withSpan(`comments.${verb}`, { 'document.id': id }, () =>
            comments.setResolved(actorOf(req), id, threadId, resolved),
          );
        },
      );
    }

    app.get(
      '/documents/:id/mentionable',
      {
        schema: {
          operationId: 'listMentionablePeople',
          tags: ['comments'],
          summary: 'Find people to @mention',
          description:
            `People who can open the document (workspace members and people it is shared with) whose name or ` +
            `email starts with \`q\`, for mention autocomplete (${WRITERS}). Names only, never emails. For callers ` +
            'who may share the document, workspace members who cannot read it yet are listed too, with ' +
            '`needsShare: true` (the editor offers "Share with X and mention").',
          params: DocumentParams,
          querystring: T.Object(
            {
              q: Defaulted(T.String({ maxLength: 100, default: '' })),
              limit: Defaulted(T.Integer({ minimum: 1, maximum: 50, default: 10 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: described('Matching people', T.Object({ items: T.Array(MentionCandidateSchema) })),
            ...problemResponses(400, 401, 403, 404, 410),
          },
        },
      },
      async (req) =>
        withSpan('comments.mentionable', { 'document.id': req.params.id }, () =>
          comments.mentionable(actorOf(req), req.params.id, req.query),
        ),
    );
  };

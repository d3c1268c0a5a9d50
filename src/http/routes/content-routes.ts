/** A document's current content in the formats people read it in (live room or stored state). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Documents } from '../../app/documents.ts';
import { toHtml } from '../../content/html.ts';
import { toMarkdown } from '../../content/markdown.ts';
import { toPlainText } from '../../content/text.ts';
import { NotFound } from '../../domain/errors.ts';
import { withSpan } from '../../observability/tracing.ts';
import type { DocumentContent } from '../../sync/document-content.ts';
import { actorOf } from '../auth-hook.ts';
import { problemResponses, Uuid } from '../schemas.ts';

const FORMATS = ['json', 'markdown', 'html', 'text'] as const;
const MEDIA_TYPES = {
  markdown: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  text: 'text/plain; charset=utf-8',
} as const;

export const contentRoutes =
  (documents: Documents, content: DocumentContent): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/documents/:id/content',
      {
        schema: {
          tags: ['documents'],
          summary: 'Current content as ProseMirror JSON, Markdown, HTML or plain text (readers)',
          params: T.Object({ id: Uuid }),
          querystring: T.Object(
            {
              format: T.Union(
                FORMATS.map((f) => T.Literal(f)),
                { default: 'json' },
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            200: T.Union([
              T.Object({
                content: T.Unknown(),
                text: T.String(),
                source: T.Union([T.Literal('room'), T.Literal('storage')]),
              }),
              T.String(),
            ]),
            ...problemResponses(400, 401, 404),
          },
        },
      },
      async (req, reply) => {
        const id = req.params.id;
        await documents.authorize(actorOf(req), id, 'document.read');
        const format = req.query.format;
        const read = await withSpan('document.content', { 'document.id': id, format }, () => content.read(id));
        if (!read) throw new NotFound('document not found');
        if (format === 'json') return read;
        const body =
          format === 'markdown'
            ? toMarkdown(read.content)
            : format === 'html'
              ? toHtml(read.content)
              : toPlainText(read.content);
        reply.header('content-type', MEDIA_TYPES[format]);
        // Rendered user content must never run as our origin's page if opened directly.
        if (format === 'html')
          reply.header(
            'content-security-policy',
            "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; sandbox",
          );
        return body;
      },
    );
  };

/** A document's current content in the formats people read it in (live room or stored state). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { DocumentContentReads } from '../../app/document-content.ts';
import { toHtml } from '../../content/html.ts';
import { toMarkdown } from '../../content/markdown.ts';
import { toPlainText } from '../../content/text.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import { ContentSchema, Defaulted, mediaResponse, problemResponses, Uuid } from '../schemas.ts';

const FORMATS = ['json', 'markdown', 'html', 'text'] as const;
const MEDIA_TYPES = { markdown: 'text/markdown', html: 'text/html', text: 'text/plain' } as const;

export const contentRoutes =
  (content: DocumentContentReads): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/documents/:id/content',
      {
        schema: {
          operationId: 'getDocumentContent',
          tags: ['documents'],
          summary: "Get a document's content",
          description:
            'The current content (live room or stored state) as ProseMirror JSON, Markdown, HTML or plain text ' +
            '(readers). HTML is sandboxed by its Content-Security-Policy. 423 while the document is quarantined ' +
            '(its CRDT data is over budget; an operator must repair it: docs/spec/sync.md S11).',
          params: T.Object({ id: Uuid }),
          querystring: T.Object(
            {
              format: Defaulted(T.Enum([...FORMATS], { default: 'json' })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: mediaResponse('The content in the requested format', {
              'application/json': ContentSchema,
              [MEDIA_TYPES.markdown]: T.String({ description: 'CommonMark' }),
              [MEDIA_TYPES.html]: T.String({ description: 'an HTML fragment' }),
              [MEDIA_TYPES.text]: T.String(),
            }),
            ...problemResponses(400, 401, 404, 410, 423),
          },
        },
      },
      async (req, reply) => {
        const id = req.params.id;
        const format = req.query.format;
        const read = await withSpan('document.content', { 'document.id': id, format }, () =>
          content.read(actorOf(req), id),
        );
        if (format === 'json') return read;
        const body =
          format === 'markdown'
            ? toMarkdown(read.content)
            : format === 'html'
              ? toHtml(read.content)
              : toPlainText(read.content);
        reply.header('content-type', `${MEDIA_TYPES[format]}; charset=utf-8`);
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

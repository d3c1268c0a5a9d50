/**
 * POST /workspaces/{id}/documents/import: a file's bytes as the raw body, its name in the query
 * string, a new document back [I1]. This plugin's scope takes any media type as bytes (the app
 * otherwise only parses JSON) up to IMPORT_MAX_BYTES, and validates the body as bytes (Ajv has no
 * type for a Buffer); path and query are validated as everywhere else.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifySchemaCompiler } from 'fastify';
import { Type as T } from 'typebox';
import type { DocumentImports } from '../../app/document-import.ts';
import { IMPORT_FORMATS } from '../../content/import/import-task.ts';
import { Invalid } from '../../domain/errors.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import { IdempotencyKeyHeaders } from '../idempotency-hook.ts';
import { DocumentSchema, described, problemResponses, Uuid } from '../schemas.ts';
import { validatorCompiler } from '../validation.ts';

const FILE_NAME_MAX_LENGTH = 255;

/** The body is whatever bytes arrived (none: an empty file); everything else as the app validates it. */
function bytesBodyValidator(): FastifySchemaCompiler<unknown> {
  const standard = validatorCompiler();
  const bytes = (data: unknown) =>
    data === null
      ? { value: Buffer.alloc(0) }
      : Buffer.isBuffer(data)
        ? { value: data }
        : { error: new Invalid("the body must be the file's bytes") };
  return (route) => (route.httpPart === 'body' ? bytes : standard(route));
}

export const importRoutes =
  (imports: DocumentImports, maxBytes: number): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));

    app.post(
      '/workspaces/:id/documents/import',
      {
        bodyLimit: maxBytes,
        validatorCompiler: bytesBodyValidator(),
        schema: {
          operationId: 'importDocument',
          tags: ['documents'],
          summary: 'Import a file as a new document',
          description:
            'Creates a document from a Word (.docx), Markdown (.md), HTML (.html) or plain-text (.txt) file sent as ' +
            'the raw body (members, admins and owners, as creating one). The format is `format`, else the extension ' +
            "of `name`, else the body's media type. The title is the Word file's own, else a leading level-1 " +
            'heading (then not repeated in the body), else the file name. Content the editor has no block for ' +
            '(images, scripts, styles) is left out. Larger than IMPORT_MAX_BYTES → 413; an unknown type → 415; a ' +
            'file that cannot be read, is nested too deeply or is too much to convert in time → 422. Retry-safe ' +
            'with `Idempotency-Key`.',
          params: T.Object({ id: Uuid }),
          querystring: T.Object(
            {
              name: T.String({
                minLength: 1,
                maxLength: FILE_NAME_MAX_LENGTH,
                pattern: '^[^\\x00-\\x1f/\\\\]+$',
                description: "The file's name (its extension names the format)",
              }),
              format: T.Optional(T.Enum([...IMPORT_FORMATS], { description: 'Overrides the extension' })),
            },
            { additionalProperties: false },
          ),
          headers: IdempotencyKeyHeaders,
          consumes: ['application/octet-stream'],
          body: T.Unsafe<Buffer>({ type: 'string', format: 'binary', description: "The file's bytes" }),
          response: {
            201: described('The new document', DocumentSchema),
            ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
          },
        },
        config: { idempotent: true },
      },
      async (req, reply) => {
        const workspaceId = req.params.id;
        const created = await withSpan(
          'document.import',
          { 'workspace.id': workspaceId, 'import.bytes': req.body.byteLength, 'import.format': req.query.format ?? '' },
          () =>
            imports.import(actorOf(req), workspaceId, {
              name: req.query.name,
              mediaType: req.headers['content-type'],
              format: req.query.format,
              bytes: req.body,
            }),
        );
        return reply.status(201).send(created);
      },
    );
  };

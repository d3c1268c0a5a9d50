/** Export jobs: request (202 + Location), status, download, and the dead-letter administration. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Exports } from '../../app/exports.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import { IdempotencyKeyHeaders } from '../idempotency-hook.ts';
import {
  Defaulted,
  described,
  ExportCommentsSchema,
  ExportFormatSchema,
  ExportJobSchema,
  ExportRequestedSchema,
  Items,
  LOCATION,
  mediaResponse,
  problemResponses,
  Uuid,
} from '../schemas.ts';

/** What the renderers produce (src/export/render/render-file.ts); text formats carry a charset. */
const DOWNLOAD_MEDIA_TYPES = {
  'application/pdf': T.String({ format: 'binary' }),
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': T.String({ format: 'binary' }),
  'text/markdown': T.String(),
  'text/html': T.String(),
};

/** Characters that may stand in a quoted filename for every client; the rest go in filename*. */
function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return fallback === filename
    ? `attachment; filename="${filename}"`
    : `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export const exportRoutes =
  (exports: Exports, apiPrefix: string): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/documents/:id/export',
      {
        schema: {
          operationId: 'requestExport',
          tags: ['exports'],
          summary: 'Export a document',
          description:
            'Queues an export of the document as it is now (readers) and answers before any rendering; ' +
            '`Location` names the job to poll. An optional webhook is called when it finishes. Retry-safe ' +
            'with `Idempotency-Key`: a repeat gets the same job, the same key for another request 422.',
          params: T.Object({ id: Uuid }),
          headers: IdempotencyKeyHeaders,
          body: T.Object(
            {
              format: ExportFormatSchema,
              webhookUrl: T.Optional(
                T.String({
                  minLength: 1,
                  maxLength: 2048,
                  description: 'http(s) URL POSTed once the export succeeds or finally fails (signed)',
                }),
              ),
              comments: T.Optional(ExportCommentsSchema),
            },
            { additionalProperties: false },
          ),
          response: {
            202: described('The queued job; `Location` is its URL', ExportRequestedSchema, LOCATION),
            ...problemResponses(400, 401, 403, 404, 409, 410, 422, 429),
          },
        },
        config: { idempotent: true },
      },
      async (req, reply) => {
        const actor = actorOf(req);
        const job = await withSpan(
          'export.request',
          {
            'document.id': req.params.id,
            'export.format': req.body.format,
            'export.comments': req.body.comments ?? 'none',
          },
          () => exports.request(actor, req.params.id, req.body),
        );
        req.log.info(
          { jobId: job.id, documentId: job.documentId, format: job.format, comments: job.comments },
          'export requested',
        );
        return reply.status(202).header('location', `${apiPrefix}/exports/${job.id}`).send(job);
      },
    );

    app.get(
      '/exports/:jobId',
      {
        schema: {
          operationId: 'getExport',
          tags: ['exports'],
          summary: 'Get an export',
          description: "An export job's status, and its download link once it succeeded (readers of its document).",
          params: T.Object({ jobId: Uuid }),
          response: { 200: described('The job', ExportJobSchema), ...problemResponses(400, 401, 404) },
        },
      },
      async (req) => exports.get(actorOf(req), req.params.jobId),
    );

    app.get(
      '/exports/:jobId/download',
      {
        schema: {
          operationId: 'downloadExport',
          tags: ['exports'],
          summary: 'Download an export',
          description:
            'The exported file as an attachment (readers of its document); 409 while the job has not ' +
            'succeeded, 410 once the file expired.',
          params: T.Object({ jobId: Uuid }),
          response: {
            200: mediaResponse('The file, in the media type of its format', DOWNLOAD_MEDIA_TYPES),
            ...problemResponses(400, 401, 404, 409, 410),
          },
        },
      },
      async (req, reply) => {
        const d = await exports.download(actorOf(req), req.params.jobId);
        return reply
          .header('content-type', d.contentType)
          .header('content-length', String(d.file.size))
          .header('content-disposition', contentDisposition(d.filename))
          .send(d.file.stream);
      },
    );

    app.get(
      '/admin/exports/dead',
      {
        schema: {
          operationId: 'listDeadExports',
          tags: ['exports'],
          summary: 'List dead-lettered exports',
          description: "A workspace's exports that failed for good, newest first (workspace admins and owners).",
          querystring: T.Object(
            { workspaceId: Uuid, limit: Defaulted(T.Integer({ minimum: 1, maximum: 100, default: 50 })) },
            { additionalProperties: false },
          ),
          response: {
            200: described('Dead-lettered jobs, newest first', Items(ExportJobSchema)),
            ...problemResponses(400, 401, 403, 404),
          },
        },
      },
      async (req) => ({ items: await exports.deadLetters(actorOf(req), req.query.workspaceId, req.query.limit) }),
    );

    app.post(
      '/admin/exports/:jobId/retry',
      {
        schema: {
          operationId: 'retryExport',
          tags: ['exports'],
          summary: 'Retry a dead-lettered export',
          description:
            'Queues a dead-lettered export again with fresh attempts (workspace admins and owners); 409 if it is not dead.',
          params: T.Object({ jobId: Uuid }),
          response: {
            202: described('The job, queued again; `Location` is its URL', ExportJobSchema, LOCATION),
            ...problemResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (req, reply) => {
        const job = await exports.retry(actorOf(req), req.params.jobId);
        req.log.info({ jobId: job.id }, 'dead-lettered export retried');
        return reply.status(202).header('location', `${apiPrefix}/exports/${job.id}`).send(job);
      },
    );
  };

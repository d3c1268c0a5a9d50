/** Export jobs: request (202 + Location), status, download, and the dead-letter administration. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Exports } from '../../app/exports.ts';
import { EXPORT_FORMATS } from '../../export/ports.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import { problemResponses, Timestamp, Uuid } from '../schemas.ts';

const ExportStatusSchema = T.Enum(['queued', 'running', 'succeeded', 'failed', 'dead']);
const ExportFormatSchema = T.Enum([...EXPORT_FORMATS], {
  description: 'pdf, docx (Word), markdown or html',
});

export const ExportJobSchema = T.Object({
  id: Uuid,
  documentId: Uuid,
  workspaceId: Uuid,
  format: ExportFormatSchema,
  status: ExportStatusSchema,
  attempts: T.Integer({ description: 'tries started so far' }),
  error: T.Union([T.String(), T.Null()], { description: 'the last error, while retrying or once failed' }),
  createdAt: Timestamp,
  finishedAt: T.Union([Timestamp, T.Null()]),
  downloadUrl: T.Optional(T.String({ description: 'present while the finished file can be downloaded' })),
  expiresAt: T.Optional(Timestamp),
});

const RequestedSchema = T.Object({
  ...ExportJobSchema.properties,
  webhookSecret: T.Optional(
    T.String({ description: "this job's webhook signing secret (HMAC-SHA256); shown only here, once" }),
  ),
});

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
          tags: ['exports'],
          summary: 'Queue an export of the document as it is now (readers); answers before any rendering',
          params: T.Object({ id: Uuid }),
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
            },
            { additionalProperties: false },
          ),
          response: { 202: RequestedSchema, ...problemResponses(400, 401, 404, 429) },
        },
      },
      async (req, reply) => {
        const actor = actorOf(req);
        const job = await withSpan(
          'export.request',
          { 'document.id': req.params.id, 'export.format': req.body.format },
          () => exports.request(actor, req.params.id, req.body),
        );
        req.log.info({ jobId: job.id, documentId: job.documentId, format: job.format }, 'export requested');
        return reply.status(202).header('location', `${apiPrefix}/exports/${job.id}`).send(job);
      },
    );

    app.get(
      '/exports/:jobId',
      {
        schema: {
          tags: ['exports'],
          summary: 'Status of an export (readers of its document)',
          params: T.Object({ jobId: Uuid }),
          response: { 200: ExportJobSchema, ...problemResponses(400, 401, 404) },
        },
      },
      async (req) => exports.get(actorOf(req), req.params.jobId),
    );

    app.get(
      '/exports/:jobId/download',
      {
        schema: {
          tags: ['exports'],
          summary: 'The exported file (readers of its document); 410 once it expired',
          params: T.Object({ jobId: Uuid }),
          response: {
            200: { description: 'the file', content: { 'application/octet-stream': { schema: {} } } },
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
          .header('cache-control', 'private, no-store')
          .send(d.file.stream);
      },
    );

    app.get(
      '/admin/exports/dead',
      {
        schema: {
          tags: ['exports'],
          summary: "A workspace's dead-lettered exports, newest first (workspace admins and owners)",
          querystring: T.Object(
            { workspaceId: Uuid, limit: T.Integer({ minimum: 1, maximum: 100, default: 50 }) },
            { additionalProperties: false },
          ),
          response: { 200: T.Object({ items: T.Array(ExportJobSchema) }), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (req) => ({ items: await exports.deadLetters(actorOf(req), req.query.workspaceId, req.query.limit) }),
    );

    app.post(
      '/admin/exports/:jobId/retry',
      {
        schema: {
          tags: ['exports'],
          summary: 'Queue a dead-lettered export again with fresh attempts (workspace admins and owners)',
          params: T.Object({ jobId: Uuid }),
          response: { 202: ExportJobSchema, ...problemResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) => {
        const job = await exports.retry(actorOf(req), req.params.jobId);
        req.log.info({ jobId: job.id }, 'dead-lettered export retried');
        return reply.status(202).header('location', `${apiPrefix}/exports/${job.id}`).send(job);
      },
    );
  };

/** A document's version history (docs/spec/history.md): list, read, compare, save named, restore. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from 'typebox';
import type { Versions } from '../../app/versions.ts';
import { toHtml } from '../../content/html.ts';
import { toMarkdown } from '../../content/markdown.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import { Defaulted, described, LOCATION, mediaResponse, Page, problemResponses, Uuid } from '../schemas.ts';
import {
  NewVersionSchema,
  RestoredSchema,
  VersionChangesSchema,
  VersionContentSchema,
  VersionSchema,
} from '../version-schemas.ts';

const FORMATS = ['json', 'markdown', 'html'] as const;
const MEDIA_TYPES = { markdown: 'text/markdown', html: 'text/html' } as const;
const Params = T.Object({ id: Uuid });
const VersionParams = T.Object({ id: Uuid, versionId: Uuid });

export const versionRoutes =
  (versions: Versions, apiPrefix: string): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/documents/:id/versions',
      {
        schema: {
          operationId: 'listVersions',
          tags: ['history'],
          summary: "List a document's versions",
          description:
            'Automatic, named, pre-restore and restore versions, newest first, with who edited since the ' +
            'previous one; keyset pages (`nextCursor` → `cursor`). Readers of the document.',
          params: Params,
          querystring: T.Object(
            {
              limit: Defaulted(T.Integer({ minimum: 1, maximum: 100, default: 50 })),
              cursor: T.Optional(T.String({ maxLength: 200 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: described('One page of versions', Page(VersionSchema)),
            ...problemResponses(400, 401, 404, 410),
          },
        },
      },
      async (req) => {
        const { id } = req.params;
        return withSpan('history.list', { 'document.id': id }, () => versions.list(actorOf(req), id, req.query));
      },
    );

    app.post(
      '/documents/:id/versions',
      {
        schema: {
          operationId: 'saveVersion',
          tags: ['history'],
          summary: 'Save a named version',
          description: 'Stores the document as it is now under a name (editors).',
          params: Params,
          body: NewVersionSchema,
          response: {
            201: described('The version saved', VersionSchema, LOCATION),
            ...problemResponses(400, 401, 403, 404, 410, 423),
          },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        const saved = await withSpan('history.save', { 'document.id': id }, () =>
          versions.saveNamed(actorOf(req), id, req.body.name.trim()),
        );
        reply.header('location', `${apiPrefix}/documents/${id}/versions/${saved.id}`);
        return reply.status(201).send(saved);
      },
    );

    app.get(
      '/documents/:id/versions/:versionId',
      {
        schema: {
          operationId: 'getVersion',
          tags: ['history'],
          summary: 'Get a version',
          description:
            'The document as it was at this version: ProseMirror JSON with the version, Markdown, or HTML ' +
            '(sandboxed by its Content-Security-Policy). Readers of the document.',
          params: VersionParams,
          querystring: T.Object(
            { format: Defaulted(T.Enum([...FORMATS], { default: 'json' })) },
            { additionalProperties: false },
          ),
          response: {
            200: mediaResponse('The version in the requested format', {
              'application/json': VersionContentSchema,
              [MEDIA_TYPES.markdown]: T.String({ description: 'CommonMark' }),
              [MEDIA_TYPES.html]: T.String({ description: 'an HTML fragment' }),
            }),
            ...problemResponses(400, 401, 404, 410),
          },
        },
      },
      async (req, reply) => {
        const { id, versionId } = req.params;
        const format = req.query.format;
        const read = await withSpan('history.read', { 'document.id': id, format }, () =>
          versions.read(actorOf(req), id, versionId),
        );
        if (format === 'json') return read;
        reply.header('content-type', `${MEDIA_TYPES[format]}; charset=utf-8`);
        if (format === 'html') {
          reply.header(
            'content-security-policy',
            "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; sandbox",
          );
          return toHtml(read.content);
        }
        return toMarkdown(read.content);
      },
    );

    app.get(
      '/documents/:id/versions/:versionId/changes',
      {
        schema: {
          operationId: 'getVersionChanges',
          tags: ['history'],
          summary: 'Compare a version with the one before',
          description:
            'Block by block, the text added and removed since the previous version, with who wrote each ' +
            'added or removed run where it is known. Readers of the document.',
          params: VersionParams,
          response: {
            200: described('The changes', VersionChangesSchema),
            ...problemResponses(400, 401, 404, 410),
          },
        },
      },
      async (req) => {
        const { id, versionId } = req.params;
        return withSpan('history.compare', { 'document.id': id }, () => versions.compare(actorOf(req), id, versionId));
      },
    );

    app.post(
      '/documents/:id/versions/:versionId/restore',
      {
        schema: {
          operationId: 'restoreVersion',
          tags: ['history'],
          summary: 'Restore a version',
          description:
            "Brings the version's content back as a new change on the live document: everyone editing sees it at " +
            'once, and edits made meanwhile are kept. The history gains a pre-restore version and a restore ' +
            'entry (editors). 423 while the document is quarantined.',
          params: VersionParams,
          response: {
            200: described('The restore entry and the pre-restore version', RestoredSchema),
            ...problemResponses(400, 401, 403, 404, 410, 423),
          },
        },
      },
      async (req) => {
        const { id, versionId } = req.params;
        return withSpan('history.restore', { 'document.id': id, 'version.id': versionId }, () =>
          versions.restore(actorOf(req), id, versionId),
        );
      },
    );
  };

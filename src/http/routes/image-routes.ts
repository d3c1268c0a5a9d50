/**
 * Images in documents (docs/spec/images.md): upload (the raw image file as the request body, not
 * multipart: one file per request, no boundary parsing, the size limit is simply the body limit),
 * list, and fetch.
 *
 * Fetching needs the bearer token like every API call; `<img>` tags cannot send it, so the web
 * app fetches each image with its token and shows it through a `blob:` URL
 * (web/src/editor/image-loader.ts). That keeps one authorization model (no second kind of
 * credential in URLs, nothing that outlives a revoked share in a node's attributes, which are
 * persisted and synced to everyone), and the browser's HTTP cache still serves repeats: the bytes
 * under an image id never change, so the answer is `private, immutable` with a strong ETag.
 * The response can never run as a page: nosniff, a sandboxing CSP, and only sniffed raster types.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifySchemaCompiler } from 'fastify';
import { Type as T } from 'typebox';
import type { DocumentImages } from '../../app/images.ts';
import { IMAGE_TYPES } from '../../content/image-bytes.ts';
import { withSpan } from '../../observability/tracing.ts';
import { actorOf } from '../auth-hook.ts';
import { described, Items, LOCATION, mediaResponse, problemResponses, Timestamp, Uuid } from '../schemas.ts';
import { validatorCompiler } from '../validation.ts';

/** The bytes under an image id never change; only the reader's own cache may keep them. */
export const IMAGE_CACHE_CONTROL = 'private, max-age=31536000, immutable';
/** An image answer is never a document: no script, no plugins, no frames, even if opened directly. */
export const IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

/** Content types the upload accepts on the wire; the bytes are sniffed whatever it says. */
const UPLOAD_CONTENT_TYPES = [...IMAGE_TYPES, 'application/octet-stream'];

const ImageSchema = T.Object(
  {
    id: Uuid,
    documentId: Uuid,
    url: T.String({ description: "the image's URL (relative to the server); fetch it with the access token" }),
    contentType: T.Enum([...IMAGE_TYPES], { description: 'sniffed from the bytes' }),
    size: T.Integer({ description: 'bytes' }),
    width: T.Union([T.Integer(), T.Null()], { description: 'pixels, when the header says' }),
    height: T.Union([T.Integer(), T.Null()]),
    createdAt: Timestamp,
  },
  { title: 'Image' },
);

const binary = T.Unsafe<Uint8Array>({ type: 'string', format: 'binary' });

export const imageRoutes =
  (images: DocumentImages): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addContentTypeParser(UPLOAD_CONTENT_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    // The body is raw bytes, checked by the use case (size, sniffed type); Ajv would only see a Buffer.
    const compile = validatorCompiler();
    const rawBody: FastifySchemaCompiler<unknown> = (route) =>
      route.httpPart === 'body' ? () => true : compile(route);

    app.post(
      '/documents/:id/images',
      {
        bodyLimit: images.maxBytes,
        validatorCompiler: rawBody,
        schema: {
          operationId: 'uploadImage',
          tags: ['images'],
          summary: 'Upload an image',
          description:
            'The image file itself is the request body (editors). Its type is read from its bytes: PNG, JPEG, GIF ' +
            'and WebP are accepted, anything else (SVG included) is 415; past IMAGE_MAX_BYTES is 413; past the ' +
            "workspace's IMAGE_WORKSPACE_MAX_BYTES is 409. The same bytes again answer the same image (200). " +
            "Put the answered `url` in the image node's `src`.",
          params: T.Object({ id: Uuid }),
          consumes: UPLOAD_CONTENT_TYPES,
          body: binary,
          response: {
            200: described('The same bytes were already in this document: that image', ImageSchema),
            201: described('The stored image; `Location` is its URL', ImageSchema, LOCATION),
            ...problemResponses(400, 401, 403, 404, 409, 410, 413, 415, 429),
          },
        },
      },
      async (req, reply) => {
        const id = req.params.id;
        const { image, created } = await withSpan('image.upload', { 'document.id': id }, () =>
          images.upload(actorOf(req), id, req.body),
        );
        req.log.info(
          { event: 'image_uploaded', documentId: id, imageId: image.id, bytes: image.size, created },
          'image uploaded',
        );
        if (!created) return reply.status(200).send(image);
        return reply.status(201).header('location', image.url).send(image);
      },
    );

    app.get(
      '/documents/:id/images',
      {
        schema: {
          operationId: 'listImages',
          tags: ['images'],
          summary: "List a document's images",
          description:
            'Every image uploaded to the document, oldest first (readers), whether or not it is still in the text.',
          params: T.Object({ id: Uuid }),
          response: { 200: described('The images', Items(ImageSchema)), ...problemResponses(400, 401, 404, 410) },
        },
      },
      async (req) => ({ items: await images.list(actorOf(req), req.params.id) }),
    );

    app.get(
      '/documents/:id/images/:imageId',
      {
        config: { cacheControl: IMAGE_CACHE_CONTROL },
        schema: {
          operationId: 'getImage',
          tags: ['images'],
          summary: 'Get an image',
          description:
            "The image's bytes (readers of its document), cacheable privately for good (they never change); " +
            '`If-None-Match` with its ETag answers 304.',
          params: T.Object({ id: Uuid, imageId: Uuid }),
          response: {
            200: mediaResponse(
              'The image',
              Object.fromEntries(IMAGE_TYPES.map((type) => [type, T.String({ format: 'binary' })])),
            ),
            304: { description: 'Not modified (the ETag matched)', type: 'null' },
            ...problemResponses(400, 401, 404, 410),
          },
        },
      },
      async (req, reply) => {
        const { id, imageId } = req.params;
        const result = await images.open(actorOf(req), id, imageId, req.headers['if-none-match']);
        reply.header('etag', result.etag);
        if ('notModified' in result) return reply.status(304).send(null);
        return reply
          .header('content-type', result.contentType)
          .header('content-length', String(result.file.size))
          .header('content-security-policy', IMAGE_CSP)
          .header('content-disposition', 'inline')
          .header('cross-origin-resource-policy', 'same-origin')
          .send(result.file.stream);
      },
    );
  };
